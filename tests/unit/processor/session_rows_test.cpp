// Clean-event parsing and the session row's JSONEachRow line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "processor/sessionize/rows.h"
#include "processor/sessionize/session_event.h"

namespace clickstream::sessionize {
namespace {

TEST(session_event_parse, reads_the_fields_and_adds_the_device_date) {
    const std::string line =
        R"({"site":"shop","session_id":"s1","event_id":"e1","event_time_ms":1800000000000,)"
        R"("device_ts_ms":1799999990000,"type":"scroll","scroll_depth":50,"seq":3,"tab_id":"t",)"
        R"("session_timeout_s":1800,"time_source":"true_ts","value":1.5,"platform":"web","props":"{}"})";
    auto parsed = parse_clean_event(line);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->event.site, "shop");
    EXPECT_EQ(parsed->event.event_time_ms, 1'800'000'000'000);
    EXPECT_EQ(parsed->event.scroll_depth, 50u);
    EXPECT_EQ(parsed->event.seq, 3u);
    EXPECT_TRUE(parsed->event.historical());
    EXPECT_DOUBLE_EQ(parsed->event.value, 1.5);
    const auto row = nlohmann::json::parse(parsed->row);
    EXPECT_EQ(row["device_date"], utc_date(1'799'999'990'000));
    EXPECT_EQ(row["props"], "{}");
}

TEST(session_event_parse, keeps_a_device_date_given) {
    auto parsed = parse_clean_event(
        R"({"site":"a","session_id":"s","event_id":"e","event_time_ms":0,"device_date":"2020-01-02"})");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(nlohmann::json::parse(parsed->row)["device_date"], "2020-01-02");
}

TEST(session_event_parse, refuses_what_the_window_cannot_place) {
    EXPECT_EQ(parse_clean_event("not json").error(), errc::bad_json);
    EXPECT_EQ(parse_clean_event("[1]").error(), errc::bad_json);
    EXPECT_EQ(parse_clean_event(R"({"site":"a","session_id":"s","event_id":"e"})").error(),
              errc::missing_field);
    EXPECT_EQ(parse_clean_event(R"({"site":"a","session_id":"","event_id":"e","event_time_ms":1})")
                  .error(),
              errc::missing_field);
    EXPECT_EQ(
        parse_clean_event(R"({"site":"a","session_id":"s","event_id":"e","event_time_ms":"1"})")
            .error(),
        errc::bad_value);
    EXPECT_EQ(parse_clean_event(
                  R"({"site":"a","session_id":"s","event_id":"e","event_time_ms":1,"seq":-1})")
                  .error(),
              errc::bad_value);
}

TEST(session_event_parse, utc_dates) {
    EXPECT_EQ(utc_date(0), "1970-01-01");
    EXPECT_EQ(utc_date(951'782'400'000), "2000-02-29");
    EXPECT_EQ(utc_date(-1), "1969-12-31");
    EXPECT_EQ(utc_date(1'800'000'000'000), "2027-01-15");
}

TEST(session_rows, json_row_has_the_table_columns) {
    session_row r;
    r.site = "shop";
    r.session_id = "s\"1";
    r.segment = 7;
    r.version = 42;
    r.start_ms = 1'800'000'000'000;
    r.end_ms = r.start_ms + 5000;
    r.pages = {"/a", "/b"};
    r.revenue = 0.1 + 0.2;
    r.reason = close_reason::max_length;
    r.bounce = true;
    const auto j = nlohmann::json::parse(to_json_row(r));
    EXPECT_EQ(j["session_id"], "s\"1");
    EXPECT_EQ(j["segment"], 7);
    EXPECT_EQ(j["version"], 42);
    EXPECT_EQ(j["duration_ms"], 5000);
    EXPECT_EQ(j["start_date"], "2027-01-15");
    EXPECT_EQ(j["pages"], nlohmann::json({"/a", "/b"}));
    EXPECT_EQ(j["revenue"].dump(), "0.3");
    EXPECT_EQ(j["close_reason"], "max_length");
    EXPECT_EQ(j["bounce"], 1);
    EXPECT_EQ(j["converted"], 0);
}

}  // namespace
}  // namespace clickstream::sessionize
