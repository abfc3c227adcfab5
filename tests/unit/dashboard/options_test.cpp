#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/config.h"
#include "processor/dashboard/service.h"

namespace clickstream::dashboard {
namespace {

service_options parse(const std::vector<std::string>& env, const std::string& file = "") {
    return parse_options(common::load_config(default_config("/root"), file, env));
}

TEST(dashboard_options, defaults_read_both_topics_and_rebuild_the_hour) {
    const auto o = parse({});
    EXPECT_EQ(o.kafka.topics, (std::vector<std::string>{"clickstream.clean", "clickstream.bots"}));
    EXPECT_EQ(o.kafka.group_id, "clickstream-dashboard");
    EXPECT_EQ(o.kafka.start_within, std::chrono::milliseconds(3'600'000));
    EXPECT_EQ(o.web_dir, "/root/processor/web/dashboard");
    EXPECT_EQ(o.uplot_dir, "/root/node_modules/uplot/dist");
    EXPECT_TRUE(o.clickhouse.url.empty());
    EXPECT_EQ(o.http_port, 9103);
}

TEST(dashboard_options, environment_overrides_and_bad_values) {
    const auto o = parse({"CLICKSTREAM_KAFKA__CLEAN_TOPIC=t1", "CLICKSTREAM_KAFKA__BOTS_TOPIC=",
                          "CLICKSTREAM_AGGREGATE__WINDOW_S=600", "CLICKSTREAM_HTTP__PORT=0"});
    EXPECT_EQ(o.kafka.topics, (std::vector<std::string>{"t1"}));
    EXPECT_EQ(o.aggregate.window_ms, 600'000);
    EXPECT_EQ(o.kafka.start_within, std::chrono::milliseconds(600'000));
    EXPECT_THROW(parse({"CLICKSTREAM_AGGREGATE__WINDOW_S=7200"}), common::config_error);
    EXPECT_THROW(parse({"CLICKSTREAM_AGGREGATE__WINDOW_S=90"}), common::config_error);
    EXPECT_THROW(parse({"CLICKSTREAM_LOG_LEVEL=loud"}), common::config_error);
    EXPECT_THROW(parse({"CLICKSTREAM_LIVE__MAX_WAIT_MS=0"}), common::config_error);
}

TEST(dashboard_options, the_token_comes_from_a_file_or_the_named_variable) {
    auto o = parse({});
    EXPECT_EQ(read_token(o, {"CLICKSTREAM_DASHBOARD_TOKEN=abcdefghijkl\n"}), "abcdefghijkl");
    EXPECT_THROW(read_token(o, {"CLICKSTREAM_DASHBOARD_TOKEN=short"}), common::config_error);
    EXPECT_THROW(read_token(o, {}), common::config_error);
    o.token_env = "MY_TOKEN";
    EXPECT_EQ(read_token(o, {"MY_TOKEN=0123456789abcdef"}), "0123456789abcdef");
    const auto file = std::filesystem::temp_directory_path() / "dashboard_token_test";
    std::ofstream(file) << "from-the-file-123\n";
    o.token_file = file.string();
    EXPECT_EQ(read_token(o, {"MY_TOKEN=0123456789abcdef"}), "from-the-file-123");
    std::filesystem::remove(file);
    EXPECT_THROW(read_token(o, {}), common::config_error);
    // The message names where to put a token, never a token.
    try {
        o.token_file.clear();
        read_token(o, {"MY_TOKEN=tiny"});
        FAIL();
    } catch (const common::config_error& e) {
        EXPECT_EQ(std::string(e.what()).find("tiny"), std::string::npos);
    }
}

TEST(dashboard_options, the_clickhouse_password_comes_from_a_file_over_the_inline_value) {
    EXPECT_EQ(parse({"CLICKSTREAM_CLICKHOUSE__PASSWORD=inline"}).clickhouse.password, "inline");
    const auto file = std::filesystem::temp_directory_path() / "dashboard_ch_password_test";
    std::ofstream(file) << "from-the-file\n";
    const auto o = parse({"CLICKSTREAM_CLICKHOUSE__PASSWORD=inline",
                          "CLICKSTREAM_CLICKHOUSE__PASSWORD_FILE=" + file.string()});
    EXPECT_EQ(o.clickhouse.password, "from-the-file");
    std::filesystem::remove(file);
    try {
        parse({"CLICKSTREAM_CLICKHOUSE__PASSWORD_FILE=" + file.string()});
        FAIL() << "a missing password file was taken";
    } catch (const common::config_error& e) {
        EXPECT_NE(std::string(e.what()).find("clickhouse.password_file"), std::string::npos);
    }
}

}  // namespace
}  // namespace clickstream::dashboard
