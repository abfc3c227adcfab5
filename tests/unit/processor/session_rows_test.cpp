// Clean-event parsing and the session row's JSONEachRow line.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "processor/sessionize/rows.h"
#include "processor/sessionize/session_event.h"
#include "support/stack.h"

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

TEST(session_event_parse, sums_what_the_sdk_dropped) {
    auto parsed = parse_clean_event(
        R"({"site":"a","session_id":"s","event_id":"e","event_time_ms":1,"dropped_queue_full":3,)"
        R"("dropped_consent_denied":0,"dropped_rejected":1})");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->event.sdk_dropped, 4u);
    EXPECT_EQ(parse_clean_event(R"({"site":"a","session_id":"s","event_id":"e","event_time_ms":1,)"
                                R"("dropped_rejected":-1})")
                  .error(),
              errc::bad_value);
}

// Every field the window reads, and the row, as one comparable text; or the error.
std::string outcome(const result<parsed_event>& r) {
    if (!r) return "error " + std::string(to_string(r.error()));
    const session_event& e = r->event;
    std::ostringstream o;
    o.precision(17);
    o << e.site << '|' << e.session_id << '|' << e.event_id << '|' << e.event_time_ms << '|'
      << e.time_source << '|' << e.type << '|' << e.name << '|' << e.anonymous_id << '|'
      << e.user_id << '|' << e.seq << '|' << e.tab_id << '|' << e.url_path << '|' << e.referrer
      << '|' << e.referrer_medium << '|' << e.referrer_source << '|' << e.utm_source << '|'
      << e.utm_medium << '|' << e.utm_campaign << '|' << e.utm_term << '|' << e.utm_content << '|'
      << e.channel << '|' << e.device_type << '|' << e.browser_family << '|' << e.os_family << '|'
      << e.country << '|' << e.scroll_depth << '|' << e.value << '|' << e.currency << '|'
      << e.sdk_name << '|' << e.platform << '|' << e.session_timeout_s << '|' << e.sdk_dropped
      << '|' << r->row;
    return o.str();
}

std::vector<std::string> golden_lines() {
    std::vector<std::string> lines;
    for (const char* f : {"web_session.json", "app_purchase.json", "server_import.json"}) {
        std::ifstream in(test::contracts_dir() / "clean-event" / f);
        for (const auto& e : nlohmann::json::parse(in)) lines.push_back(e.dump());
    }
    return lines;
}

TEST(session_event_parse, fast_path_reads_the_goldens_as_the_dom_does) {
    const auto lines = golden_lines();
    ASSERT_GE(lines.size(), 10u);
    for (const auto& line : lines) {
        const auto fast = parse_clean_event(line);
        ASSERT_TRUE(fast) << line;
        EXPECT_EQ(outcome(fast), outcome(parse_clean_event_dom(line))) << line;
        EXPECT_EQ(fast->event.session_timeout_s, 1800u);  // the contract's sdk_session_timeout_s
    }
    // The app golden's first event carries the batch's drops: 3 queue full, 1 rejected.
    const auto app = parse_clean_event(lines[4]);
    ASSERT_TRUE(app);
    EXPECT_EQ(app->event.site, "demo-app");
    EXPECT_EQ(app->event.sdk_dropped, 4u);
}

TEST(session_event_parse, fast_path_and_dom_agree_on_odd_lines) {
    const std::string head = R"({"site":"a","session_id":"s","event_id":"e","event_time_ms":5)";
    const std::vector<std::string> lines = {
        head + "}",
        head + R"(,"url_path":"/caf\u00e9"})",              // an escape in a needed field
        head + R"(,"props":"{\"k\":\"v\\n\"}"})",           // escapes in a skipped one
        head + R"(,"title":"\ud83d\ude00"})",               // a surrogate pair
        head + R"(,"title":"\ude00"})",                     // a lone low surrogate
        head + R"(,"title":"\ud83d"})",                     // a lone high surrogate
        head + ",\"title\":\"caf\xc3\xa9 \xe2\x80\x94\"}",  // UTF-8
        head + ",\"title\":\"\xc3\"}",                      // cut UTF-8
        head + ",\"title\":\"\xed\xa0\x80\"}",              // an encoded surrogate
        head + ",\"title\":\"\xc0\xaf\"}",                  // overlong
        head + R"(,"url_path":null,"seq":null,"value":null})",
        head + R"(,"seq":-1})",
        head + R"(,"seq":-0})",
        head + R"(,"seq":1.0})",
        head + R"(,"seq":1e2})",
        head + R"(,"seq":4294967297})",
        head + R"(,"seq":18446744073709551616})",
        head + R"(,"value":12})",
        head + R"(,"value":-0.5e-3})",
        head + R"(,"value":123456789012345678901234567890})",
        head + R"(,"value":"1"})",
        head + R"(,"type":"click","type":"scroll"})",  // a key given twice
        head + R"(,"user_id":"u","user_id":null})",
        head + R"(,"device_date":null})",
        head + R"(,"device_ts_ms":1800000000000})",
        head + R"(,"device_ts_ms":null})",
        head + R"(,"sdk_session_timeout_s":60,"session_timeout_s":90})",
        head + R"(,"session_timeout_s":90,"sdk_session_timeout_s":null})",
        head + R"(,"time_flags":["a",{"b":[1,2,{"c":null}]}],"is_bot":false,"x":true})",
        head + R"(,"event_time_ms":9223372036854775808})",
        head + R"(,"event_time_ms":-7})",
        R"( { "site" : "a" , "session_id":"s","event_id":"e","event_time_ms":1 } )",
        "\xef\xbb\xbf" + head + "}",  // a byte order mark
        head + "} x",
        head + ",}",
        head + R"(,"a":01})",
        head + R"(,"a":1.})",
        head + R"(,"a":-})",
        head + R"(,"a":tru})",
        head + R"(,"a":"\x"})",
        head + R"(,"a":"tab	in"})",  // a raw control character
        R"({"site":"","session_id":"s","event_id":"e","event_time_ms":1})",
        R"({"site":null,"session_id":"s","event_id":"e","event_time_ms":1})",
        R"({"site":"a","session_id":"s","event_id":"e","event_time_ms":null})",
        "{}",
        "",
        "[]",
    };
    for (const auto& line : lines) {
        EXPECT_EQ(outcome(parse_clean_event(line)), outcome(parse_clean_event_dom(line))) << line;
    }
}

TEST(session_event_parse, fast_path_and_dom_agree_on_damaged_goldens) {
    const unsigned seed = std::random_device{}();
    std::printf("seed %u\n", seed);
    std::mt19937 rng(seed);
    const auto lines = golden_lines();
    const char noise[] = {'"', '\\', '{', '}', '[', ']',    ',',    ':',    '-', '0',
                          '9', '.',  'e', 'n', ' ', '\x80', '\xc3', '\xff', 'u', 'a'};
    for (int i = 0; i < 20000; ++i) {
        std::string line = lines[rng() % lines.size()];
        for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) {
            const std::size_t at = rng() % line.size();
            switch (rng() % 3) {
                case 0:
                    line.erase(at, 1 + rng() % 4);
                    break;
                case 1:
                    line[at] = noise[rng() % sizeof noise];
                    break;
                default:
                    line.insert(at, 1, noise[rng() % sizeof noise]);
            }
            if (line.empty()) line = "{";
        }
        ASSERT_EQ(outcome(parse_clean_event(line)), outcome(parse_clean_event_dom(line)))
            << "seed " << seed << ": " << line;
    }
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
