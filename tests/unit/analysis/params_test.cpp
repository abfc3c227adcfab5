#include "processor/analysis/params.h"

#include <gtest/gtest.h>

namespace clickstream::analysis {
namespace {

constexpr std::int64_t day_ms = 86'400'000;

TEST(analysis_params, dates_round_trip_and_count_days_from_the_epoch) {
    EXPECT_EQ(*parse_date("1970-01-01"), 0);
    EXPECT_EQ(*parse_date("2026-11-25"), 20'782);
    EXPECT_EQ(format_date(20'782), "2026-11-25");
    EXPECT_EQ(*parse_date("2024-02-29") + 1, *parse_date("2024-03-01"));
    EXPECT_EQ(format_date(*parse_date("2000-02-29")), "2000-02-29");
}

TEST(analysis_params, bad_dates_say_why) {
    EXPECT_EQ(parse_date("2026-13-01").error().message,
              "bad date '2026-13-01': the month must be 01 to 12");
    EXPECT_EQ(parse_date("2026-02-29").error().message,
              "bad date '2026-02-29': that month has days 01 to 28");
    EXPECT_EQ(parse_date("2100-02-29").error().message,
              "bad date '2100-02-29': that month has days 01 to 28");
    EXPECT_EQ(parse_date("26-1-1").error().message,
              "bad date '26-1-1': expected YYYY-MM-DD, e.g. 2026-11-25");
    EXPECT_EQ(parse_date("2026-11-25T00").error().code, errc::bad_request);
    EXPECT_EQ(parse_date("1969-12-31").error().message,
              "bad date '1969-12-31': the year must be 1970 or later");
}

TEST(analysis_params, durations_take_a_unit) {
    EXPECT_EQ(*parse_duration_ms("45s"), 45'000);
    EXPECT_EQ(*parse_duration_ms("90m"), 90 * 60'000);
    EXPECT_EQ(*parse_duration_ms("12h"), 12 * 3'600'000);
    EXPECT_EQ(*parse_duration_ms("30d"), 30 * day_ms);
    EXPECT_EQ(parse_duration_ms("30").error().message,
              "bad duration '30': the unit must be s, m, h or d");
    EXPECT_EQ(parse_duration_ms("0d").error().message, "bad duration '0d': must be more than zero");
    EXPECT_EQ(parse_duration_ms("d").error().code, errc::bad_request);
    EXPECT_EQ(parse_duration_ms("-1d").error().code, errc::bad_request);
    EXPECT_EQ(parse_duration_ms("1w").error().message,
              "bad duration '1w': the unit must be s, m, h or d");
}

TEST(analysis_params, filters_default_to_the_30_days_up_to_today) {
    const std::int64_t now = 20'782 * day_ms + 5 * 3'600'000;  // 2026-11-25 05:00 UTC
    auto f = parse_filters({}, now);
    ASSERT_TRUE(f);
    EXPECT_EQ(format_date(f->to_day), "2026-11-25");
    EXPECT_EQ(format_date(f->from_day), "2026-10-27");
    EXPECT_EQ(f->to_ms(), 20'783 * day_ms);  // exclusive: the end of the last day
    auto g = parse_filters({{"from", "2026-11-01"}, {"to", "2026-11-02"}, {"site", "shop"}}, now);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->from_ms(), *parse_date("2026-11-01") * day_ms);
    EXPECT_EQ(g->site, "shop");
    EXPECT_EQ(parse_filters({{"from", "2026-11-03"}, {"to", "2026-11-02"}}, now).error().message,
              "from (2026-11-03) is after to (2026-11-02)");
}

TEST(analysis_params, unknown_names_and_bad_numbers_are_refused_by_name) {
    EXPECT_EQ(check_known({{"stp", "x"}}, {"step", "by"}).error().message,
              "unknown parameter 'stp' (known: step, by)");
    EXPECT_EQ(parse_int({{"depth", "x"}}, "depth", 4, 2, 20).error().message,
              "bad depth 'x': expected a number, 2 to 20");
    EXPECT_EQ(parse_int({{"depth", "30"}}, "depth", 4, 2, 20).error().message,
              "bad depth '30': must be 2 to 20");
    EXPECT_EQ(*parse_int({}, "depth", 4, 2, 20), 4);
    EXPECT_TRUE(*parse_bool({{"exits", ""}}, "exits", false));
    EXPECT_FALSE(*parse_bool({{"exits", "no"}}, "exits", true));
    EXPECT_EQ(parse_bool({{"exits", "maybe"}}, "exits", false).error().message,
              "bad exits 'maybe': expected true or false");
}

TEST(analysis_params, sql_strings_escape_quotes_and_backslashes) {
    EXPECT_EQ(sql_string("it's"), "'it\\'s'");
    EXPECT_EQ(sql_string("a\\b"), "'a\\\\b'");
}

}  // namespace
}  // namespace clickstream::analysis
