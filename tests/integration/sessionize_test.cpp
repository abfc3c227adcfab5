// The sessionize stage through the real broker into real ClickHouse: traffic
// whose true sessions the test knows (generated here, seed printed), the real
// clickstream-sessionize process, and `sessions FINAL` compared row by row.
// Also: kill -9 and restart, and a second instance joining mid-run, give the
// same tables.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "common/kafka/producer.h"
#include "support/http_client.h"
#include "support/kafka_admin.h"
#include "support/stack.h"

extern char** environ;  // NOLINT: POSIX

namespace clickstream::test {
namespace {

using json = nlohmann::json;
constexpr std::int64_t gap_s = 5;
constexpr int partitions = 4;

// One ClickHouse statement in `db`; fails the test on an error answer.
std::string ch(const std::string& db, const std::string& sql) {
    const auto r = http_post(clickhouse_url() + "/?database=" + db, sql);
    EXPECT_EQ(r.status, 200) << sql << "\n" << r.body << r.error;
    return r.body;
}

// ClickHouse writes 64-bit integers as JSON strings.
std::int64_t as_int(const json& v) {
    return v.is_string() ? std::stoll(v.get<std::string>()) : v.get<std::int64_t>();
}

// The real clickstream-sessionize with a config file; stderr in a file.
class stage_process {
public:
    stage_process(const json& config, const std::filesystem::path& dir, const std::string& name) {
        const auto config_path = dir / (name + ".json");
        log_path_ = dir / (name + ".log");
        std::ofstream(config_path) << config.dump(2);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 2, log_path_.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
        const std::string bin = CLICKSTREAM_SESSIONIZE_BIN;
        const std::string path = config_path.string();
        char* argv[] = {const_cast<char*>(bin.c_str()), const_cast<char*>("--config"),
                        const_cast<char*>(path.c_str()), nullptr};
        EXPECT_EQ(posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv, environ), 0);
        posix_spawn_file_actions_destroy(&actions);
    }
    ~stage_process() {
        if (!exited_) kill9();
    }
    void kill9() {
        ::kill(pid_, SIGKILL);
        wait();
    }
    int terminate() {
        ::kill(pid_, SIGTERM);
        return wait();
    }
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::string log() const { return read_file(log_path_); }
    // One sample of /metrics (the port from the "listening" log line); -1
    // while the endpoint is not up or the sample is not there yet.
    double metric(const std::string& sample) const {
        const std::string l = log();
        const auto at = l.find("\"http_port\":");
        if (at == std::string::npos) return -1;
        const int port = std::atoi(l.c_str() + at + 12);
        const auto r = http_get("http://127.0.0.1:" + std::to_string(port) + "/metrics");
        const auto line = r.body.find("\n" + sample + " ");
        if (r.status != 200 || line == std::string::npos) return -1;
        return std::atof(r.body.c_str() + line + sample.size() + 2);
    }
    bool logged(const std::string& event) const {
        return log().find("\"event\":\"" + event + "\"") != std::string::npos;
    }

private:
    std::filesystem::path log_path_;
    pid_t pid_ = 0;
    bool exited_ = false;
};

struct truth {
    std::int64_t start = 0, end = 0;
    std::uint32_t events = 0, page_views = 0, clicks = 0, missing = 0;
    std::vector<std::string> pages;
};

class sessionize_test : public ::testing::Test {
protected:
    void SetUp() override {
        seed_ = std::random_device{}();
        std::printf("seed %u\n", seed_);
        topic_ = unique_name("sessionize");
        db_ = unique_name("sess");
        for (auto& c : db_) {
            if (c == '-' || c == '.') c = '_';
        }
        dir_ = std::filesystem::temp_directory_path() / db_;
        std::filesystem::create_directories(dir_);
        create_topic(topic_, partitions);
        const std::string cmd = (project_root() / "scripts/migrate").string() + " --database " +
                                db_ + " --url " + clickhouse_url() + " >/dev/null 2>&1";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        common::kafka::producer_options po;
        po.brokers = kafka_bootstrap();
        auto p = common::kafka::producer::create(po, log_);
        ASSERT_TRUE(p);
        producer_ = std::move(*p);
        generate();
    }
    void TearDown() override {
        ch(db_, "DROP DATABASE IF EXISTS " + db_);
        std::filesystem::remove_all(dir_);
    }

    json config(const std::string& group) const {
        return {
            {"kafka",
             {{"brokers", kafka_bootstrap()},
              {"group_id", group},
              {"topic", topic_},
              {"settings", {{"session.timeout.ms", "3000"}, {"heartbeat.interval.ms", "500"}}}}},
            {"clickhouse", {{"url", clickhouse_url()}, {"database", db_}}},
            {"sessions",
             {{"default_timeout_s", gap_s},
              {"allowed_lateness_s", 1},
              {"idle_timeout_s", 2},
              {"max_length_s", 3600}}},
            {"batch", {{"interval_ms", 200}}},
            {"http", {{"port", 0}}},
            {"log_level", "debug"}};
    }

    // Sessions of "shop", 1 to 8 events 0.5 to 4 s apart (always inside the
    // 5 s gap), some seq numbers never sent (missing) and some events sent
    // twice (duplicates); the stream is in event-time order.
    void generate() {
        std::mt19937 rng(seed_);
        const std::int64_t base = (std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count() /
                                   1000) *
                                      1000 -
                                  3'600'000;
        for (int i = 0; i < 60; ++i) {
            const std::string sid = "s" + std::to_string(i) + "-" + std::to_string(seed_);
            std::int64_t t = base + static_cast<std::int64_t>(rng() % 60'000);
            truth& want = expected_[sid];
            want.start = t;
            const int n = 1 + static_cast<int>(rng() % 8);
            std::uint32_t seq = 0;
            for (int k = 0; k < n; ++k) {
                seq += (rng() % 6 == 0) ? 2 : 1;  // now and then one never arrives
                const bool page = k == 0 || rng() % 2 == 0;
                const std::string path = "/p" + std::to_string(rng() % 5);
                json e = {{"site", "shop"},
                          {"session_id", sid},
                          {"event_id", sid + "-e" + std::to_string(k)},
                          {"event_time_ms", t},
                          {"device_ts_ms", t},
                          {"time_source", "skew_corrected"},
                          {"type", page ? "page_view" : "click"},
                          {"url_path", path},
                          {"seq", seq},
                          {"tab_id", "tab"},
                          {"session_timeout_s", gap_s},
                          {"platform", "web"},
                          {"sdk_name", "clickstream-web"}};
                stream_.push_back({t, sid, e.dump()});
                if (rng() % 7 == 0) stream_.push_back({t, sid, e.dump()});  // a duplicate
                ++want.events;
                want.end = t;
                if (page) {
                    ++want.page_views;
                    want.pages.push_back(path);
                } else {
                    ++want.clicks;
                }
                t += 500 + static_cast<std::int64_t>(rng() % 3500);
            }
            want.missing = seq - want.events;
            far_ = std::max(far_, t);
        }
        std::stable_sort(stream_.begin(), stream_.end(),
                         [](const auto& a, const auto& b) { return a.time < b.time; });
    }

    void produce(std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
            common::kafka::message m{topic_, stream_[i].key, stream_[i].value, {}};
            producer_->produce(std::move(m), [](common::kafka::delivery_report&& r) {
                EXPECT_FALSE(r.error) << r.error.message();
            });
        }
        ASSERT_TRUE(producer_->flush(std::chrono::seconds(30)));
    }

    // Events a day later on every partition: the watermark closes all "shop"
    // sessions. Keys are tried until each partition got one.
    void produce_closers() {
        std::mutex m;
        std::set<std::int32_t> reached;
        for (int k = 0; k < 200 && static_cast<int>(reached.size()) < partitions; ++k) {
            const std::string sid = "closer-" + std::to_string(k);
            const json e = {{"site", "closer"},
                            {"session_id", sid},
                            {"event_id", sid},
                            {"event_time_ms", far_ + 86'400'000},
                            {"type", "page_view"}};
            producer_->produce({topic_, sid, e.dump(), {}},
                               [&](common::kafka::delivery_report&& r) {
                                   std::lock_guard lock(m);
                                   if (!r.error) reached.insert(r.partition);
                               });
            ASSERT_TRUE(producer_->flush(std::chrono::seconds(30)));
        }
        ASSERT_EQ(static_cast<int>(reached.size()), partitions);
    }

    std::size_t distinct_events() const {
        std::size_t n = 0;
        for (const auto& [sid, t] : expected_) n += t.events;
        return n;
    }

    // Polls until every true session has a final row, then compares.
    void expect_tables_match() {
        const std::string done =
            "SELECT count() FROM sessions FINAL WHERE site = 'shop' AND "
            "close_reason = 'gap' FORMAT TabSeparated";
        for (int i = 0; i < 600; ++i) {
            if (std::stoul("0" + ch(db_, done)) >= expected_.size()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        const std::string rows = ch(
            db_,
            "SELECT session_id, events, page_views, clicks, start_ms, end_ms, pages, landing_page, "
            "exit_page, missing_events, close_reason, bounce FROM sessions FINAL WHERE site = "
            "'shop' ORDER BY session_id, segment FORMAT JSONEachRow");
        std::map<std::string, json> got;
        std::istringstream in(rows);
        std::string line;
        std::size_t count = 0;
        while (std::getline(in, line)) {
            const auto j = json::parse(line);
            got[j["session_id"]] = j;
            ++count;
        }
        EXPECT_EQ(count, expected_.size()) << "one row per true session, no more";
        for (const auto& [sid, want] : expected_) {
            const auto it = got.find(sid);
            ASSERT_NE(it, got.end()) << "no row for " << sid;
            const json& r = it->second;
            EXPECT_EQ(r["events"], want.events) << sid;
            EXPECT_EQ(r["page_views"], want.page_views) << sid;
            EXPECT_EQ(r["clicks"], want.clicks) << sid;
            EXPECT_EQ(as_int(r["start_ms"]), want.start) << sid;
            EXPECT_EQ(as_int(r["end_ms"]), want.end) << sid;
            EXPECT_EQ(r["pages"], json(want.pages)) << sid;
            EXPECT_EQ(r["landing_page"], want.pages.front()) << sid;
            EXPECT_EQ(r["exit_page"], want.pages.back()) << sid;
            EXPECT_EQ(r["missing_events"], want.missing) << sid;
            EXPECT_EQ(r["close_reason"], "gap") << sid;
            EXPECT_EQ(r["bounce"], want.page_views == 1 && want.clicks == 0 ? 1 : 0) << sid;
        }
        const auto events = ch(db_,
                               "SELECT uniqExact(event_id), count() FROM events FINAL WHERE "
                               "site = 'shop' FORMAT TabSeparated");
        EXPECT_EQ(events, std::to_string(distinct_events()) + "\t" +
                              std::to_string(distinct_events()) + "\n");
    }

    // Waits until at least `n` shop events are in the table.
    void wait_for_events(std::size_t n) {
        for (int i = 0; i < 600; ++i) {
            const auto got = ch(db_,
                                "SELECT uniqExact(event_id) FROM events WHERE site = 'shop' "
                                "FORMAT TabSeparated");
            if (std::stoul("0" + got) >= n) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL() << "fewer than " << n << " events were written";
    }

    struct record {
        std::int64_t time;
        std::string key, value;
    };
    unsigned seed_ = 0;
    std::string topic_, db_;
    std::filesystem::path dir_;
    std::stringstream log_stream_;
    common::logger log_{log_stream_, "test"};
    std::unique_ptr<common::kafka::producer> producer_;
    std::map<std::string, truth> expected_;
    std::vector<record> stream_;
    std::int64_t far_ = 0;
};

TEST_F(sessionize_test, generated_sessions_land_row_by_row) {
    stage_process stage(config(unique_name("g")), dir_, "stage");
    produce(0, stream_.size());
    produce_closers();
    expect_tables_match();
    EXPECT_EQ(stage.terminate(), 0);
    EXPECT_TRUE(stage.logged("stopped")) << stage.log();
}

TEST_F(sessionize_test, kill_9_and_restart_give_the_same_tables) {
    const json c = config(unique_name("k"));
    const std::size_t half = stream_.size() / 2;
    {
        stage_process first(c, dir_, "first");
        produce(0, half);
        wait_for_events(1);
        // Let a commit happen while sessions are open, then kill without warning.
        for (int i = 0; i < 100 && !first.logged("kafka_partitions_assigned"); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        first.kill9();
    }
    produce(half, stream_.size());
    produce_closers();
    stage_process second(c, dir_, "second");
    expect_tables_match();
    EXPECT_EQ(second.terminate(), 0);
}

// Restart determinism: the watermark the killed run had at its commit point
// is stored with the commit. One partition; g's time (10 s) is the highest
// the partition has seen when b opens at offset 1, so l (6 s, offset 2) is
// late: older than the watermark (10 s - 3 s of lateness), in no session.
// g closes when b reaches 18 s; b stays open, so the commit is offset 1.
// After kill -9 the restart reads from offset 1 on: without the stored
// watermark it would see b's 8 s as the highest and take l as a session.
TEST_F(sessionize_test, kill_9_with_a_window_open_resumes_the_committed_watermark) {
    const std::string topic = unique_name("sessionize-wm");
    create_topic(topic, 1);
    json c = config(unique_name("w"));
    c["kafka"]["topic"] = topic;
    c["sessions"]["allowed_lateness_s"] = 3;
    const std::int64_t base = (std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() /
                               1000) *
                                  1000 -
                              3'600'000;
    auto event = [&](const std::string& sid, const std::string& id, std::int64_t at_s,
                     const std::string& site = "shop") {
        const json e = {{"site", site},
                        {"session_id", sid + "-" + db_},
                        {"event_id", id + "-" + db_},
                        {"event_time_ms", base + at_s * 1000},
                        {"type", "page_view"},
                        {"url_path", "/" + id}};
        return common::kafka::message{topic, sid, e.dump(), {}};
    };
    auto send = [&](std::vector<common::kafka::message> messages) {
        for (auto& m : messages) {
            producer_->produce(std::move(m), [](common::kafka::delivery_report&& r) {
                EXPECT_FALSE(r.error) << r.error.message();
            });
        }
        ASSERT_TRUE(producer_->flush(std::chrono::seconds(30)));
    };
    {
        stage_process first(c, dir_, "first");
        send({event("g", "g1", 10), event("b", "b1", 8), event("l", "l1", 6), event("b", "b2", 12),
              event("b", "b3", 16), event("b", "b4", 18)});
        // Read all six, g closed, b open, and the commit of offset 1 made.
        bool ready = false;
        for (int i = 0; i < 600 && !ready; ++i) {
            ready = first.metric("sessionize_events_total{result=\"accepted\"}") == 5 &&
                    first.metric("sessionize_events_total{result=\"late\"}") == 1 &&
                    first.metric("sessionize_sessions_closed_total{reason=\"gap\"}") == 1 &&
                    first.metric("sessionize_sessions_open") == 1 &&
                    first.metric("sessionize_commits_total") >= 1;
            if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ASSERT_TRUE(ready) << first.log();
        first.kill9();
    }
    // A day later: closes b on the restart.
    send({event("closer", "c1", 86'400, "closer")});
    stage_process second(c, dir_, "second");
    const std::string done =
        "SELECT count() FROM sessions FINAL WHERE site = 'shop' AND close_reason = 'gap' "
        "AND session_id = 'b-" +
        db_ + "' FORMAT TabSeparated";
    for (int i = 0; i < 600 && std::stoul("0" + ch(db_, done)) < 1; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(second.logged("partition_started"));
    EXPECT_NE(second.log().find("\"marks_restored\":true"), std::string::npos) << second.log();
    // Wait for the restarted stage to have read everything, then compare.
    for (int i = 0; i < 600 && second.metric("sessionize_events_total{result=\"accepted\"}") < 4;
         ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(second.metric("sessionize_events_total{result=\"late\"}"), 1) << "l is late again";
    EXPECT_EQ(second.terminate(), 0);
    const auto rows = ch(db_,
                         "SELECT session_id, events, close_reason FROM sessions FINAL WHERE site "
                         "= 'shop' AND events > 0 ORDER BY session_id FORMAT TabSeparated");
    EXPECT_EQ(rows, "b-" + db_ + "\t4\tgap\ng-" + db_ + "\t1\tgap\n")
        << "the sessions of an uninterrupted run: b and g, and no session for the late l";
    EXPECT_EQ(ch(db_,
                 "SELECT uniqExact(event_id) FROM events FINAL WHERE site = 'shop' FORMAT "
                 "TabSeparated"),
              "6\n");
}

TEST_F(sessionize_test, a_second_instance_joining_mid_run_gives_the_same_tables) {
    const json c = config(unique_name("j"));
    stage_process a(c, dir_, "a");
    const std::size_t half = stream_.size() / 2;
    produce(0, half);
    wait_for_events(1);
    // Every partition under way in a before b joins, so that whichever
    // partitions b is given, a has state to drop.
    const auto started = [&a] {
        const std::string log = a.log();
        int n = 0;
        for (auto at = log.find("\"partition_started\""); at != std::string::npos;
             at = log.find("\"partition_started\"", at + 1)) {
            ++n;
        }
        return n;
    };
    for (int i = 0; i < 300 && started() < partitions; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_GE(started(), partitions) << a.log();
    stage_process b(c, dir_, "b");
    // Partitions really move: b is given some and a drops them.
    for (int i = 0; i < 300 && !a.logged("partition_dropped"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(a.logged("partition_dropped")) << a.log();
    produce(half, stream_.size());
    // The first leaves; b takes everything over from the committed offsets.
    EXPECT_EQ(a.terminate(), 0);
    produce_closers();
    expect_tables_match();
    EXPECT_EQ(b.terminate(), 0);
    EXPECT_TRUE(b.logged("kafka_partitions_assigned"));
}

}  // namespace
}  // namespace clickstream::test
