// The collector against a broker of the test's own (support/private_kafka.h)
// that is killed (-9) mid-run and started again on the same ports and data,
// under a steady load of batches from clients that behave like the SDK: keep
// a batch until it got a 2xx, wait Retry-After on a 503. Every batch that got
// a 2xx ends up on the topic exactly once, byte for byte: with the collector
// running through the outage, with the collector killed too while its spool
// holds batches, and with the collector stopped (SIGTERM or kill -9) and
// restarted on its spool while the broker is still down.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "collector_support.h"
#include "support/http_client.h"
#include "support/private_kafka.h"

namespace {

namespace t = clickstream::test;
using json = nlohmann::json;

std::string batch(const std::string& id) {
    return R"({"v":1,"site":"demo","sent_at":1,"context":{"anonymous_id":"a-)" + id +
           R"("},"events":[{"id":")" + id + R"(","type":"page_view","ts":1}]})";
}

// The id in a batch() body.
std::string id_of(const std::string& body) {
    const auto start = body.find(R"("id":")");
    if (start == std::string::npos) return "<no id>";
    const auto from = start + 6;
    return body.substr(from, body.find('"', from) - from);
}

// A gauge or counter without labels from /metrics; -1 if absent.
double metric(const t::collector_process& c, const std::string& name) {
    const auto text = t::http_get(c.admin_url("/metrics")).body;
    const auto at = text.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + name.size() + 2));
}

// Clients posting numbered batches to whichever collector `url` names.
class sdk_like_load {
public:
    // Batch ids are prefix + client + "-" + number.
    sdk_like_load(std::string prefix, int clients, std::string base_url)
        : prefix_(std::move(prefix)), url_(std::move(base_url)) {
        for (int k = 0; k < clients; ++k) threads_.emplace_back([this, k] { run(k); });
    }
    ~sdk_like_load() { stop(); }

    void set_url(std::string base_url) {
        std::lock_guard lock(mutex_);
        url_ = std::move(base_url);
    }
    // New batches wait; returns once every client has finished its current one.
    void pause() {
        std::unique_lock lock(mutex_);
        paused_ = true;
        cv_.wait(lock, [&] { return idle_ == threads_.size(); });
    }
    void resume() {
        std::lock_guard lock(mutex_);
        paused_ = false;
        cv_.notify_all();
    }
    // Lets every client finish its batch (each keeps it until a 2xx), then joins.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            paused_ = false;
            cv_.notify_all();
        }
        for (auto& th : threads_) {
            if (th.joinable()) th.join();
        }
    }

    int count(long status) {
        std::lock_guard lock(mutex_);
        return statuses_[status];
    }
    // Waits (bounded) until `status` was answered `n` times in all.
    bool wait_for(long status, int n, std::chrono::seconds limit) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, limit, [&] { return statuses_[status] >= n; });
    }
    std::vector<std::string> accepted() {
        std::lock_guard lock(mutex_);
        return accepted_;
    }
    std::vector<std::string> problems() {
        std::lock_guard lock(mutex_);
        return problems_;
    }
    // Batches with an attempt that got no answer (connection dropped, timed out).
    std::set<std::string> lost() {
        std::lock_guard lock(mutex_);
        return lost_;
    }
    std::vector<std::string> lost_errors() {
        std::lock_guard lock(mutex_);
        return lost_errors_;
    }
    std::map<long, int> statuses() {
        std::lock_guard lock(mutex_);
        return statuses_;
    }

private:
    void run(int k) {
        for (int i = 0;; ++i) {
            std::string url;
            {
                std::unique_lock lock(mutex_);
                ++idle_;
                cv_.notify_all();
                cv_.wait(lock, [&] { return !paused_ || stopping_; });
                --idle_;
                if (stopping_) return;
            }
            const std::string id = prefix_ + std::to_string(k) + "-" + std::to_string(i);
            const std::string body = batch(id);
            bool done = false;
            // Bounded: 1500 attempts of at most a second's wait each.
            for (int attempt = 0; attempt < 1500 && !done; ++attempt) {
                {
                    std::lock_guard lock(mutex_);
                    url = url_;
                }
                auto r = t::http_post(url + "/v1/batch?site=demo", body,
                                      {"Content-Type: application/json"});
                std::chrono::milliseconds backoff(100);
                {
                    std::lock_guard lock(mutex_);
                    ++statuses_[r.status];
                    cv_.notify_all();
                    if (r.status == 204 || r.status == 202) {
                        accepted_.push_back(id);
                        done = true;
                    } else if (r.status == 503) {
                        const auto after = r.header("retry-after");
                        if (after.empty())
                            problems_.push_back("503 without Retry-After: " + r.body);
                        else
                            backoff = std::chrono::seconds(std::stoi(after));
                    } else if (r.status == 0) {
                        lost_.insert(id);  // it may have landed: a retry may double it
                        lost_errors_.push_back(id + ": " + r.error);
                    } else {
                        problems_.push_back(std::to_string(r.status) + " " + r.body);
                        done = true;
                    }
                }
                if (!done) std::this_thread::sleep_for(backoff);
            }
            if (!done) {
                std::lock_guard lock(mutex_);
                problems_.push_back(id + " never got a 2xx");
            }
        }
    }

    const std::string prefix_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::string url_;
    bool paused_ = false;
    bool stopping_ = false;
    std::size_t idle_ = 0;
    std::map<long, int> statuses_;
    std::vector<std::string> accepted_;
    std::vector<std::string> problems_;
    std::set<std::string> lost_;
    std::vector<std::string> lost_errors_;
    std::vector<std::thread> threads_;
};

class collector_broker_it : public ::testing::Test {
protected:
    void SetUp() override {
        kafka_ = std::make_unique<t::private_kafka>();
        ASSERT_TRUE(kafka_->running());
        topic_ = t::unique_name("it_broker");
        // One partition: the order on the topic is the order of acknowledgement.
        t::create_topic(topic_, 1, kafka_->bootstrap());
        spool_ = std::filesystem::temp_directory_path() / t::unique_name("spool");
    }
    void TearDown() override {
        kafka_.reset();
        std::filesystem::remove_all(spool_);
    }

    json config(std::uint64_t spool_bytes) const {
        return {
            {"http", {{"port", 0}}},
            {"threads", 2},
            {"kafka",
             {{"brokers", kafka_->bootstrap()}, {"topic", topic_}, {"message_timeout_ms", 2000}}},
            {"spool", {{"dir", spool_.string()}, {"max_bytes", spool_bytes}, {"retry_after_s", 1}}},
            {"access_log_every", 0},
            {"sites", {{"demo", {{"origins", json::array()}}}}}};
    }

    // Posts batches "warm-N" until Kafka acknowledges one (204): the producer
    // then has the topic's metadata and its producer id, so the load's first
    // batches do not time out while the client starts on a busy machine (a
    // batch whose produce timed out in flight is spooled and may land twice:
    // at least once). Warm-up batches are left out of the count.
    static void warm_up(t::collector_process& c) {
        for (int i = 0; i < 60; ++i) {
            auto r = t::http_post(c.url("/v1/batch?site=demo"), batch("warm-" + std::to_string(i)),
                                  {"Content-Type: application/json"});
            if (r.status == 204) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
        ADD_FAILURE() << "Kafka acknowledged no batch\n" << c.log_text();
    }

    // Waits (bounded) until the spool is empty, posts a last batch, stops the
    // collector, and reads the topic up to that batch: everything acknowledged
    // before it is on the topic by then, and nothing can follow it.
    t::consumed drain_and_read(t::collector_process& c) {
        double records = -1;
        for (int i = 0; i < 600 && records != 0; ++i) {
            records = metric(c, "clickstream_collector_spool_records");
            if (records != 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        EXPECT_EQ(records, 0) << "the spool was not replayed\n" << c.log_text();
        const std::string last = batch("last");
        auto r =
            t::http_post(c.url("/v1/batch?site=demo"), last, {"Content-Type: application/json"});
        EXPECT_EQ(r.status, 204) << r.error << r.body;
        EXPECT_EQ(c.terminate(), 0) << c.log_text();
        return t::read_topic_until(
            topic_,
            [&](const t::consumed& got) { return !got.empty() && got.back().msg.value == last; },
            std::chrono::seconds(90), kafka_->bootstrap());
    }

    // Each accepted batch exactly once, and nothing else but the last batch.
    // A batch one of whose attempts got no answer may be there twice: the
    // client could not know that the attempt had landed (at least once).
    static void expect_exactly_once(const std::vector<std::string>& accepted,
                                    const t::consumed& got,
                                    const std::set<std::string>& lost = {}) {
        std::map<std::string, int> on_topic;
        for (const auto& m : got) {
            const auto id = id_of(m.msg.value);
            ++on_topic[id];
            // The bytes as posted, with the site's header: nothing was changed on the way.
            EXPECT_EQ(m.msg.value, batch(id));
            EXPECT_EQ(t::header_of(m, "site"), "demo") << id;
        }
        ASSERT_FALSE(got.empty());
        EXPECT_EQ(id_of(got.back().msg.value), "last") << "the topic was read to its end";
        on_topic.erase("last");
        for (auto it = on_topic.begin(); it != on_topic.end();) {
            it = it->first.rfind("warm-", 0) == 0 ? on_topic.erase(it) : std::next(it);
        }
        int missing = 0, doubled = 0;
        for (const auto& id : accepted) {
            const int n = on_topic[id];
            if (n == 0) ++missing;
            if (lost.count(id) > 0) {
                EXPECT_GE(n, 1) << id;
                continue;
            }
            if (n > 1) ++doubled;
            EXPECT_EQ(n, 1) << id;
        }
        EXPECT_EQ(missing, 0);
        EXPECT_EQ(doubled, 0);
        EXPECT_EQ(on_topic.size(), accepted.size()) << "no batch that was not accepted";
    }

    std::unique_ptr<t::private_kafka> kafka_;
    std::string topic_;
    std::filesystem::path spool_;
};

TEST_F(collector_broker_it, broker_killed_mid_run_spools_then_503s_and_delivers_exactly_once) {
    // Room for a dozen batches: the outage fills it.
    t::collector_process c(config(4000));
    warm_up(c);
    sdk_like_load load("b", 3, c.url(""));
    ASSERT_TRUE(load.wait_for(204, 30, std::chrono::seconds(60))) << "no steady load";

    kafka_->kill();
    EXPECT_TRUE(load.wait_for(202, 5, std::chrono::seconds(60)))
        << "spooled while the broker is dead";
    EXPECT_TRUE(load.wait_for(503, 6, std::chrono::seconds(60))) << "503 once the spool is full";
    EXPECT_GT(metric(c, "clickstream_collector_spool_records"), 0);
    EXPECT_EQ(t::http_get(c.url("/readyz")).status, 503);

    const int before = load.count(204);
    ASSERT_TRUE(kafka_->start());
    EXPECT_TRUE(load.wait_for(204, before + 30, std::chrono::seconds(120)))
        << "back to Kafka after the restart\n"
        << c.log_text();
    load.stop();
    for (const auto& p : load.problems()) ADD_FAILURE() << p;
    const auto got = drain_and_read(c);
    expect_exactly_once(load.accepted(), got, load.lost());
    std::ostringstream summary;
    for (const auto& [status, n] : load.statuses()) summary << status << ": " << n << "  ";
    for (const auto& e : load.lost_errors()) summary << "\n  no answer: " << e;
    std::cout << "answers " << summary.str() << "\n";
}

TEST_F(collector_broker_it, collector_killed_with_a_full_spool_replays_it_exactly_once_later) {
    std::vector<std::string> accepted;
    std::set<std::string> lost;
    {
        t::collector_process first(config(1024 * 1024));
        warm_up(first);
        sdk_like_load load("first", 3, first.url(""));
        ASSERT_TRUE(load.wait_for(204, 20, std::chrono::seconds(60))) << "no steady load";
        kafka_->kill();
        EXPECT_TRUE(load.wait_for(202, 20, std::chrono::seconds(60)));
        load.pause();  // nothing in flight
        EXPECT_GT(metric(first, "clickstream_collector_spool_records"), 0);
        first.kill();
        load.stop();
        for (const auto& p : load.problems()) ADD_FAILURE() << p;
        accepted = load.accepted();
        lost = load.lost();
    }
    ASSERT_TRUE(kafka_->start());
    t::collector_process second(config(1024 * 1024));
    warm_up(second);
    {
        // New batches beside the replay: they go after it or straight to Kafka.
        sdk_like_load load("second", 2, second.url(""));
        EXPECT_TRUE(load.wait_for(204, 10, std::chrono::seconds(120))) << second.log_text();
        load.stop();
        for (const auto& p : load.problems()) ADD_FAILURE() << p;
        for (auto& id : load.accepted()) accepted.push_back(id);
        for (auto& id : load.lost()) lost.insert(id);
    }
    const auto got = drain_and_read(second);
    expect_exactly_once(accepted, got, lost);
}

// The collector stopped (`clean`: SIGTERM, else kill -9) while the broker is
// down and its spool holds batches, started again on that spool while the
// broker is still down (it takes more batches into the spool), stopped the
// same way again, and only then the broker and a third collector started: the
// spool of both earlier runs reaches the topic, each accepted batch exactly once.
class collector_restart_it : public collector_broker_it,
                             public ::testing::WithParamInterface<bool> {
protected:
    void stop(t::collector_process& c) {
        if (GetParam()) {
            EXPECT_EQ(c.terminate(), 0) << c.log_text();
        } else {
            c.kill();
        }
    }
    // Takes a finished load's accepted and unanswered batches.
    void collect(sdk_like_load& load) {
        load.stop();
        for (const auto& p : load.problems()) ADD_FAILURE() << p;
        for (auto& id : load.accepted()) accepted_.push_back(id);
        for (auto& id : load.lost()) lost_.insert(id);
    }

    std::vector<std::string> accepted_;
    std::set<std::string> lost_;
};

TEST_P(collector_restart_it,
       restarted_on_its_spool_while_the_broker_is_down_delivers_it_exactly_once) {
    constexpr std::uint64_t spool_bytes = 1024 * 1024;
    {
        t::collector_process first(config(spool_bytes));
        warm_up(first);
        sdk_like_load load("first", 3, first.url(""));
        ASSERT_TRUE(load.wait_for(204, 20, std::chrono::seconds(60))) << "no steady load";
        kafka_->kill();
        EXPECT_TRUE(load.wait_for(202, 20, std::chrono::seconds(60))) << first.log_text();
        load.pause();  // nothing in flight
        EXPECT_GT(metric(first, "clickstream_collector_spool_records"), 0);
        stop(first);
        collect(load);
    }
    const auto after_first = accepted_.size();
    {
        t::collector_process second(config(spool_bytes));
        EXPECT_GT(metric(second, "clickstream_collector_spool_records"), 0)
            << "the spool was reopened with its records";
        sdk_like_load load("second", 2, second.url(""));
        EXPECT_TRUE(load.wait_for(202, 10, std::chrono::seconds(90))) << second.log_text();
        load.pause();
        EXPECT_EQ(t::http_get(second.url("/readyz")).status, 503);
        stop(second);
        collect(load);
    }
    EXPECT_GT(accepted_.size(), after_first) << "the second collector took batches";
    ASSERT_TRUE(kafka_->start());
    t::collector_process third(config(spool_bytes));
    warm_up(third);
    {
        sdk_like_load load("third", 2, third.url(""));
        EXPECT_TRUE(load.wait_for(204, 10, std::chrono::seconds(120))) << third.log_text();
        collect(load);
    }
    const auto got = drain_and_read(third);
    expect_exactly_once(accepted_, got, lost_);
    std::cout << accepted_.size() << " batches accepted, " << lost_.size()
              << " with an attempt that got no answer, " << got.size() << " messages read\n";
}

INSTANTIATE_TEST_SUITE_P(stopped_by, collector_restart_it, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                             return std::string(param.param ? "sigterm" : "sigkill");
                         });

}  // namespace
