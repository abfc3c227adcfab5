#include "processor/enrich/event_time.h"

#include <gtest/gtest.h>

#include <limits>

namespace clickstream::enrich {
namespace {

constexpr std::int64_t receive = 1'732'500'000'000;  // 2024-11-25

TEST(enrich_event_time, corrects_a_wrong_device_clock) {
    // The device clock is 2 hours ahead; the event happened 40 s before
    // the batch was sent, which took 300 ms to arrive.
    const std::int64_t ahead = 2 * 3600 * 1000;
    const std::int64_t sent_at = receive - 300 + ahead;
    const auto t = compute_event_time({receive, sent_at, sent_at - 40'000, std::nullopt});
    EXPECT_EQ(t.source, time_source::skew_corrected);
    EXPECT_EQ(t.event_ms, receive - 40'000);
    EXPECT_EQ(t.clock_skew_ms, ahead - 300);
    EXPECT_EQ(t.flags, time_ok);
}

TEST(enrich_event_time, true_ts_wins_and_old_imports_are_fine) {
    const std::int64_t three_months_ago = receive - 90LL * 24 * 3600 * 1000;
    const auto t = compute_event_time({receive, receive, receive, three_months_ago});
    EXPECT_EQ(t.source, time_source::true_ts);
    EXPECT_EQ(t.event_ms, three_months_ago);
    EXPECT_EQ(t.flags, time_ok);
}

TEST(enrich_event_time, impossible_times_are_kept_and_flagged) {
    // ts after sent_at: the device says the event happened after it sent it.
    auto t = compute_event_time({receive, receive, receive + 3'600'000, std::nullopt});
    EXPECT_EQ(t.event_ms, receive + 3'600'000);
    EXPECT_NE(t.flags & time_after_send, 0U);
    EXPECT_NE(t.flags & time_in_future, 0U);
    EXPECT_EQ(time_flag_names(t.flags), (std::vector<std::string_view>{"in_future", "after_send"}));

    // true_ts in the future.
    t = compute_event_time({receive, receive, receive, receive + 86'400'000});
    EXPECT_EQ(t.flags, time_in_future);

    // A batch held for a year before it was sent.
    t = compute_event_time({receive, receive, receive - 365LL * 86'400'000, std::nullopt});
    EXPECT_EQ(t.flags, time_too_old);

    // true_ts before 2000.
    t = compute_event_time({receive, receive, receive, 1000});
    EXPECT_EQ(t.flags, time_before_floor);

    // Unset clocks.
    t = compute_event_time({receive, 0, 0, std::nullopt});
    EXPECT_NE(t.flags & time_non_positive, 0U);
    EXPECT_EQ(t.event_ms, receive);

    // Within tolerance is not flagged.
    t = compute_event_time({receive, receive, receive + 60'000, std::nullopt});
    EXPECT_EQ(t.flags, time_ok);
}

TEST(enrich_event_time, garbage_clocks_do_not_overflow) {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    constexpr auto min = std::numeric_limits<std::int64_t>::min();
    const auto t = compute_event_time({receive, min, max, std::nullopt});
    EXPECT_NE(t.flags, time_ok);
    const auto u = compute_event_time({min, max, min, std::nullopt});
    EXPECT_NE(u.flags & time_non_positive, 0U);
}

}  // namespace
}  // namespace clickstream::enrich
