// Faults under load, the long versions (label soak, scripts/soak): the whole
// pipeline on a stack of the test's own (support/pipeline.h) with the traffic
// generator sending run after run, and kills at random moments for minutes —
// each one still aimed at work in flight, read from the service's /metrics.
// At the end every event the generator got a 2xx for is in `events` exactly
// once and `sessions FINAL` is the ground truth's.
//
//   CLICKSTREAM_SOAK_SECONDS  how long faults go on (default 300)
//   CLICKSTREAM_SOAK_SEED     the random seed (default: random, printed)
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/pipeline.h"

namespace clickstream::test {
namespace {

using namespace std::chrono_literals;

long env_long(const char* name, long fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::strtol(v, nullptr, 10) : fallback;
}

class soak : public ::testing::Test {
protected:
    void SetUp() override {
        seed_ = static_cast<unsigned>(env_long("CLICKSTREAM_SOAK_SEED", std::random_device{}()));
        std::printf("seed %u (CLICKSTREAM_SOAK_SEED=%u reruns it)\n", seed_, seed_);
        rng_.seed(seed_);
        pipeline_options o;
        o.name = "soak";
        o.sites = {site_};
        p_ = std::make_unique<pipeline>(o);
        ASSERT_TRUE(p_->start_all());
    }

    // Keeps the generator running: when a run ends (it must end well), the
    // next starts, three simulated days later.
    void keep_loading() {
        if (p_->load_running()) return;
        if (runs_ > 0) {
            const auto status = p_->finish_load(1s);
            ASSERT_TRUE(status.has_value());
            ASSERT_EQ(*status, 0) << "generator run " << runs_ << " failed:\n" << p_->load_log();
        }
        char start[32];
        const int day = 1 + 3 * runs_;
        std::snprintf(start, sizeof start, "2025-%02d-%02d", 3 + (day - 1) / 28,
                      1 + (day - 1) % 28);
        p_->start_load({site_, static_cast<unsigned>(rng_()), 150, 3, start, 900});
        ++runs_;
    }

    // Waits for `moment` while keeping the load going; false if it did not
    // come within the limit (the fault is then not applied, and counted).
    bool await(const std::function<bool()>& moment, std::chrono::seconds limit = 60s) {
        return pipeline::wait_until(
            [&] {
                keep_loading();
                return p_->load_running() && moment();
            },
            limit);
    }

    void finish_and_check() {
        const auto status = p_->finish_load(900s);
        ASSERT_TRUE(status.has_value()) << "the generator did not finish";
        ASSERT_EQ(*status, 0) << p_->load_log();
        std::printf("%s", p_->load_log().c_str());
        const auto r = p_->wait_for_truth(site_, 600s);
        std::printf("%s", r.describe().c_str());
        RecordProperty("events", static_cast<int>(r.truth_events));
        RecordProperty("sessions", static_cast<int>(r.truth_sessions));
        EXPECT_TRUE(r.exact()) << r.describe();
    }

    unsigned seed_ = 0;
    std::mt19937 rng_;
    std::string site_ = "soak";
    int runs_ = 0;
    std::unique_ptr<pipeline> p_;
};

TEST_F(soak, random_kills_under_load_for_minutes) {
    struct fault {
        std::string name;
        std::function<bool()> moment;
        std::function<void()> apply;
    };
    auto& p = *p_;
    const auto broker = [&] { return p.kafka().pid(); };
    std::vector<fault> kinds = {
        {"collector kill -9 mid-request", [&] { return collector_request_in_flight(p); },
         [&] {
             p.kill(service::collector);
             EXPECT_TRUE(p.start(service::collector));
         }},
        {"collector kill -9 with a spool",
         [&] {
             ::kill(broker(), SIGSTOP);
             const bool spooled = pipeline::wait_until(
                 [&] { return collector_spool_holds_batches(p) || !p.load_running(); }, 30s);
             return spooled && collector_spool_holds_batches(p);
         },
         [&] {
             p.kill(service::collector);
             ::kill(broker(), SIGCONT);
             EXPECT_TRUE(p.start(service::collector));
         }},
        {"enrich kill -9 in a transaction", [&] { return enrich_transaction_open(p); },
         [&] {
             p.kill(service::enrich);
             EXPECT_TRUE(p.start(service::enrich));
         }},
        {"sessionize kill -9 holding sessions",
         [&] { return sessionize_holds_uncommitted_work(p); },
         [&] {
             p.kill(service::sessionize);
             EXPECT_TRUE(p.start(service::sessionize));
         }},
        {"broker kill -9", [&] { return enrich_transaction_open(p); },
         [&] {
             p.kafka().kill();
             std::this_thread::sleep_for(std::chrono::milliseconds(rng_() % 5000));
             EXPECT_TRUE(p.kafka().start());
         }},
        {"broker paused (slow)", [&] { return collector_request_in_flight(p); },
         [&] {
             ::kill(broker(), SIGSTOP);
             std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng_() % 4000));
             ::kill(broker(), SIGCONT);
         }},
        {"ClickHouse kill -9", [&] { return sessionize_holds_uncommitted_work(p); },
         [&] {
             p.clickhouse().kill();
             std::this_thread::sleep_for(std::chrono::milliseconds(rng_() % 5000));
             EXPECT_TRUE(p.clickhouse().start());
         }},
        {"everything at once",
         [&] { return enrich_transaction_open(p) && sessionize_holds_uncommitted_work(p); },
         [&] {
             p.kill(service::collector);
             p.kill(service::enrich);
             p.kill(service::sessionize);
             p.kafka().kill();
             p.clickhouse().kill();
             EXPECT_TRUE(p.kafka().start());
             EXPECT_TRUE(p.clickhouse().start());
             EXPECT_TRUE(p.start_all());
         }},
    };
    std::map<std::string, int> applied, missed;
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::seconds(env_long("CLICKSTREAM_SOAK_SECONDS", 300));
    while (std::chrono::steady_clock::now() < end && !HasFailure()) {
        // A random pause under load, then a random fault at its moment.
        const auto pause =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(500 + rng_() % 6000);
        pipeline::wait_until(
            [&] {
                keep_loading();
                return std::chrono::steady_clock::now() >= pause;
            },
            20s);
        auto& f = kinds[rng_() % kinds.size()];
        if (await(f.moment, 30s)) {
            f.apply();
            ++applied[f.name];
            std::printf("fault: %s\n", f.name.c_str());
            std::fflush(stdout);
        } else {
            ::kill(broker(), SIGCONT);  // a spool wait may have paused it
            ++missed[f.name];
        }
    }
    std::printf("\n%-40s %8s %8s\n", "fault", "applied", "missed");
    for (const auto& f : kinds) {
        std::printf("%-40s %8d %8d\n", f.name.c_str(), applied[f.name], missed[f.name]);
    }
    std::printf("generator runs: %d\n", runs_);
    finish_and_check();
}

TEST_F(soak, clickhouse_stopped_for_a_minute) {
    keep_loading();
    ASSERT_TRUE(await([&] { return sessionize_holds_uncommitted_work(*p_); }));
    p_->clickhouse().stop();
    ASSERT_TRUE(await([&] { return sessionize_write_pending(*p_); }));
    const auto back = std::chrono::steady_clock::now() + 60s;
    pipeline::wait_until(
        [&] {
            keep_loading();
            return std::chrono::steady_clock::now() >= back;
        },
        90s);
    EXPECT_TRUE(sessionize_write_pending(*p_)) << "still paused after a minute";
    ASSERT_TRUE(p_->clickhouse().start());
    finish_and_check();
}

}  // namespace
}  // namespace clickstream::test
