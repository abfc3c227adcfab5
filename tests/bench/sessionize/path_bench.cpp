// The whole sessionize path into ClickHouse (issue 7, docs/sessions.md),
// on the local stack, against a ceiling measured in the same run:
//
// - stage: the real clickstream-sessionize process reads a clean topic that
//   already holds N events and writes `events` and `sessions` rows. From its
//   first event read (its /metrics) until ClickHouse holds all N event rows:
//   events per second of wall time, and per second of the process's CPU
//   time (/proc/<pid>/stat), i.e. per core.
// - ceiling: the same messages through a loop that parses nothing: a plain
//   consumer (common::kafka::consumer) and the stage's own ClickHouse writer
//   (clickhouse_sink::write_events), the clean lines inserted as they are, in
//   batches of 5,000 as the stage makes them. Same measures (CPU time of this
//   process).
//
// The runs alternate (stage, ceiling, stage, ...) so both see the same load;
// each run reads with a group and writes into a database of its own.
// Traffic: the clean-event goldens (docs/contracts/clean-event/) as
// templates, 2,000 sessions open at a time, 8 events each, 20 ms of event
// time apart, sessions of a 60 s gap, so session rows are written during the
// run. Prints one JSON object on stdout.
//
//   sessionize_path_bench [--events N] [--runs R]
// Environment: CLICKSTREAM_KAFKA_BOOTSTRAP, CLICKSTREAM_CLICKHOUSE_URL,
// CLICKSTREAM_ROOT (tests/support/stack.h).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/kafka/consumer.h"
#include "common/kafka/producer.h"
#include "processor/sessionize/clickhouse.h"
#include "support/http_client.h"
#include "support/kafka_admin.h"
#include "support/stack.h"

extern char** environ;  // NOLINT: POSIX

namespace {

using namespace clickstream;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

// clickstream-sessionize with a config file, stderr to `log`; stopped with
// SIGTERM and reaped by terminate() or when it goes out of scope.
class stage_process {
public:
    stage_process(const std::filesystem::path& config, const std::filesystem::path& log)
        : log_(log) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                         0644);
        std::string bin = CLICKSTREAM_SESSIONIZE_BIN, flag = "--config", path = config.string();
        char* argv[] = {bin.data(), flag.data(), path.data(), nullptr};
        if (posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv, environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
    }
    ~stage_process() { terminate(); }
    stage_process(const stage_process&) = delete;
    stage_process& operator=(const stage_process&) = delete;

    pid_t pid() const { return pid_; }
    void terminate() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    // The first log line holding `text`, waiting up to `limit`; "" if none.
    std::string wait_for_line(const std::string& text, std::chrono::seconds limit) const {
        const auto until = clock_type::now() + limit;
        while (clock_type::now() < until) {
            const std::string log = test::read_file(log_);
            const auto at = log.find(text);
            if (at != std::string::npos) {
                const auto start = log.rfind('\n', at);
                const auto start_at = start == std::string::npos ? 0 : start + 1;
                return log.substr(start_at, log.find('\n', at) - start_at);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return {};
    }

private:
    std::filesystem::path log_;
    pid_t pid_ = -1;
};

constexpr std::size_t batch_rows = 5000;  // the stage's batch.max_events default

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

// utime + stime of a process, in seconds.
double process_cpu_s(pid_t pid) {
    const std::string stat = test::read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string f;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14 || i == 15) ticks += std::stod(f);
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_s() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string ch(const std::string& db, const std::string& sql) {
    const auto r = test::http_post(test::clickhouse_url() + "/?database=" + db, sql);
    if (r.status != 200) {
        std::cerr << "clickhouse: " << sql << ": " << r.status << " " << r.body << r.error << "\n";
        std::exit(1);
    }
    return r.body;
}

std::size_t event_rows(const std::string& db) {
    return std::stoul("0" + ch(db, "SELECT count() FROM events FORMAT TabSeparated"));
}

std::string migrated_database() {
    std::string db = test::unique_name("sessbench");
    for (auto& c : db) {
        if (c == '-' || c == '.') c = '_';
    }
    const std::string cmd = (test::project_root() / "scripts/migrate").string() + " --database " +
                            db + " --url " + test::clickhouse_url() + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
        std::cerr << "migration failed: " << cmd << "\n";
        std::exit(1);
    }
    return db;
}

// N clean-event lines from the goldens, with their keys (session ids).
std::vector<std::pair<std::string, std::string>> make_events(std::size_t n) {
    std::vector<json> templates;
    for (const char* f : {"web_session.json", "app_purchase.json"}) {
        for (auto& e : json::parse(test::read_file(test::contracts_dir() / "clean-event" / f))) {
            templates.push_back(std::move(e));
        }
    }
    const std::int64_t base = (std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() /
                               1000) *
                                  1000 -
                              6 * 3'600'000;
    constexpr std::size_t open = 2000, per_session = 8;
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t session = i % open + open * (i / (open * per_session));
        const std::size_t k = (i / open) % per_session;  // the event's place in its session
        json e = templates[(session + k) % templates.size()];
        const std::string sid = "bench-" + std::to_string(session);
        e["session_id"] = sid;
        e["event_id"] = "bench-e" + std::to_string(i);
        e["event_time_ms"] = base + static_cast<std::int64_t>(i) * 20;
        e["seq"] = k + 1;
        e["site"] = "bench";
        out.emplace_back(sid, e.dump());
    }
    return out;
}

struct rate {
    double wall_eps = 0;
    double cpu_eps = 0;
};

rate run_stage(const std::string& topic, std::size_t n, const std::filesystem::path& dir) {
    const std::string db = migrated_database();
    const json config = {{"kafka",
                          {{"brokers", test::kafka_bootstrap()},
                           {"group_id", test::unique_name("sessbench")},
                           {"topic", topic}}},
                         {"clickhouse", {{"url", test::clickhouse_url()}, {"database", db}}},
                         {"sessions", {{"default_timeout_s", 60}, {"allowed_lateness_s", 10}}},
                         {"http", {{"port", 0}}},
                         {"log_level", "info"}};
    const auto config_path = dir / (db + ".json");
    std::ofstream(config_path) << config.dump(2);
    stage_process stage(config_path, dir / (db + ".log"));
    const std::string listening = stage.wait_for_line("\"listening\"", std::chrono::seconds(30));
    if (listening.empty()) {
        std::cerr << "the stage did not start: see " << (dir / (db + ".log")) << "\n";
        std::exit(1);
    }
    const auto at = listening.find("\"http_port\":");
    const std::string metrics_url =
        "http://127.0.0.1:" + std::to_string(std::atoi(listening.c_str() + at + 12)) + "/metrics";
    // The first event read starts the clock.
    auto read_any = [&] {
        const auto body = test::http_get(metrics_url).body;
        return body.find("sessionize_events_total{result=") != std::string::npos;
    };
    while (!read_any()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const auto start = clock_type::now();
    const double cpu0 = process_cpu_s(stage.pid());
    while (event_rows(db) < n) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const double wall = seconds_since(start);
    const double cpu = process_cpu_s(stage.pid()) - cpu0;
    stage.terminate();
    const auto sessions =
        ch(db, "SELECT count() FROM sessions FINAL WHERE events > 0 FORMAT TabSeparated");
    std::cerr << "stage: " << n << " events in " << wall << " s, " << cpu << " s CPU, "
              << std::stoul("0" + sessions) << " session rows\n";
    ch(db, "DROP DATABASE " + db);
    return {static_cast<double>(n) / wall, static_cast<double>(n) / cpu};
}

rate run_ceiling(const std::string& topic, std::size_t n) {
    const std::string db = migrated_database();
    std::stringstream log_out;
    common::logger log(log_out, "bench");
    common::kafka::consumer_options co;
    co.brokers = test::kafka_bootstrap();
    co.group_id = test::unique_name("sessbench-ceiling");
    co.topics = {topic};
    auto consumer = common::kafka::consumer::create(co, log);
    if (!consumer) {
        std::cerr << "consumer: " << consumer.error().message() << "\n";
        std::exit(1);
    }
    sessionize::clickhouse_options cho;
    cho.url = test::clickhouse_url();
    cho.database = db;
    sessionize::clickhouse_client client(cho, log);
    sessionize::clickhouse_sink sink(client);
    std::vector<std::string> rows;
    std::size_t read = 0;
    clock_type::time_point start;
    double cpu0 = 0;
    auto write = [&] {
        while (!sink.write_events(rows))
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        rows.clear();
    };
    while (read < n) {
        auto m = (*consumer)->poll(std::chrono::milliseconds(100));
        if (!m || !*m) continue;
        if (read == 0) {
            start = clock_type::now();
            cpu0 = self_cpu_s();
        }
        ++read;
        rows.push_back(std::move((**m).msg.value));
        if (rows.size() >= batch_rows) write();
    }
    if (!rows.empty()) write();
    const double wall = seconds_since(start);
    const double cpu = self_cpu_s() - cpu0;
    (*consumer)->close();
    std::cerr << "ceiling: " << n << " events in " << wall << " s, " << cpu << " s CPU, "
              << event_rows(db) << " rows\n";
    ch(db, "DROP DATABASE " + db);
    return {static_cast<double>(n) / wall, static_cast<double>(n) / cpu};
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t n = 100'000;
    int runs = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i];
        if (arg == "--events") n = std::stoul(argv[i + 1]);
        if (arg == "--runs") runs = std::atoi(argv[i + 1]);
    }
    const auto dir = std::filesystem::temp_directory_path() / test::unique_name("sessbench");
    std::filesystem::create_directories(dir);
    const std::string topic = test::unique_name("sessbench");
    test::create_topic(topic, 4);
    {
        std::stringstream log_out;
        common::logger log(log_out, "bench");
        common::kafka::producer_options po;
        po.brokers = test::kafka_bootstrap();
        auto producer = common::kafka::producer::create(po, log);
        if (!producer) return 1;
        std::atomic<std::size_t> failed{0};
        for (auto& [key, value] : make_events(n)) {
            (*producer)->produce({topic, key, std::move(value), {}},
                                 [&](common::kafka::delivery_report&& r) {
                                     if (r.error) ++failed;
                                 });
        }
        if (!(*producer)->flush(std::chrono::seconds(120)) || failed != 0) {
            std::cerr << "producing the clean events failed\n";
            return 1;
        }
    }
    json out = {{"events", n}, {"stage", json::array()}, {"ceiling", json::array()}};
    for (int r = 0; r < runs; ++r) {
        const rate s = run_stage(topic, n, dir);
        out["stage"].push_back({{"wall_eps", s.wall_eps}, {"cpu_eps", s.cpu_eps}});
        const rate c = run_ceiling(topic, n);
        out["ceiling"].push_back({{"wall_eps", c.wall_eps}, {"cpu_eps", c.cpu_eps}});
    }
    std::filesystem::remove_all(dir);
    std::cout << out.dump() << "\n";
    return 0;
}
