// Flush triggers, the retry schedule, Retry-After, drops by the collector.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core_rig.h"

namespace clickstream::test {
namespace {

constexpr auto never = std::numeric_limits<std::int64_t>::max();

TEST(trigger, oldest_event_age) {
    core_rig rig;
    auto& core = rig.start();
    const auto t0 = rig.clock.now_ms();
    rig.track_n(1);
    rig.clock.advance(1000);
    rig.track_n(1);
    EXPECT_EQ(core.next_wakeup_ms(), t0 + 3000);  // from the oldest, not the newest
    rig.clock.set(t0 + 2999);
    EXPECT_EQ(rig.pump_all(), 0);
    rig.clock.set(t0 + 3000);
    EXPECT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(rig.last_batch()["events"].size(), 2U);
    EXPECT_EQ(core.next_wakeup_ms(), never);
}

TEST(trigger, event_count) {
    core_rig rig;
    auto& core = rig.start();
    rig.track_n(49);
    EXPECT_EQ(rig.pump_all(), 0);
    rig.track_n(1);
    EXPECT_EQ(core.next_wakeup_ms(), rig.clock.now_ms());
    EXPECT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(rig.last_batch()["events"].size(), 50U);
}

TEST(trigger, batch_size_in_bytes) {
    core_rig rig;
    auto& core = rig.start();
    const std::string filler(1000, 'x');
    int tracked = 0;
    while (core.stats().queued_bytes < rig.options.batching.max_batch_bytes) {
        EXPECT_EQ(rig.pump_all(), 0);
        ASSERT_TRUE(core.track(custom("big").prop("filler", filler)));
        ++tracked;
    }
    ASSERT_LT(tracked, 50);
    ASSERT_GE(rig.pump_all(), 1);
    for (const auto& r : rig.transport.requests()) {
        EXPECT_LE(r.body.size(), rig.options.batching.max_batch_bytes);
    }
}

TEST(trigger, explicit_flush_and_lifecycle) {
    core_rig rig;
    auto& core = rig.start();
    rig.track_n(1);
    EXPECT_EQ(rig.pump_all(), 0);
    core.flush();
    EXPECT_EQ(rig.pump_all(), 1);
    rig.track_n(1);
    core.on_lifecycle(lifecycle::foreground);
    EXPECT_EQ(rig.pump_all(), 0);
    core.on_lifecycle(lifecycle::background);
    EXPECT_EQ(rig.pump_all(), 1);
    rig.track_n(1);
    core.on_lifecycle(lifecycle::page_hide);
    EXPECT_EQ(rig.pump_all(), 1);
}

TEST(trigger, flush_splits_the_queue_in_order) {
    core_rig rig;
    auto& core = rig.start();
    for (int i = 0; i < 120; ++i) {
        ASSERT_TRUE(core.track(custom("e")));
        if (i % 50 == 49) {
            ASSERT_EQ(rig.pump_all(), 1);
        }
    }
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    std::int64_t seq = 0;
    for (std::size_t b = 0; b < 3; ++b) {
        const auto batch = rig.batch(b);
        for (const auto& e : batch["events"]) EXPECT_EQ(e["seq"], ++seq);
    }
    EXPECT_EQ(seq, 120);
    EXPECT_TRUE(core.drained());
}

TEST(trigger, an_event_that_cannot_fit_a_batch_is_refused_and_counted) {
    core_rig rig;
    auto& core = rig.start();
    event huge = custom("huge");
    for (int i = 0; i < 62; ++i) huge.prop("k" + std::to_string(i), std::string(1000, 'y'));
    EXPECT_EQ(core.track(std::move(huge)).error(), errc::too_large);
    rig.track_n(1);
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    const auto b = rig.last_batch();
    EXPECT_EQ(b["dropped"]["rejected"], 1);
    EXPECT_EQ(b["events"][0]["seq"], 2);  // the gap is the counted drop
}

TEST(trigger, invalid_events_are_refused_whole) {
    core_rig rig;
    auto& core = rig.start();
    EXPECT_EQ(core.track(custom("")).error(), errc::invalid_argument);
    EXPECT_EQ(core.track(conversion("buy", 1.0, "eur")).error(), errc::invalid_argument);
    EXPECT_EQ(core.track(scroll(101)).error(), errc::invalid_argument);
    event no_element;
    no_element.type = event_type::click;
    EXPECT_EQ(core.track(no_element).error(), errc::invalid_argument);
    EXPECT_EQ(core.track(custom("n").prop("nan", std::nan(""))).error(), errc::invalid_argument);
    EXPECT_EQ(core.track(page_view(std::string(8193, 'u'))).error(), errc::too_large);
    EXPECT_EQ(core.identify("").error(), errc::invalid_argument);
    EXPECT_EQ(core.stats().queued_events, 0U);
}

// The retry schedule: with the jitter drawing its maximum, waits double from
// the base to the cap; with a fraction f, the wait is f of the cap.
TEST(retry, exponential_backoff_with_full_jitter_capped) {
    core_rig rig;
    rig.options.retry.base_ms = 1000;
    rig.options.retry.max_ms = 10000;
    auto& core = rig.start();
    rig.transport.otherwise(send_result::retry("connection refused"));
    rig.track_n(1);
    core.flush();
    const std::int64_t expected[] = {1000, 2000, 4000, 8000, 10000, 10000};
    for (std::int64_t wait : expected) {
        rig.random.push_fraction(1.0);
        ASSERT_EQ(rig.pump_all(), 1);
        const auto t = rig.clock.now_ms();
        EXPECT_EQ(core.next_wakeup_ms(), t + wait);
        rig.clock.set(t + wait - 1);
        EXPECT_EQ(rig.pump_all(), 0);
        rig.clock.set(t + wait);
    }
    rig.random.push_fraction(0.25);
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(core.next_wakeup_ms(), rig.clock.now_ms() + 2500);
    rig.clock.advance(2500);
    rig.random.push_fraction(0.0);
    ASSERT_TRUE(core.pump(rig.transport));
    EXPECT_EQ(core.next_wakeup_ms(), rig.clock.now_ms());
    // Success resets the schedule.
    rig.transport.otherwise(send_result::sent());
    ASSERT_EQ(rig.pump_all(), 1);
    rig.track_n(1);
    core.flush();
    rig.transport.answer_http(503);
    rig.random.push_fraction(1.0);
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(core.next_wakeup_ms(), rig.clock.now_ms() + 1000);
    EXPECT_EQ(core.stats().retries, 9U);
}

TEST(retry, honours_retry_after_up_to_its_cap) {
    core_rig rig;
    rig.options.retry.max_retry_after_ms = 60000;
    auto& core = rig.start();
    rig.track_n(1);
    core.flush();
    rig.transport.answer_http(503, 7000);
    rig.transport.answer_http(429, 3600000);
    const auto draws = rig.random.scripted_left();
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(core.next_wakeup_ms(), rig.clock.now_ms() + 7000);
    rig.clock.advance(7000);
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(core.next_wakeup_ms(), rig.clock.now_ms() + 60000);
    EXPECT_EQ(rig.random.scripted_left(), draws);  // no jitter drawn
    rig.clock.advance(60000);
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_TRUE(core.drained());
}

TEST(retry, statuses_map_to_sent_retry_or_drop) {
    using o = send_result::outcome;
    for (int s : {200, 202, 204}) EXPECT_EQ(classify_http_status(s, -1).what, o::sent) << s;
    for (int s : {408, 429, 500, 502, 503, 504})
        EXPECT_EQ(classify_http_status(s, -1).what, o::retry) << s;
    for (int s : {301, 400, 401, 403, 404, 413, 422})
        EXPECT_EQ(classify_http_status(s, -1).what, o::drop) << s;
    EXPECT_EQ(classify_http_status(503, 1500).retry_after_ms, 1500);
}

TEST(retry, sent_at_is_stamped_at_each_attempt) {
    core_rig rig;
    auto& core = rig.start();
    rig.track_n(2);
    core.flush();
    rig.transport.answer_http(500);
    rig.random.push_fraction(1.0);
    ASSERT_EQ(rig.pump_all(), 1);
    rig.clock.advance(1000);
    ASSERT_EQ(rig.pump_all(), 1);
    auto first = rig.batch(0);
    auto second = rig.batch(1);
    EXPECT_EQ(second["sent_at"].get<std::int64_t>() - first["sent_at"].get<std::int64_t>(), 1000);
    first.erase("sent_at");
    second.erase("sent_at");
    EXPECT_EQ(first, second);  // otherwise the same batch: same ids, same ts
}

TEST(retry, a_refused_batch_is_dropped_counted_and_reported) {
    core_rig rig;
    auto& core = rig.start();
    rig.track_n(3);
    core.flush();
    rig.transport.answer_http(400);
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_TRUE(core.drained());
    EXPECT_EQ(rig.store->record_count(), 0U);
    const auto errors = core.take_errors();
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].code, errc::rejected);
    EXPECT_EQ(errors[0].status, 400);
    EXPECT_EQ(errors[0].events, 3U);
    EXPECT_EQ(errors[0].reason, "HTTP 400");  // the transport's own reason
    EXPECT_TRUE(core.take_errors().empty());
    rig.track_n(1);
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(rig.last_batch()["dropped"]["rejected"], 3);
    rig.track_n(1);
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(rig.last_batch()["dropped"]["rejected"], 0);  // since the previous batch only
    EXPECT_EQ(core.stats().dropped_rejected, 3U);
}

TEST(retry, a_stale_completion_is_ignored) {
    core_rig rig;
    auto& core = rig.start();
    rig.track_n(1);
    core.flush();
    auto batch = core.next_batch();
    ASSERT_TRUE(batch);
    EXPECT_FALSE(core.next_batch());  // one in flight at a time
    EXPECT_EQ(core.next_wakeup_ms(), never);
    outgoing_batch stale = *batch;
    stale.token += 100;
    core.complete(stale, send_result::sent());
    EXPECT_FALSE(core.drained());
    core.complete(*batch, send_result::sent());
    EXPECT_TRUE(core.drained());
}

TEST(transport_request, carries_the_trackers_user_agent_and_headers) {
    core_rig rig;
    rig.options.user_agent = "shop-app/2.0";
    rig.options.headers = {{"X-Api-Key", "k1"}};
    auto& core = rig.start();
    rig.track_n(1);
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    const auto r = rig.transport.requests().at(0);
    EXPECT_EQ(r.user_agent, "shop-app/2.0");
    ASSERT_EQ(r.headers.size(), 1U);
    EXPECT_EQ(r.headers[0].name, "X-Api-Key");
    EXPECT_EQ(r.headers[0].value, "k1");
}

}  // namespace
}  // namespace clickstream::test
