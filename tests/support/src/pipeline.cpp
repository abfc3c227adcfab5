#include "support/pipeline.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/http_client.h"
#include "support/kafka_admin.h"
#include "support/stack.h"

namespace clickstream::test {
namespace {

using json = nlohmann::json;

// Free loopback ports, held open until all are chosen so they differ.
std::vector<int> free_ports(int n) {
    std::vector<int> fds, ports;
    for (int i = 0; i < n; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            ADD_FAILURE() << "no free loopback port";
        }
        fds.push_back(fd);
        ports.push_back(ntohs(a.sin_port));
    }
    for (const int fd : fds) ::close(fd);
    return ports;
}

bool process_alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto paren = line.rfind(')');
    if (paren == std::string::npos || paren + 2 >= line.size()) return false;
    const char state = line[paren + 2];
    return state != 'Z' && state != 'X';
}

// ClickHouse writes 64-bit integers (and decimals) as JSON strings.
double as_number(const json& v) {
    if (v.is_string()) return std::stod(v.get<std::string>());
    if (v.is_number()) return v.get<double>();
    return 0;
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

}  // namespace

// ---- private_clickhouse ----------------------------------------------------

private_clickhouse::private_clickhouse() {
    var_ = std::filesystem::temp_directory_path() / unique_name("private_clickhouse");
    std::filesystem::create_directories(var_);
    const auto ports = free_ports(3);
    http_port_ = ports[0];
    tcp_port_ = ports[1];
    interserver_port_ = ports[2];
    start();
}

private_clickhouse::~private_clickhouse() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(var_, ec);
}

std::string private_clickhouse::url() const {
    return "http://127.0.0.1:" + std::to_string(http_port_);
}

bool private_clickhouse::run_stack(const std::string& args) {
    const auto log = var_ / "stack.log";
    std::ostringstream cmd;
    cmd << "CLICKSTREAM_VAR='" << var_.string()
        << "' CLICKSTREAM_CLICKHOUSE_HTTP_PORT=" << http_port_
        << " CLICKSTREAM_CLICKHOUSE_TCP_PORT=" << tcp_port_
        << " CLICKSTREAM_CLICKHOUSE_INTERSERVER_PORT=" << interserver_port_ << " '"
        << (project_root() / "scripts/stack").string() << "' " << args << " >'" << log.string()
        << "' 2>&1";
    const int rc = std::system(cmd.str().c_str());
    if (rc != 0) {
        ADD_FAILURE() << "scripts/stack " << args << " failed (" << rc << "):\n" << read_file(log);
        return false;
    }
    return true;
}

bool private_clickhouse::start() {
    return run_stack("up clickhouse");
}

void private_clickhouse::stop() {
    run_stack("down clickhouse");
}

pid_t private_clickhouse::pid() const {
    std::ifstream in(var_ / "run/clickhouse.pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
}

bool private_clickhouse::running() const {
    const pid_t p = pid();
    return p > 0 && process_alive(p);
}

void private_clickhouse::kill() {
    const pid_t p = pid();
    ASSERT_GT(p, 0) << "no ClickHouse pid under " << var_;
    ::kill(p, SIGKILL);
    for (int i = 0; i < 300 && process_alive(p); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_FALSE(process_alive(p)) << "ClickHouse " << p << " survived SIGKILL";
}

bool private_clickhouse::migrate(const std::string& db) {
    const std::string cmd = "'" + (project_root() / "scripts/migrate").string() + "' --database " +
                            db + " --url " + url() + " >'" + (var_ / "migrate.log").string() +
                            "' 2>&1";
    if (std::system(cmd.c_str()) != 0) {
        ADD_FAILURE() << cmd << "\n" << read_file(var_ / "migrate.log");
        return false;
    }
    return true;
}

std::optional<std::string> private_clickhouse::query(const std::string& db, const std::string& sql,
                                                     std::string* error) const {
    http_request r;
    r.method = "POST";
    r.url = url() + "/?database=" + db;
    r.body = sql;
    r.timeout_ms = 60000;
    const auto res = send(r);
    if (res.status != 200) {
        if (error != nullptr)
            *error = sql + ": " + std::to_string(res.status) + " " + res.body + res.error;
        return std::nullopt;
    }
    return res.body;
}

// ---- truth_check -----------------------------------------------------------

std::string truth_check::describe() const {
    std::ostringstream out;
    out << "ground truth: " << truth_events << " events, " << truth_sessions << " sessions\n"
        << "events: " << distinct_events << " distinct ids, " << final_rows << " rows FINAL, "
        << stored_rows << " stored before merging; " << missing_events.size() << " missing, "
        << extra_events.size() << " not in the ground truth\n"
        << "sessions FINAL: " << session_rows << " rows; " << missing_sessions.size()
        << " missing, " << extra_sessions.size() << " not in the ground truth, "
        << differing_sessions.size() << " differ\n";
    if (!error.empty()) out << "error: " << error << "\n";
    const auto some = [&](const char* what, const std::vector<std::string>& v) {
        for (std::size_t i = 0; i < v.size() && i < 5; ++i)
            out << "  " << what << ": " << v[i] << "\n";
    };
    some("missing event", missing_events);
    some("extra event", extra_events);
    some("missing session", missing_sessions);
    some("extra session", extra_sessions);
    some("differing session", differing_sessions);
    return out.str();
}

// ---- pipeline --------------------------------------------------------------

const char* name_of(service s) {
    switch (s) {
        case service::collector:
            return "collector";
        case service::enrich:
            return "enrich";
        case service::sessionize:
            return "sessionize";
    }
    return "?";
}

pipeline::pipeline(pipeline_options options) : options_(std::move(options)) {
    db_ = unique_name(options_.name);
    for (auto& c : db_) {
        if (c == '-' || c == '.') c = '_';
    }
    dir_ = std::filesystem::temp_directory_path() / db_;
    std::filesystem::create_directories(dir_);
    collector_port_ = free_ports(1)[0];
    kafka_ = std::make_unique<private_kafka>();
    clickhouse_ = std::make_unique<private_clickhouse>();
    create_topic("clickstream.raw", options_.raw_partitions, kafka_->bootstrap());
    create_topic("clickstream.clean", options_.clean_partitions, kafka_->bootstrap());
    create_topic("clickstream.bots", 1, kafka_->bootstrap());
    create_topic("clickstream.dlq", 1, kafka_->bootstrap());
    clickhouse_->migrate(db_);
}

pipeline::~pipeline() {
    if (load_) load_->kill();
    for (auto& [s, r] : services_) {
        if (r.proc) r.proc->kill();
    }
    if (kafka_ && kafka_->pid() > 0) ::kill(kafka_->pid(), SIGCONT);
    if (clickhouse_ && clickhouse_->pid() > 0) ::kill(clickhouse_->pid(), SIGCONT);
    clickhouse_.reset();
    kafka_.reset();
    // Keep the logs of a failed test for whoever reads its output.
    if (!::testing::Test::HasFailure()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    } else {
        std::printf("pipeline logs kept in %s\n", dir_.c_str());
    }
}

std::string pipeline::collector_url() const {
    return "http://127.0.0.1:" + std::to_string(collector_port_);
}

std::filesystem::path pipeline::binary(service s) const {
    switch (s) {
        case service::collector:
            return env_or("CLICKSTREAM_COLLECTOR_BIN", CLICKSTREAM_PIPELINE_COLLECTOR_BIN);
        case service::enrich:
            return env_or("CLICKSTREAM_PROCESSOR_BIN", CLICKSTREAM_PIPELINE_PROCESSOR_BIN);
        case service::sessionize:
            return env_or("CLICKSTREAM_SESSIONIZE_BIN", CLICKSTREAM_PIPELINE_SESSIONIZE_BIN);
    }
    return {};
}

std::string pipeline::write_config(service s) const {
    const auto& o = options_;
    json c;
    switch (s) {
        case service::collector: {
            json sites = json::object();
            for (const auto& site : o.sites) {
                sites[site] = {{"origins", {"https://shop.example"}},
                               {"session_timeout_s", o.session_timeout_s}};
            }
            c = {{"log_level", "info"},
                 {"threads", 2},
                 {"http", {{"address", "127.0.0.1"}, {"port", collector_port_}}},
                 {"admin", {{"address", "127.0.0.1"}, {"port", 0}}},
                 {"kafka",
                  {{"brokers", kafka_->bootstrap()},
                   {"topic", "clickstream.raw"},
                   {"message_timeout_ms", o.collector_message_timeout_ms}}},
                 {"spool",
                  {{"dir", (dir_ / "spool").string()},
                   {"max_bytes", o.spool_max_bytes},
                   {"segment_bytes", o.spool_segment_bytes},
                   {"retry_after_s", o.spool_retry_after_s}}},
                 {"access_log_every", 0},
                 {"sites", sites}};
            break;
        }
        case service::enrich: {
            json sites = json::object();
            for (const auto& site : o.sites) sites[site] = {{"domains", {"shop.example"}}};
            c = {{"log_level", "info"},
                 {"root", project_root().string()},
                 {"http", {{"address", "127.0.0.1"}, {"port", 0}}},
                 {"kafka",
                  {{"brokers", kafka_->bootstrap()},
                   {"group_id", "faults-enrich"},
                   {"transactional_id", "faults-enrich-0"},
                   {"session_timeout_ms", 6000},
                   {"transaction_timeout_ms", 20000},
                   {"operation_timeout_ms", 10000},
                   {"consumer", {{"heartbeat.interval.ms", "500"}}}}},
                 {"topics",
                  {{"raw", "clickstream.raw"},
                   {"clean", "clickstream.clean"},
                   {"bots", "clickstream.bots"},
                   {"dlq", "clickstream.dlq"}}},
                 {"stage", {{"commit_interval_ms", o.enrich_commit_interval_ms}}},
                 // The load has no bots; historical traffic arrives far faster
                 // than its event time, so the behaviour rule is kept out of it.
                 {"bots", {{"events_per_second", 1000000}, {"burst", 1000000}}},
                 {"sites", sites}};
            break;
        }
        case service::sessionize: {
            json timeouts = json::object();
            for (const auto& site : o.sites) timeouts[site] = o.session_timeout_s;
            c = {{"log_level", "info"},
                 {"kafka",
                  {{"brokers", kafka_->bootstrap()},
                   {"group_id", "faults-sessionize"},
                   {"topic", "clickstream.clean"},
                   {"settings",
                    {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}}}},
                 {"clickhouse",
                  {{"url", clickhouse_->url()}, {"database", db_}, {"timeout_ms", 10000}}},
                 {"sessions",
                  {{"default_timeout_s", o.session_timeout_s},
                   {"site_timeouts_s", timeouts},
                   {"allowed_lateness_s", o.allowed_lateness_s},
                   {"idle_timeout_s", o.idle_timeout_s},
                   {"max_length_s", 60 * 86400}}},
                 {"batch", {{"interval_ms", o.sessionize_interval_ms}}},
                 {"retry", {{"initial_ms", 100}, {"max_ms", 1000}}},
                 {"http", {{"address", "127.0.0.1"}, {"port", 0}}},
                 {"shutdown_timeout_ms", 10000}};
            break;
        }
    }
    const auto path = dir_ / (std::string(name_of(s)) + ".json");
    std::ofstream(path) << c.dump(2);
    return path.string();
}

bool pipeline::start(service s) {
    auto& r = services_[s];
    if (r.proc && r.proc->running()) return true;
    ++r.runs;
    child_options c;
    c.argv.push_back(binary(s).string());
    if (s == service::enrich) c.argv.push_back("enrich");
    c.argv.push_back("--config");
    c.argv.push_back(write_config(s));
    c.log = dir_ / (std::string(name_of(s)) + "-" + std::to_string(r.runs) + ".log");
    r.proc = std::make_unique<child_process>(std::move(c));
    const char* ready =
        s == service::enrich ? "\"event\":\"enrich_started\"" : "\"event\":\"listening\"";
    const auto line = r.proc->wait_for_line(ready, std::chrono::seconds(60));
    if (!line) {
        ADD_FAILURE() << name_of(s) << " did not start:\n" << r.proc->log();
        return false;
    }
    const auto j = json::parse(*line, nullptr, false);
    // The port /metrics is on: the collector's admin listener, the stages' only one.
    r.port = j.is_object() ? j.value("admin_port", j.value("http_port", 0)) : 0;
    return r.port > 0;
}

bool pipeline::start_all() {
    return start(service::sessionize) && start(service::enrich) && start(service::collector);
}

void pipeline::kill(service s) {
    auto& r = services_[s];
    if (r.proc) r.proc->kill();
}

int pipeline::terminate(service s) {
    auto& r = services_[s];
    return r.proc ? r.proc->terminate() : -1;
}

bool pipeline::running(service s) {
    auto& r = services_[s];
    return r.proc && r.proc->running();
}

child_process* pipeline::process(service s) {
    return services_[s].proc.get();
}

std::string pipeline::log(service s) const {
    const auto it = services_.find(s);
    std::string out;
    for (int i = 1; it != services_.end() && i <= it->second.runs; ++i) {
        out += "---- " + std::string(name_of(s)) + " run " + std::to_string(i) + "\n";
        out += read_file(dir_ / (std::string(name_of(s)) + "-" + std::to_string(i) + ".log"));
    }
    return out;
}

std::optional<double> pipeline::metric(service s, const std::string& series) const {
    const auto it = services_.find(s);
    if (it == services_.end() || it->second.port == 0) return std::nullopt;
    http_request req;
    req.url = "http://127.0.0.1:" + std::to_string(it->second.port) + "/metrics";
    req.timeout_ms = 2000;
    const auto res = send(req);
    if (res.status != 200) return std::nullopt;
    for (const auto& line : lines_of(res.body)) {
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return std::nullopt;
}

double pipeline::metric_sum(service s, const std::string& name) const {
    const auto it = services_.find(s);
    if (it == services_.end() || it->second.port == 0) return 0;
    http_request req;
    req.url = "http://127.0.0.1:" + std::to_string(it->second.port) + "/metrics";
    req.timeout_ms = 2000;
    const auto res = send(req);
    double sum = 0;
    for (const auto& line : lines_of(res.body)) {
        if (line.rfind(name + " ", 0) == 0 || line.rfind(name + "{", 0) == 0) {
            sum += std::stod(line.substr(line.rfind(' ') + 1));
        }
    }
    return sum;
}

bool pipeline::wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

void pipeline::start_load(const load_options& load) {
    const auto n = std::to_string(truths_.size() + 1);
    const auto truth = dir_ / ("truth-" + n + ".jsonl");
    truths_.emplace_back(load.site, truth);
    child_options c;
    c.argv = {env_or("CLICKSTREAM_TRAFFIC_GEN_BIN", CLICKSTREAM_PIPELINE_TRAFFIC_GEN_BIN),
              "--collector",
              collector_url(),
              "--site",
              load.site,
              "--mode",
              "historical",
              "--seed",
              std::to_string(load.seed),
              "--visitors",
              std::to_string(load.visitors),
              "--days",
              std::to_string(load.days),
              "--start",
              load.start,
              "--bot-share",
              "0",
              "--session-timeout",
              std::to_string(options_.session_timeout_s),
              "--delivery-timeout",
              std::to_string(load.delivery_timeout_s),
              "--ground-truth",
              truth.string(),
              "--data",
              (project_root() / "node_modules").string(),
              "--state-dir",
              (dir_ / ("state-" + n)).string(),
              "--quiet"};
    c.log = dir_ / ("traffic-gen-" + n + ".log");
    load_ = std::make_unique<child_process>(std::move(c));
}

bool pipeline::load_running() {
    return load_ && load_->running();
}

std::optional<int> pipeline::finish_load(std::chrono::seconds limit) {
    if (!load_) return std::nullopt;
    return load_->wait(limit);
}

std::string pipeline::load_log() const {
    return load_ ? load_->log() : std::string();
}

truth_check pipeline::check(const std::string& site) const {
    truth_check out;
    struct session_truth {
        double start = 0, end = 0, events = 0, page_views = 0, conversions = 0, revenue = 0;
        std::string landing;
    };
    std::set<std::string> ids;
    std::map<std::string, session_truth> sessions;
    for (const auto& [s, file] : truths_) {
        if (s != site) continue;
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);) {
            const auto j = json::parse(line, nullptr, false);
            if (!j.is_object()) continue;
            const auto kind = j.value("kind", "");
            if (kind == "event") {
                ids.insert(j["id"].get<std::string>());
            } else if (kind == "session") {
                auto& t = sessions[j["session_id"].get<std::string>()];
                t.start = as_number(j["start"]);
                t.end = as_number(j["end"]);
                t.events = as_number(j["events"]);
                t.page_views = as_number(j["page_views"]);
                t.conversions = as_number(j["conversions"]);
                t.revenue = as_number(j["revenue"]);
                t.landing = j.value("landing_page", "");
            }
        }
    }
    out.truth_events = ids.size();
    out.truth_sessions = sessions.size();

    std::string err;
    const auto q = [&](const std::string& sql) {
        auto r = clickhouse_->query(db_, sql, &err);
        if (!r && out.error.empty()) out.error = err;
        return r.value_or("");
    };
    const std::string where = " WHERE site = '" + site + "'";
    std::set<std::string> stored;
    for (const auto& id :
         lines_of(q("SELECT event_id FROM events FINAL" + where + " FORMAT TabSeparated"))) {
        ++out.final_rows;
        stored.insert(id);
    }
    out.distinct_events = stored.size();
    const auto copies = lines_of(q("SELECT count() FROM events" + where + " FORMAT TabSeparated"));
    out.stored_rows = copies.empty() ? 0 : std::stoul(copies[0]);
    for (const auto& id : ids) {
        if (stored.count(id) == 0) out.missing_events.push_back(id);
    }
    for (const auto& id : stored) {
        if (ids.count(id) == 0) out.extra_events.push_back(id);
    }

    std::map<std::string, int> rows_of;
    for (const auto& line :
         lines_of(q("SELECT session_id, start_ms, end_ms, events, page_views, conversions, "
                    "revenue, landing_page, close_reason FROM sessions FINAL" +
                    where + " AND events > 0 FORMAT JSONEachRow"))) {
        const auto r = json::parse(line, nullptr, false);
        if (!r.is_object()) continue;
        ++out.session_rows;
        const auto sid = r["session_id"].get<std::string>();
        ++rows_of[sid];
        const auto it = sessions.find(sid);
        if (it == sessions.end()) {
            out.extra_sessions.push_back(line);
            continue;
        }
        const auto& t = it->second;
        const bool same = as_number(r["start_ms"]) == t.start && as_number(r["end_ms"]) == t.end &&
                          as_number(r["events"]) == t.events &&
                          as_number(r["page_views"]) == t.page_views &&
                          as_number(r["conversions"]) == t.conversions &&
                          std::abs(as_number(r["revenue"]) - t.revenue) < 0.005 &&
                          r.value("landing_page", "") == t.landing;
        if (!same) {
            std::ostringstream d;
            d << line << " vs truth start " << static_cast<std::int64_t>(t.start) << " end "
              << static_cast<std::int64_t>(t.end) << " events " << t.events << " page_views "
              << t.page_views << " conversions " << t.conversions << " revenue " << t.revenue
              << " landing " << t.landing;
            out.differing_sessions.push_back(d.str());
        }
    }
    for (const auto& [sid, t] : sessions) {
        const auto it = rows_of.find(sid);
        if (it == rows_of.end()) {
            out.missing_sessions.push_back(sid);
        } else if (it->second > 1) {
            out.differing_sessions.push_back(sid + ": " + std::to_string(it->second) + " rows");
        }
    }
    return out;
}

truth_check pipeline::wait_for_truth(const std::string& site, std::chrono::seconds limit) {
    truth_check last;
    wait_until(
        [&] {
            last = check(site);
            if (last.exact()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(500));  // FINAL is not free
            return false;
        },
        limit);
    if (!last.exact()) return last;
    // Matched: let the stages go idle, then nothing may have changed.
    wait_until(
        [&] {
            const auto lag = metric(service::enrich, "clickstream_enrich_lag_messages");
            const auto open = metric(service::enrich, "clickstream_enrich_transaction_open");
            return lag && *lag == 0 && open && *open == 0;
        },
        std::chrono::seconds(30));
    double seen = -1;
    wait_until(
        [&] {
            const double now = metric_sum(service::sessionize, "sessionize_events_total");
            const bool still = now == seen;
            seen = now;
            if (!still) std::this_thread::sleep_for(std::chrono::milliseconds(1000));
            return still;
        },
        std::chrono::seconds(30));
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * options_.sessionize_interval_ms));
    return check(site);
}

// ---- moments ---------------------------------------------------------------

bool collector_request_in_flight(const pipeline& p) {
    return p.metric(service::collector, "clickstream_collector_in_flight_requests").value_or(0) > 0;
}

bool collector_spool_holds_batches(const pipeline& p) {
    return p.metric(service::collector, "clickstream_collector_spool_records").value_or(0) > 0;
}

bool enrich_transaction_open(const pipeline& p) {
    return p.metric(service::enrich, "clickstream_enrich_transaction_open").value_or(0) == 1 &&
           p.metric(service::enrich, "clickstream_enrich_transaction_open_outputs").value_or(0) > 0;
}

bool sessionize_holds_uncommitted_work(const pipeline& p) {
    return p.metric(service::sessionize, "sessionize_sessions_open").value_or(0) > 0 &&
           p.metric(service::sessionize, "sessionize_commit_lag_messages").value_or(0) > 0;
}

bool sessionize_write_pending(const pipeline& p) {
    return p.metric(service::sessionize, "sessionize_paused").value_or(0) == 1;
}

}  // namespace clickstream::test
