#include "clickstream/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

using clickstream::failure;
using clickstream::result;

namespace {
enum class errc { ok = 0, bad_input, too_big };

result<int, errc> parse_digit(char c) {
    if (c < '0' || c > '9') return failure{errc::bad_input};
    return c - '0';
}
}  // namespace

TEST(result, holds_a_value_or_an_error) {
    auto ok = parse_digit('7');
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 7);
    auto bad = parse_digit('x');
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), errc::bad_input);
    EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(result, defaults_to_error_code) {
    result<std::string> r = failure{std::make_error_code(std::errc::invalid_argument)};
    EXPECT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), std::errc::invalid_argument);
    result<std::string> s = std::string("x");
    EXPECT_EQ(s->size(), 1U);
}

TEST(result, moves_and_copies_keep_the_side) {
    result<std::unique_ptr<int>, errc> r = std::make_unique<int>(5);
    result<std::unique_ptr<int>, errc> moved = std::move(r);
    ASSERT_TRUE(moved);
    EXPECT_EQ(**moved, 5);
    result<std::string, errc> a = std::string("a");
    result<std::string, errc> b = failure{errc::too_big};
    b = a;
    ASSERT_TRUE(b);
    EXPECT_EQ(*b, "a");
    a = failure{errc::too_big};
    EXPECT_EQ(a.error(), errc::too_big);
}

TEST(result, void_result_says_success_or_error) {
    result<void, errc> ok;
    EXPECT_TRUE(ok);
    result<void, errc> bad = failure{errc::too_big};
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error(), errc::too_big);
}

TEST(result, reading_the_wrong_side_aborts) {
    EXPECT_DEATH((void)parse_digit('x').value(), "");
    EXPECT_DEATH((void)parse_digit('1').error(), "");
}
