#include "common/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/stack.h"

namespace {

using clickstream::common::config_error;
using clickstream::common::env_name;
using clickstream::common::load_config;
using json = nlohmann::json;

const json defaults = {{"port", 8080},
                       {"name", "collector"},
                       {"kafka", {{"brokers", "localhost:9092"}, {"settings", json::object()}}},
                       {"sites", json::object()},
                       {"proxies", json::array()}};

std::filesystem::path write_temp(const std::string& text) {
    auto path = std::filesystem::temp_directory_path() /
                (clickstream::test::unique_name("config") + ".json");
    std::ofstream(path) << text;
    return path;
}

TEST(common_config, env_names_join_upper_cased_keys_with_double_underscores) {
    EXPECT_EQ(env_name("kafka.brokers"), "CLICKSTREAM_KAFKA__BROKERS");
    EXPECT_EQ(env_name("session_timeout_s", "X_"), "X_SESSION_TIMEOUT_S");
}

TEST(common_config, without_file_or_environment_gives_the_defaults) {
    EXPECT_EQ(load_config(defaults, {}, {}), defaults);
}

TEST(common_config, file_values_replace_defaults_and_maps_take_any_key) {
    auto path = write_temp(R"({"port": 9000, "kafka": {"settings": {"linger.ms": "10"}},
                              "sites": {"demo": {"origins": ["https://a.example"]}}})");
    json c = load_config(defaults, path, {});
    EXPECT_EQ(c["port"], 9000);
    EXPECT_EQ(c["kafka"]["brokers"], "localhost:9092");
    EXPECT_EQ(c["kafka"]["settings"]["linger.ms"], "10");
    EXPECT_EQ(c["sites"]["demo"]["origins"][0], "https://a.example");
    std::filesystem::remove(path);
}

TEST(common_config, unknown_key_in_a_struct_is_an_error) {
    auto path = write_temp(R"({"kafka": {"brokerz": "x"}})");
    try {
        (void)load_config(defaults, path, {});
        FAIL() << "a typo must not pass";
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find("kafka.brokerz"), std::string::npos) << e.what();
    }
    std::filesystem::remove(path);
}

TEST(common_config, unreadable_or_malformed_file_is_an_error) {
    EXPECT_THROW((void)load_config(defaults, "/nonexistent/collector.json", {}), config_error);
    auto path = write_temp("{not json");
    EXPECT_THROW((void)load_config(defaults, path, {}), config_error);
    std::filesystem::remove(path);
}

TEST(common_config, environment_overrides_file_and_keeps_strings_strings) {
    auto path = write_temp(R"({"port": 9000})");
    json c = load_config(
        defaults, path,
        {"CLICKSTREAM_PORT=9100", "CLICKSTREAM_NAME=123",
         "CLICKSTREAM_KAFKA__BROKERS=10.0.0.1:9092", R"(CLICKSTREAM_PROXIES=["10.0.0.0/8"])",
         "CLICKSTREAM_UNKNOWN=1", "UNRELATED=2", "CLICKSTREAM_SITES={\"x\":{}}"});
    EXPECT_EQ(c["port"], 9100);
    EXPECT_EQ(c["name"], "123");
    EXPECT_EQ(c["kafka"]["brokers"], "10.0.0.1:9092");
    EXPECT_EQ(c["proxies"], json::array({"10.0.0.0/8"}));
    EXPECT_TRUE(c["sites"].contains("x"));
    EXPECT_FALSE(c.contains("unknown"));
    std::filesystem::remove(path);
}

TEST(common_config, object_override_must_be_an_object) {
    EXPECT_THROW((void)load_config(defaults, {}, {"CLICKSTREAM_SITES=3"}), config_error);
}

TEST(common_config, a_secret_comes_from_its_file_else_the_named_variable) {
    using clickstream::common::read_secret;
    const auto file = write_temp("s3cret-from-file\n\n");
    EXPECT_EQ(read_secret("x.password_file", file, "PW", {"PW=from-env"}), "s3cret-from-file")
        << "the file wins; trailing newlines dropped";
    EXPECT_EQ(read_secret("x.password_file", {}, "PW", {"OTHER=1", "PW=from-env "}), "from-env");
    EXPECT_EQ(read_secret("x.password_file", {}, "PW", {}), "");
    EXPECT_EQ(read_secret("x.password_file", {}, "", {"=x"}), "");
    std::filesystem::remove(file);
    try {
        (void)read_secret("x.password_file", file, "PW", {"PW=from-env"});
        FAIL() << "a missing file was taken";
    } catch (const config_error& e) {
        EXPECT_EQ(std::string(e.what()), "x.password_file: cannot read " + file.string());
    }
}

TEST(common_config, kafka_settings_ending_in_file_are_read_from_their_files) {
    const auto file = write_temp("kafka-pass\n");
    std::map<std::string, std::string> settings = {{"sasl.username", "collector"},
                                                   {"sasl.password_file", file.string()},
                                                   {"sasl.password", "inline"}};
    clickstream::common::resolve_secret_files(settings);
    EXPECT_EQ(settings, (std::map<std::string, std::string>{{"sasl.username", "collector"},
                                                            {"sasl.password", "kafka-pass"}}));
    std::filesystem::remove(file);
    settings = {{"ssl.key.password_file", file.string()}};
    try {
        clickstream::common::resolve_secret_files(settings);
        FAIL() << "a missing file was taken";
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find("ssl.key.password_file"), std::string::npos);
    }
}

}  // namespace
