#include "processor/enrich/session_rate_guard.h"

#include <gtest/gtest.h>

namespace clickstream::enrich {
namespace {

TEST(enrich_session_rate_guard, a_burst_then_a_person_s_pace_is_fine) {
    session_rate_guard g({.events_per_second = 10, .burst = 30, .max_sessions = 100});
    std::int64_t t = 1'700'000'000'000;
    for (int i = 0; i < 30; ++i) EXPECT_FALSE(g.observe("s1", t).too_fast) << i;  // page load
    for (int i = 0; i < 200; ++i) {
        t += 150;  // ~7 events a second for 30 s
        EXPECT_FALSE(g.observe("s1", t).too_fast) << i;
    }
}

TEST(enrich_session_rate_guard, faster_than_a_person_is_flagged_and_stays_flagged) {
    session_rate_guard g({.events_per_second = 10, .burst = 30, .max_sessions = 100});
    std::int64_t t = 1'700'000'000'000;
    int first_flag = -1;
    for (int i = 0; i < 200 && first_flag < 0; ++i) {
        t += 20;  // 50 events a second
        if (g.observe("s1", t).too_fast) first_flag = i;
    }
    // 30 of burst, refilled at 10/s while 50/s drain it: 30 / (1 - 10/50) ≈ 37.
    EXPECT_GE(first_flag, 30);
    EXPECT_LE(first_flag, 40);
    const auto later = g.observe("s1", t + 3'600'000);  // an hour later
    EXPECT_TRUE(later.too_fast);
    EXPECT_EQ(later.detail, "more than 30 events at once or 10/s sustained");
    EXPECT_FALSE(g.observe("s2", t).too_fast);  // other sessions are apart
}

TEST(enrich_session_rate_guard, out_of_order_events_refill_nothing) {
    session_rate_guard g({.events_per_second = 1, .burst = 3, .max_sessions = 10});
    const std::int64_t t = 1'700'000'000'000;
    EXPECT_FALSE(g.observe("s", t).too_fast);
    EXPECT_FALSE(g.observe("s", t - 60'000).too_fast);
    EXPECT_FALSE(g.observe("s", t - 120'000).too_fast);
    EXPECT_TRUE(g.observe("s", t - 180'000).too_fast);
}

TEST(enrich_session_rate_guard, memory_is_bounded_by_max_sessions) {
    session_rate_guard g({.events_per_second = 10, .burst = 30, .max_sessions = 50});
    for (int i = 0; i < 1000; ++i) (void)g.observe("session-" + std::to_string(i), i);
    EXPECT_EQ(g.sessions(), 50U);
}

// Consecutive events of one session reuse its bucket; a session in between,
// an eviction or a transaction's end must not make another session's events
// count on it.
TEST(enrich_session_rate_guard, each_session_counts_on_its_own_bucket) {
    const std::int64_t t = 1'700'000'000'000;
    session_rate_guard one({.events_per_second = 0.001, .burst = 2, .max_sessions = 1});
    EXPECT_FALSE(one.observe("a", t).too_fast);
    EXPECT_FALSE(one.observe("a", t).too_fast);
    EXPECT_TRUE(one.observe("a", t).too_fast);
    EXPECT_FALSE(one.observe("b", t).too_fast);  // evicts a
    EXPECT_FALSE(one.observe("a", t).too_fast);  // a again: forgotten, a fresh burst
    EXPECT_FALSE(one.observe("a", t).too_fast);
    EXPECT_TRUE(one.observe("a", t).too_fast);
    EXPECT_EQ(one.sessions(), 1U);

    session_rate_guard g({.events_per_second = 0.001, .burst = 2, .max_sessions = 10});
    g.begin();
    EXPECT_FALSE(g.observe("a", t).too_fast);
    EXPECT_FALSE(g.observe("b", t).too_fast);
    EXPECT_FALSE(g.observe("a", t).too_fast);
    EXPECT_FALSE(g.observe("b", t).too_fast);
    EXPECT_TRUE(g.observe("a", t).too_fast);
    g.discard();
    g.begin();
    EXPECT_FALSE(g.observe("a", t).too_fast);  // the discarded counts are gone
    g.commit();
    g.begin();
    EXPECT_FALSE(g.observe("a", t).too_fast);  // the committed one carries on
    EXPECT_TRUE(g.observe("a", t).too_fast);
    g.commit();
}

TEST(enrich_session_rate_guard, counts_of_a_discarded_transaction_are_forgotten) {
    session_rate_guard g({.events_per_second = 0.001, .burst = 3, .max_sessions = 10});
    const std::int64_t t = 1'700'000'000'000;
    g.begin();
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(g.observe("s", t).too_fast) << i;
    EXPECT_TRUE(g.observe("s", t).too_fast);  // the fourth, within the transaction
    EXPECT_EQ(g.sessions(), 0U);              // nothing committed yet
    g.discard();
    // Read again: the same verdicts, not a session that already spent its burst.
    g.begin();
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(g.observe("s", t).too_fast) << i;
    g.commit();
    EXPECT_EQ(g.sessions(), 1U);
    g.begin();
    EXPECT_TRUE(g.observe("s", t).too_fast);  // committed counts carry on
    g.commit();
    // Outside a transaction every observation counts at once.
    EXPECT_TRUE(g.observe("s", t).too_fast);
    EXPECT_FALSE(g.observe("other", t).too_fast);
    EXPECT_EQ(g.sessions(), 2U);
}

}  // namespace
}  // namespace clickstream::enrich
