#include "processor/enrich/dedup_window.h"

#include <gtest/gtest.h>

#include <string>

namespace clickstream::enrich {
namespace {

constexpr std::int64_t hour = 3600 * 1000;
constexpr std::int64_t t0 = 1'732'500'000'000;

std::string id(int i) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "6f1c%04x-8a2b-4c3d-9e4f-%012d", i & 0xffff, i);
    return buf;
}

TEST(enrich_dedup_window, a_resent_batch_is_caught_hours_later) {
    dedup_window d;  // defaults: a day
    EXPECT_FALSE(d.seen("shop", id(1), t0));
    EXPECT_FALSE(d.seen("shop", id(2), t0));
    EXPECT_TRUE(d.seen("shop", id(1), t0 + 1000));       // retry
    EXPECT_TRUE(d.seen("shop", id(2), t0 + 20 * hour));  // next page load, next morning
    EXPECT_FALSE(d.seen("blog", id(1), t0 + 1000));      // same id, another site
}

TEST(enrich_dedup_window, remembers_for_at_least_the_window_and_at_most_two) {
    dedup_window d({.window_ms = 24 * hour, .max_ids = 1000});
    EXPECT_FALSE(d.seen("s", "early", t0));
    EXPECT_FALSE(d.seen("s", "late", t0 + 23 * hour));
    // After one window the generation turns; both are still held.
    EXPECT_TRUE(d.seen("s", "early", t0 + 24 * hour + 1));
    EXPECT_TRUE(d.seen("s", "late", t0 + 47 * hour));
    // "early" was inserted in the first generation: gone after the second turn.
    EXPECT_FALSE(d.seen("s", "early", t0 + 48 * hour + 2));
    EXPECT_EQ(d.rotations(), 2U);
}

TEST(enrich_dedup_window, forgets_everything_after_two_idle_windows) {
    dedup_window d({.window_ms = hour, .max_ids = 1000});
    EXPECT_FALSE(d.seen("s", "a", t0));
    EXPECT_FALSE(d.seen("s", "a", t0 + 2 * hour));
    EXPECT_EQ(d.size(), 1U);
}

TEST(enrich_dedup_window, many_distinct_ids_no_false_duplicates) {
    dedup_window d({.window_ms = 24 * hour, .max_ids = 2'000'000});
    for (int i = 0; i < 1'000'000; ++i) ASSERT_FALSE(d.seen("shop", id(i), t0 + i)) << i;
    for (int i = 0; i < 1'000'000; i += 997) ASSERT_TRUE(d.seen("shop", id(i), t0 + 1'000'000));
    EXPECT_EQ(d.size(), 1'000'000U);
    // 16 bytes an id at most (load factor at least 1/2).
    EXPECT_LE(d.memory_bytes(), 1'000'000U * 16 * 2);
}

TEST(enrich_dedup_window, the_id_budget_bounds_memory) {
    dedup_window d({.window_ms = 24 * hour, .max_ids = 1000});
    for (int i = 0; i < 10'000; ++i) (void)d.seen("shop", id(i), t0);
    EXPECT_LE(d.size(), 2000U);
    EXPECT_GE(d.early_rotations(), 8U);
    EXPECT_TRUE(d.seen("shop", id(9999), t0));  // the newest are still held
    EXPECT_FALSE(d.seen("shop", id(0), t0));    // the oldest were pushed out
}

}  // namespace
}  // namespace clickstream::enrich
