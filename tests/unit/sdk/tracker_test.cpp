// The native tracker: many threads tracking at once, errors through poll(),
// and shutdown keeping what it could not send for the next run.
#include "clickstream/tracker.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "batch_v1_rules.h"
#include "support/scripted_transport.h"
#include "support/stack.h"

namespace clickstream::test {
namespace {

using namespace std::chrono_literals;

tracker_config config_for(std::shared_ptr<scripted_transport> t) {
    tracker_config c;
    c.options.site = "native-test";
    c.options.endpoint = "http://127.0.0.1:9";
    c.options.retry.base_ms = 1;
    c.options.retry.max_ms = 5;
    c.transport = std::move(t);
    c.fetch_remote_config = false;
    return c;
}

std::unique_ptr<tracker> make(tracker_config c) {
    auto made = tracker::create(std::move(c));
    EXPECT_TRUE(made) << made.error();
    return made ? std::move(*made) : nullptr;
}

// Every event the transport was sent and accepted, in arrival order.
std::vector<nlohmann::json> delivered(scripted_transport& t) {
    std::vector<nlohmann::json> events;
    for (const auto& r : t.requests()) {
        const auto v = check_batch_v1(r.body);
        EXPECT_FALSE(v.has_value()) << v->reason << " at " << v->path;
        const auto batch = nlohmann::json::parse(r.body);
        for (const auto& e : batch["events"]) events.push_back(e);
    }
    return events;
}

TEST(tracker, events_from_many_threads_arrive_once_in_seq_order) {
    auto transport = std::make_shared<scripted_transport>();
    auto t = make(config_for(transport));
    ASSERT_TRUE(t);
    constexpr int threads = 4;
    constexpr int per_thread = 500;
    std::vector<std::thread> apps;
    for (int n = 0; n < threads; ++n) {
        apps.emplace_back([&t, n] {
            for (int i = 0; i < per_thread; ++i) {
                EXPECT_TRUE(t->track(custom("t" + std::to_string(n)).prop("i", i)));
            }
        });
    }
    for (auto& a : apps) a.join();
    ASSERT_TRUE(t->flush(10s));
    const auto events = delivered(*transport);
    ASSERT_EQ(events.size(), static_cast<std::size_t>(threads * per_thread));
    std::set<std::string> ids;
    std::map<std::string, int> next_i;
    for (std::size_t k = 0; k < events.size(); ++k) {
        ids.insert(events[k]["id"].get<std::string>());
        EXPECT_EQ(events[k]["seq"], k + 1);
        // Each thread's events keep their order.
        const auto name = events[k]["name"].get<std::string>();
        EXPECT_EQ(events[k]["props"]["i"], next_i[name]++);
    }
    EXPECT_EQ(ids.size(), events.size());
    EXPECT_EQ(t->stats().sent_events, events.size());
}

// Holds every send until opened, so the sender thread stays inside send().
class gated_transport final : public transport {
public:
    explicit gated_transport(std::shared_ptr<scripted_transport> inner)
        : inner_(std::move(inner)) {}
    send_result send(const send_request& r) noexcept override {
        std::unique_lock lock(mutex_);
        ++sending_;
        changed_.notify_all();
        changed_.wait(lock, [this] { return open_; });
        lock.unlock();
        return inner_->send(r);
    }
    bool wait_for_a_send(std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, [this] { return sending_ > 0; });
    }
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }

private:
    std::shared_ptr<scripted_transport> inner_;
    std::mutex mutex_;
    std::condition_variable changed_;
    int sending_ = 0;
    bool open_ = false;
};

TEST(tracker, a_stuck_sender_drops_the_oldest_waiting_events_and_their_seq) {
    auto recorded = std::make_shared<scripted_transport>();
    auto gate = std::make_shared<gated_transport>(recorded);
    auto c = config_for(recorded);
    c.transport = gate;
    c.options.batching.max_queue_events = 4;
    auto t = make(std::move(c));
    ASSERT_TRUE(t);
    ASSERT_TRUE(t->track(custom("first")));
    (void)t->flush(0ms);  // sends "first"; the gate holds the sender in send()
    ASSERT_TRUE(gate->wait_for_a_send(10s));
    for (int k = 0; k < 10; ++k) ASSERT_TRUE(t->track(custom("e" + std::to_string(k))));
    gate->open();
    ASSERT_TRUE(t->flush(10s));

    // What waited for the sender kept the newest four; the six before them
    // are counted and their seq numbers skipped, so the collector sees the gap.
    const auto events = delivered(*recorded);
    ASSERT_EQ(events.size(), 5U);
    EXPECT_EQ(events[0]["name"], "first");
    EXPECT_EQ(events[0]["seq"], 1);
    for (int k = 6; k < 10; ++k) {
        EXPECT_EQ(events[static_cast<std::size_t>(k - 5)]["name"], "e" + std::to_string(k));
        EXPECT_EQ(events[static_cast<std::size_t>(k - 5)]["seq"], k + 2);
    }
    EXPECT_EQ(t->stats().dropped_queue_full, 6U);
    EXPECT_EQ(t->stats().sent_events, 5U);
}

TEST(tracker, errors_reach_the_app_through_poll) {
    auto transport = std::make_shared<scripted_transport>();
    transport->answer_http(403);
    auto c = config_for(transport);
    std::vector<error_report> seen;
    c.on_error = [&seen](const error_report& e) { seen.push_back(e); };
    auto t = make(std::move(c));
    ASSERT_TRUE(t);
    ASSERT_TRUE(t->track(custom("refused")));
    ASSERT_TRUE(t->flush(5s));
    EXPECT_TRUE(seen.empty());  // nothing runs behind the app's back
    EXPECT_EQ(t->poll(5s), 1);
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(seen[0].code, errc::rejected);
    EXPECT_EQ(seen[0].status, 403);
    EXPECT_EQ(t->poll(0ms), 0);
    EXPECT_EQ(t->track(custom("")).error(), errc::invalid_argument);  // checked on the caller
}

TEST(tracker, shutdown_keeps_what_it_could_not_send_for_the_next_run) {
    const auto dir = std::filesystem::temp_directory_path() / unique_name("cs_tracker");
    auto down = std::make_shared<scripted_transport>();
    down->otherwise(send_result::retry("collector unreachable"));
    {
        auto c = config_for(down);
        c.storage_dir = dir.string();
        auto t = make(std::move(c));
        ASSERT_TRUE(t);
        for (int i = 0; i < 5; ++i) ASSERT_TRUE(t->track(screen_view("s" + std::to_string(i))));
        EXPECT_EQ(t->flush(50ms).error(), errc::timed_out);
        EXPECT_TRUE(t->shutdown(50ms).error() == errc::timed_out);
        EXPECT_EQ(t->track(custom("late")).error(), errc::shutting_down);
    }
    EXPECT_GT(down->request_count(), 0U);
    auto up = std::make_shared<scripted_transport>();
    auto c = config_for(up);
    c.storage_dir = dir.string();
    auto t = make(std::move(c));
    ASSERT_TRUE(t);
    ASSERT_TRUE(t->flush(10s));
    const auto events = delivered(*up);
    ASSERT_EQ(events.size(), 5U);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(events[i]["name"], "s" + std::to_string(i));
}

TEST(tracker, learns_the_session_timeout_from_the_collector) {
    auto transport = std::make_shared<scripted_transport>();
    transport->serve_config(R"({"session_timeout_s":900})");
    auto c = config_for(transport);
    c.fetch_remote_config = true;
    auto t = make(std::move(c));
    ASSERT_TRUE(t);
    ASSERT_TRUE(t->track(custom("x")));
    ASSERT_TRUE(t->flush(5s));
    ASSERT_EQ(transport->fetched().size(), 1U);
    EXPECT_EQ(transport->fetched()[0], "http://127.0.0.1:9/v1/config?site=native-test");
    const auto body = nlohmann::json::parse(transport->requests().at(0).body);
    EXPECT_EQ(body["context"]["session_timeout_s"], 900);
}

TEST(tracker, refuses_bad_options_with_a_reason) {
    tracker_config c = config_for(std::make_shared<scripted_transport>());
    c.options.site = "no spaces";
    auto made = tracker::create(c);
    ASSERT_FALSE(made);
    EXPECT_NE(made.error().find("site"), std::string::npos);
    c.options.site = "ok";
    c.options.batching.flush_interval_ms = 100;
    EXPECT_FALSE(tracker::create(c));
    c.options.batching.flush_interval_ms = 3000;
    EXPECT_TRUE(configure(c, "flush.interval.ms", "5000"));
    EXPECT_EQ(c.options.batching.flush_interval_ms, 5000);
    EXPECT_TRUE(configure(c, "nope", "1").error().unknown);
    EXPECT_FALSE(configure(c, "platform", "fridge").error().unknown);
    EXPECT_TRUE(configure(c, "header", "X-Key: abc"));
    EXPECT_EQ(c.options.headers.back().value, "abc");
}

TEST(tracker, is_valid_agrees_with_validate_and_each_message_names_its_option) {
    tracker_options o;
    o.site = "ok";
    EXPECT_TRUE(is_valid(o));
    EXPECT_TRUE(validate(o));
    const std::pair<void (*)(tracker_options&), const char*> bad[] = {
        {[](tracker_options& x) { x.site = "no spaces"; }, "site"},
        {[](tracker_options& x) { x.sdk_version.clear(); }, "sdk version"},
        {[](tracker_options& x) { x.context.tab_id.assign(65, 't'); }, "tab_id"},
        {[](tracker_options& x) {
             x.context.viewport = screen_size{100001, 1};
         },
         "viewport"},
        {[](tracker_options& x) { x.session.timeout_s = 0; }, "session timeout"},
        {[](tracker_options& x) { x.batching.max_batch_bytes = 10; }, "batch bytes"},
        {[](tracker_options& x) { x.retry.base_ms = 0; }, "retry"},
        {[](tracker_options& x) { x.user_agent = "a\nb"; }, "user agent"},
    };
    for (const auto& [spoil, name] : bad) {
        tracker_options x = o;
        spoil(x);
        EXPECT_FALSE(is_valid(x)) << name;
        const auto v = validate(x);
        ASSERT_FALSE(v) << name;
        EXPECT_NE(v.error().find(name), std::string::npos) << v.error();
    }
}

}  // namespace
}  // namespace clickstream::test
