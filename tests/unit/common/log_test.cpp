#include "common/log.h"

#include <gtest/gtest.h>

#include <sstream>

namespace {

using clickstream::common::log_level;
using clickstream::common::logger;

std::vector<nlohmann::json> lines(const std::string& text) {
    std::vector<nlohmann::json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
}

TEST(common_log, writes_one_json_object_per_line_with_fields) {
    std::ostringstream out;
    logger log(out, "collector");
    log.info("listening", {{"port", 8080}});
    log.error("produce_failed", {{"error", "kafka unreachable"}});
    auto got = lines(out.str());
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0]["event"], "listening");
    EXPECT_EQ(got[0]["level"], "info");
    EXPECT_EQ(got[0]["component"], "collector");
    EXPECT_EQ(got[0]["port"], 8080);
    EXPECT_EQ(got[1]["level"], "error");
    EXPECT_EQ(got[1]["error"], "kafka unreachable");
    EXPECT_EQ(got[0]["ts"].get<std::string>().size(), 24U) << got[0]["ts"];
}

TEST(common_log, drops_lines_below_the_minimum_level) {
    std::ostringstream out;
    logger log(out, "c", log_level::warn);
    log.debug("a");
    log.info("b");
    log.warn("c");
    auto got = lines(out.str());
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0]["event"], "c");
}

TEST(common_log, invalid_utf8_in_a_field_does_not_lose_the_line) {
    std::ostringstream out;
    logger log(out, "c");
    log.info("request", {{"user_agent", std::string("bad\xff\xfe")}});
    auto got = lines(out.str());
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0]["event"], "request");
}

TEST(common_log, levels_parse_from_their_names) {
    EXPECT_EQ(clickstream::common::parse_log_level("warn"), log_level::warn);
    EXPECT_EQ(clickstream::common::parse_log_level("verbose"), std::nullopt);
}

}  // namespace
