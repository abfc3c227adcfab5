// The hand-written JSON: escaping as JSON.stringify does, numbers as
// JavaScript writes them, UUIDs from the random source.
#include "json_writer.h"

#include <gtest/gtest.h>

#include <clocale>
#include <cmath>
#include <nlohmann/json.hpp>

#include "support/fake_clock.h"
#include "uuid.h"

namespace clickstream::test {
namespace {

std::string str(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

std::string num(double v) {
    std::string out;
    append_json_number(out, v);
    return out;
}

TEST(json_writer, integers_as_to_string_writes_them) {
    EXPECT_EQ(decimal(0), "0");
    EXPECT_EQ(decimal(-12), "-12");
    EXPECT_EQ(decimal(INT64_MAX), std::to_string(INT64_MAX));
    EXPECT_EQ(decimal(INT64_MIN), std::to_string(INT64_MIN));
}

// parse_signed/parse_unsigned read what std::from_chars reads, and stop where it stops.
TEST(json_writer, integers_parse_as_from_chars_reads_them) {
    const auto sig = [](std::string_view s, std::int64_t& v) {
        const char* p = s.data();
        return parse_signed(p, s.data() + s.size(), v) ? p - s.data() : -1;
    };
    std::int64_t v = 0;
    EXPECT_EQ(sig("1800", v), 4);
    EXPECT_EQ(v, 1800);
    EXPECT_EQ(sig("-7 rest", v), 2);
    EXPECT_EQ(v, -7);
    EXPECT_EQ(sig("9223372036854775807", v), 19);
    EXPECT_EQ(v, INT64_MAX);
    EXPECT_EQ(sig("-9223372036854775808", v), 20);
    EXPECT_EQ(v, INT64_MIN);
    v = 5;
    for (const char* bad : {"", "-", "+1", " 1", "x", "9223372036854775808", "-9223372036854775809",
                            "99999999999999999999"}) {
        EXPECT_EQ(sig(bad, v), -1) << bad;
        EXPECT_EQ(v, 5) << bad;
    }
    std::uint64_t u = 0;
    const std::string_view max = "18446744073709551615", over = "18446744073709551616", neg = "-1";
    const char* p = max.data();
    EXPECT_TRUE(parse_unsigned(p, max.data() + max.size(), u));
    EXPECT_EQ(u, UINT64_MAX);
    p = over.data();
    EXPECT_FALSE(parse_unsigned(p, over.data() + over.size(), u));
    p = neg.data();
    EXPECT_FALSE(parse_unsigned(p, neg.data() + neg.size(), u));
}

TEST(json_writer, escapes_as_json_stringify) {
    EXPECT_EQ(str("plain"), R"("plain")");
    EXPECT_EQ(str("q\"b\\s/"), R"("q\"b\\s/")");
    EXPECT_EQ(str("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(str(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
    EXPECT_EQ(str("Blue mug — Demo shop ✓ 😀"), "\"Blue mug — Demo shop ✓ 😀\"");
}

TEST(json_writer, replaces_invalid_utf8_so_the_batch_stays_json) {
    EXPECT_EQ(str("a\xff"
                  "b"),
              "\"a\xEF\xBF\xBD"
              "b\"");
    EXPECT_EQ(str("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong
    EXPECT_EQ(str("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
    EXPECT_EQ(str("cut \xE2\x82"), "\"cut \xEF\xBF\xBD\xEF\xBF\xBD\"");
    EXPECT_FALSE(nlohmann::json::parse(str("x\xfe\xff"), nullptr, false).is_discarded());
}

TEST(json_writer, numbers_as_javascript_writes_them) {
    EXPECT_EQ(num(49.9), "49.9");
    EXPECT_EQ(num(50.0), "50");
    EXPECT_EQ(num(-0.0), "0");
    EXPECT_EQ(num(0.1 + 0.2), "0.30000000000000004");
    EXPECT_EQ(num(1e21), "1e+21");
    EXPECT_EQ(num(1e20), "100000000000000000000");
    EXPECT_EQ(num(123456.789e3), "123456789");
    EXPECT_EQ(num(1e-6), "0.000001");
    EXPECT_EQ(num(1e-7), "1e-7");
    EXPECT_EQ(num(-2.5e-10), "-2.5e-10");
    EXPECT_EQ(num(5e-324), "5e-324");
    EXPECT_EQ(num(1.7976931348623157e308), "1.7976931348623157e+308");
    EXPECT_EQ(num(0.001), "0.001");
    for (double v : {3.14159, 2.0 / 3.0, 1e-300, 123.456e100, -7.25}) {
        EXPECT_EQ(std::stod(num(v)), v) << num(v);
    }
}

TEST(json_writer, numbers_ignore_the_apps_locale) {
    const char* set = std::setlocale(LC_NUMERIC, "de_DE.UTF-8");
    if (set == nullptr) set = std::setlocale(LC_NUMERIC, "C.UTF-8");
    EXPECT_EQ(num(49.9), "49.9");
    std::setlocale(LC_NUMERIC, "C");
}

TEST(json_writer, keys_in_the_order_written_with_commas_between) {
    std::string out;
    json_writer w(out);
    w.begin_object().integer_member("v", 1).begin_object("o").end_object();
    w.begin_array("a").raw_element("{}").raw_element("2").end_array();
    w.bool_member("b", false).number_member("n", 0.5).string_member("s", "x").end_object();
    EXPECT_EQ(out, R"({"v":1,"o":{},"a":[{},2],"b":false,"n":0.5,"s":"x"})");
}

TEST(uuid, is_version_4_variant_1_from_the_random_bits) {
    EXPECT_EQ(format_uuid_v4(0, 0), "00000000-0000-4000-8000-000000000000");
    EXPECT_EQ(format_uuid_v4(~0ULL, ~0ULL), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    fake_random r;
    r.push_uuid("0b7e4c1a-9f2d-4e8b-a1c3-5d6e7f8a9b0c");
    EXPECT_EQ(make_uuid_v4(r), "0b7e4c1a-9f2d-4e8b-a1c3-5d6e7f8a9b0c");
    EXPECT_NE(make_uuid_v4(r), make_uuid_v4(r));
}

}  // namespace
}  // namespace clickstream::test
