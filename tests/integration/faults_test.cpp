// Faults under load, the short versions (docs/reliability.md, "Faults"): the
// whole pipeline on a Kafka and a ClickHouse of the test's own
// (support/pipeline.h), the traffic generator sending historical traffic
// through it, and one kind of fault per test — kill -9 of the broker, the
// collector (with a spool), enrich and sessionize, ClickHouse stopped, the
// spool full, the broker paused, everything killed at once. Each kill waits
// for work in flight, read from the service's own /metrics, while the load
// still runs. After each: every event the generator got a 2xx for is in
// `events` exactly once, and `sessions FINAL` is the ground truth's sessions.
// The long versions (random moments, minutes) are tests/soak/.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "support/pipeline.h"

namespace clickstream::test {
namespace {

using namespace std::chrono_literals;

// Waits for a moment (faults::await_moment); the test stops here if it never came.
#define AWAIT(...) ASSERT_NO_FATAL_FAILURE(await_moment(__VA_ARGS__))

class faults : public ::testing::Test {
protected:
    // The pipeline with its services up and the generator's load running.
    void start(pipeline_options o = {}) {
        o.name = "faults";
        o.sites = {load_.site};
        p_ = std::make_unique<pipeline>(o);
        ASSERT_TRUE(p_->start_all());
        p_->start_load(load_);
        // The load reaches the collector before any fault.
        AWAIT("the first batch acknowledged", [&] {
            return p_->metric_sum(service::collector, "clickstream_collector_batches_total") > 0;
        });
    }

    // Keeps the generator sending: a run that ended well is followed by the
    // next (other visitors, three simulated days later), so every fault falls
    // under load however fast the machine is.
    void keep_loading() {
        if (p_->load_running()) return;
        const auto status = p_->finish_load(std::chrono::seconds(1));
        ASSERT_TRUE(status.has_value());
        ASSERT_EQ(*status, 0) << "the generator failed:\n" << p_->load_log();
        ++runs_;
        char start[32];
        const int day = 1 + 3 * runs_;
        std::snprintf(start, sizeof start, "2025-%02d-%02d", 3 + (day - 1) / 28,
                      1 + (day - 1) % 28);
        load_.start = start;
        ++load_.seed;
        p_->start_load(load_);
    }

    // Waits until `moment` holds while the generator sends: a fault is
    // applied under load with work in flight, or the test fails here.
    void await_moment(const std::string& what, const std::function<bool()>& moment,
                      std::chrono::seconds limit = 60s) {
        const bool met = pipeline::wait_until(
            [&] {
                keep_loading();
                return HasFatalFailure() || (p_->load_running() && moment());
            },
            limit);
        ASSERT_FALSE(HasFatalFailure());
        ASSERT_TRUE(met) << "never saw " << what;
    }

    // The load ends (every batch answered 2xx), then the tables are the
    // ground truth.
    void finish_and_check() {
        const auto status = p_->finish_load(600s);
        ASSERT_TRUE(status.has_value()) << "the generator did not finish";
        ASSERT_EQ(*status, 0) << "the generator failed:\n" << p_->load_log();
        std::printf("%s", p_->load_log().c_str());  // its summary: delivered, refused, retried
        const auto r = p_->wait_for_truth(load_.site);
        std::printf("%s", r.describe().c_str());
        RecordProperty("events", static_cast<int>(r.truth_events));
        RecordProperty("sessions", static_cast<int>(r.truth_sessions));
        RecordProperty("stored_event_rows", static_cast<int>(r.stored_rows));
        EXPECT_TRUE(r.exact()) << r.describe() << "\ncollector:\n"
                               << tail(p_->log(service::collector)) << "\nenrich:\n"
                               << tail(p_->log(service::enrich)) << "\nsessionize:\n"
                               << tail(p_->log(service::sessionize));
        EXPECT_EQ(p_->metric_sum(service::enrich, "clickstream_enrich_dlq_total"), 0);
        EXPECT_EQ(p_->metric_sum(service::enrich, "clickstream_enrich_bots_total"), 0);
    }

    // The generator's count of batches sent again (after no answer, a
    // refused connection or a 503), from its summary line; -1 if absent.
    long batch_retries() const {
        const std::string log = p_->load_log();
        const auto at = log.rfind(" batch retries");
        if (at == std::string::npos) return -1;
        const auto from = log.find_last_not_of("0123456789", at - 1);
        return std::stol(log.substr(from + 1, at - from - 1));
    }

    static std::string tail(const std::string& text) {
        return text.size() > 6000 ? "…" + text.substr(text.size() - 6000) : text;
    }

    void kill_broker_and_restart() {
        p_->kafka().kill();
        // The collector notices: batches go to the spool.
        AWAIT("the collector spooling", [&] { return collector_spool_holds_batches(*p_); });
        ASSERT_TRUE(p_->kafka().start());
    }

    // A run is 150 visitors over 3 simulated days (about 1,900 events);
    // keep_loading() starts the next while faults remain to be applied.
    load_options load_{"faults", 7, 150, 3, "2025-03-01", 600};
    int runs_ = 0;
    std::unique_ptr<pipeline> p_;
};

TEST_F(faults, broker_kill_9_and_restart) {
    ASSERT_NO_FATAL_FAILURE(start());
    AWAIT("a transaction open in enrich and a request in the collector",
          [&] { return enrich_transaction_open(*p_) && collector_request_in_flight(*p_); });
    ASSERT_NO_FATAL_FAILURE(kill_broker_and_restart());
    finish_and_check();
}

TEST_F(faults, collector_kill_9_with_a_spool_and_requests_in_flight) {
    ASSERT_NO_FATAL_FAILURE(start());
    // The broker paused: batches go to the spool; kill with it holding some.
    for (int round = 0; round < 2; ++round) {
        ::kill(p_->kafka().pid(), SIGSTOP);
        AWAIT("the spool holding batches and a request in flight", [&] {
            return collector_spool_holds_batches(*p_) && collector_request_in_flight(*p_);
        });
        p_->kill(service::collector);
        ::kill(p_->kafka().pid(), SIGCONT);
        ASSERT_TRUE(p_->start(service::collector));
    }
    // And with the broker up, mid-request.
    for (int round = 0; round < 2; ++round) {
        AWAIT("a request in flight", [&] { return collector_request_in_flight(*p_); });
        p_->kill(service::collector);
        ASSERT_TRUE(p_->start(service::collector));
    }
    finish_and_check();
    // The kills cut requests off: the SDK sent those batches again.
    EXPECT_GT(batch_retries(), 0) << p_->load_log();
}

TEST_F(faults, enrich_kill_9_with_a_transaction_open) {
    ASSERT_NO_FATAL_FAILURE(start());
    for (int round = 0; round < 3; ++round) {
        AWAIT("a transaction open with outputs", [&] { return enrich_transaction_open(*p_); });
        p_->kill(service::enrich);
        ASSERT_TRUE(p_->start(service::enrich));
    }
    finish_and_check();
}

TEST_F(faults, sessionize_kill_9_with_uncommitted_sessions_and_a_pending_write) {
    ASSERT_NO_FATAL_FAILURE(start());
    for (int round = 0; round < 2; ++round) {
        AWAIT("open sessions past the committed offset",
              [&] { return sessionize_holds_uncommitted_work(*p_); });
        p_->kill(service::sessionize);
        ASSERT_TRUE(p_->start(service::sessionize));
    }
    // Mid-write: ClickHouse gone, the batch being retried.
    p_->clickhouse().stop();
    AWAIT("a batch waiting for ClickHouse", [&] { return sessionize_write_pending(*p_); });
    p_->kill(service::sessionize);
    ASSERT_TRUE(p_->clickhouse().start());
    ASSERT_TRUE(p_->start(service::sessionize));
    finish_and_check();
}

TEST_F(faults, clickhouse_stopped_for_a_while) {
    ASSERT_NO_FATAL_FAILURE(start());
    AWAIT("open sessions", [&] { return sessionize_holds_uncommitted_work(*p_); });
    p_->clickhouse().stop();
    AWAIT("sessionize paused on the outage", [&] { return sessionize_write_pending(*p_); });
    // The short version: a few seconds of outage while the load goes on
    // (tests/soak/ holds it for a minute).
    double first = -1;
    AWAIT("more clean events during the outage", [&] {
        const double now = p_->metric_sum(service::enrich, "clickstream_enrich_events_out_total");
        if (first < 0) first = now;
        return now > first + 50;
    });
    ASSERT_TRUE(p_->clickhouse().start());
    finish_and_check();
}

TEST_F(faults, collector_spool_full_answers_503_and_nothing_is_lost) {
    pipeline_options o;
    o.spool_max_bytes = 64 * 1024;
    o.spool_segment_bytes = 16 * 1024;
    ASSERT_NO_FATAL_FAILURE(start(o));
    ::kill(p_->kafka().pid(), SIGSTOP);
    AWAIT("the collector refusing with 503 (spool full)", [&] {
        return p_->metric(service::collector,
                          "clickstream_collector_batches_total{outcome=\"refused\"}")
                   .value_or(0) > 0;
    });
    ::kill(p_->kafka().pid(), SIGCONT);
    finish_and_check();
    // Refused batches came back after Retry-After and were taken.
    EXPECT_GT(batch_retries(), 0) << p_->load_log();
}

TEST_F(faults, slow_broker_paused_again_and_again) {
    ASSERT_NO_FATAL_FAILURE(start());
    for (int round = 0; round < 4; ++round) {
        AWAIT("a request in flight", [&] { return collector_request_in_flight(*p_); });
        ::kill(p_->kafka().pid(), SIGSTOP);
        std::this_thread::sleep_for(1500ms);
        ::kill(p_->kafka().pid(), SIGCONT);
        std::this_thread::sleep_for(500ms);
    }
    finish_and_check();
}

TEST_F(faults, everything_killed_at_once_and_restarted) {
    ASSERT_NO_FATAL_FAILURE(start());
    AWAIT("work in flight in every stage",
          [&] { return enrich_transaction_open(*p_) && sessionize_holds_uncommitted_work(*p_); });
    p_->kill(service::collector);
    p_->kill(service::enrich);
    p_->kill(service::sessionize);
    p_->kafka().kill();
    p_->clickhouse().kill();
    ASSERT_TRUE(p_->kafka().start());
    ASSERT_TRUE(p_->clickhouse().start());
    ASSERT_TRUE(p_->start_all());
    finish_and_check();
}

}  // namespace
}  // namespace clickstream::test
