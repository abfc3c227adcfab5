// pipeline: the whole clickstream pipeline on a stack of the test's own, for
// fault tests that kill, stop and slow its parts without touching the shared
// stack:
//
//   clickstream-traffic-gen ─▶ clickstream-collector ─▶ clickstream.raw ─▶
//   clickstream-processor enrich ─▶ clickstream.clean ─▶ clickstream-sessionize
//   ─▶ ClickHouse (events, sessions)
//
// Kafka is a private_kafka, ClickHouse a private_clickhouse (both through
// scripts/stack with a temporary CLICKSTREAM_VAR and free ports), each
// service a child_process with its config file and log in the pipeline's
// directory. Each service can be started, killed (-9), stopped (TERM),
// paused (SIGSTOP) and restarted; its /metrics read; the generator's load
// started and its ground truth compared with `events` and `sessions FINAL`.
//
// The binaries are the build's (compiled in by tests/integration/faults.cmake);
// CLICKSTREAM_COLLECTOR_BIN, CLICKSTREAM_PROCESSOR_BIN, CLICKSTREAM_SESSIONIZE_BIN
// and CLICKSTREAM_TRAFFIC_GEN_BIN in the environment override them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/private_kafka.h"

namespace clickstream::test {

// A ClickHouse of the test's own: `scripts/stack up clickhouse` with a
// temporary CLICKSTREAM_VAR and three free loopback ports. stop() is a clean
// stop, kill() a kill -9; start() brings it back on the same ports and data.
class private_clickhouse {
public:
    private_clickhouse();
    ~private_clickhouse();
    private_clickhouse(const private_clickhouse&) = delete;
    private_clickhouse& operator=(const private_clickhouse&) = delete;

    std::string url() const;  // "http://127.0.0.1:<port>"
    bool start();
    void stop();
    void kill();
    pid_t pid() const;
    bool running() const;

    // scripts/migrate --database `db` --url url().
    bool migrate(const std::string& db);
    // One statement; the answer's body, or nullopt (with the reason in
    // `error`) if ClickHouse did not answer 200.
    std::optional<std::string> query(const std::string& db, const std::string& sql,
                                     std::string* error = nullptr) const;

private:
    bool run_stack(const std::string& args);

    std::filesystem::path var_;
    int http_port_ = 0, tcp_port_ = 0, interserver_port_ = 0;
};

enum class service { collector, enrich, sessionize };
const char* name_of(service s);

struct pipeline_options {
    std::string name = "pipeline";  // prefix of the directory and database
    std::vector<std::string> sites = {"demo"};
    int session_timeout_s = 1800;  // every site's, in the collector and sessionize
    int raw_partitions = 2;
    int clean_partitions = 2;
    std::uint64_t spool_max_bytes = 64ULL << 20;
    std::uint64_t spool_segment_bytes = 4ULL << 20;
    int spool_retry_after_s = 1;
    int collector_message_timeout_ms = 3000;
    int enrich_commit_interval_ms = 500;
    int sessionize_interval_ms = 300;
    int idle_timeout_s = 2;
    // Historical traffic runs days of event time in seconds of wall time, so
    // a batch held back by a fault for seconds is hours "late": lateness is
    // set past the generated window so no event is late because of a fault.
    int allowed_lateness_s = 40 * 86400;
};

struct load_options {
    std::string site = "demo";
    unsigned seed = 1;
    int visitors = 40;
    int days = 2;
    std::string start = "2025-03-01";
    int delivery_timeout_s = 600;
};

// What the tables hold against the ground truth of one site.
struct truth_check {
    std::size_t truth_events = 0, truth_sessions = 0;
    std::size_t distinct_events = 0;  // distinct ids of the site in `events`
    std::size_t final_rows = 0;       // rows of `events FINAL`
    std::size_t stored_rows = 0;      // rows before merging (copies of retries)
    std::vector<std::string> missing_events, extra_events;
    std::size_t session_rows = 0;  // `sessions FINAL` rows with events > 0
    std::vector<std::string> missing_sessions, extra_sessions, differing_sessions;
    std::string error;  // ClickHouse did not answer

    bool exact() const {
        return error.empty() && missing_events.empty() && extra_events.empty() &&
               final_rows == truth_events && distinct_events == truth_events &&
               missing_sessions.empty() && extra_sessions.empty() && differing_sessions.empty() &&
               session_rows == truth_sessions;
    }
    std::string describe() const;
};

class pipeline {
public:
    // Starts Kafka and ClickHouse, makes the topics and migrates a database;
    // the services are started with start().
    explicit pipeline(pipeline_options options = {});
    ~pipeline();
    pipeline(const pipeline&) = delete;
    pipeline& operator=(const pipeline&) = delete;

    const pipeline_options& options() const { return options_; }
    private_kafka& kafka() { return *kafka_; }
    private_clickhouse& clickhouse() { return *clickhouse_; }
    const std::string& database() const { return db_; }
    const std::filesystem::path& dir() const { return dir_; }
    std::string collector_url() const;

    // Starts the service and waits until it listens (false, with its log in a
    // test failure, if it did not).
    bool start(service s);
    bool start_all();
    void kill(service s);      // kill -9
    int terminate(service s);  // SIGTERM, its exit status
    bool restart(service s) {
        kill(s);
        return start(s);
    }
    bool running(service s);
    child_process* process(service s);
    std::string log(service s) const;  // every run's log, in order

    // One series of /metrics ("name" or "name{labels}"); nullopt if absent or
    // the service did not answer.
    std::optional<double> metric(service s, const std::string& series) const;
    // The sum of every series of a metric (all label sets); 0 if none.
    double metric_sum(service s, const std::string& name) const;
    // Polls `done` every 20 ms until it holds or `limit` passed.
    static bool wait_until(const std::function<bool()>& done,
                           std::chrono::milliseconds limit = std::chrono::seconds(60));

    // The traffic generator, historical mode, no bots; its ground truth is
    // kept for check().
    void start_load(const load_options& load);
    bool load_running();
    // Waits for the generator; its exit status (nullopt after `limit`).
    std::optional<int> finish_load(std::chrono::seconds limit = std::chrono::seconds(600));
    std::string load_log() const;

    // Compares the tables with every ground truth of `site` loaded so far.
    truth_check check(const std::string& site) const;
    // Polls check() until it is exact or `limit` passed; then, once the
    // stages are idle, checks once more (nothing may arrive after a match).
    truth_check wait_for_truth(const std::string& site,
                               std::chrono::seconds limit = std::chrono::seconds(180));

private:
    struct running_service {
        std::unique_ptr<child_process> proc;
        int port = 0;
        int runs = 0;
    };
    std::string write_config(service s) const;
    std::filesystem::path binary(service s) const;

    pipeline_options options_;
    std::filesystem::path dir_;
    std::string db_;
    std::unique_ptr<private_kafka> kafka_;
    std::unique_ptr<private_clickhouse> clickhouse_;
    int collector_port_ = 0;
    std::map<service, running_service> services_;
    std::unique_ptr<child_process> load_;
    std::vector<std::pair<std::string, std::filesystem::path>> truths_;  // site, file
};

// Moments when work is in flight, read from each service's own /metrics: a
// fault test waits for one of these (and that the load still runs) before it
// kills, so a kill is never left to chance.
//
// The collector holds requests it has not answered yet.
bool collector_request_in_flight(const pipeline& p);
// The collector's disk spool holds batches not yet delivered to Kafka.
bool collector_spool_holds_batches(const pipeline& p);
// Enrich has a transaction open with outputs produced into it.
bool enrich_transaction_open(const pipeline& p);
// Sessionize holds open sessions whose offsets are not committed.
bool sessionize_holds_uncommitted_work(const pipeline& p);
// Sessionize is retrying a batch that ClickHouse did not take (paused).
bool sessionize_write_pending(const pipeline& p);

}  // namespace clickstream::test
