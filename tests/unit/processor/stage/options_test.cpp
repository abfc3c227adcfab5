// The enrich service's config: defaults, file, environment overrides, and
// refusals that name the key.
#include "processor/stage/options.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/config.h"
#include "support/stack.h"

namespace clickstream::processor {
namespace {

nlohmann::json load(const nlohmann::json& file_config, const std::vector<std::string>& env) {
    const auto file = std::filesystem::temp_directory_path() / test::unique_name("enrich-config");
    {
        std::ofstream out(file);
        out << file_config.dump();
    }
    auto c = common::load_config(default_config("/srv/clickstream"), file, env);
    std::filesystem::remove(file);
    return c;
}

TEST(enrich_options, defaults_then_file_then_environment) {
    const auto o = parse_options(load(
        {{"topics", {{"raw", "my.raw"}}},
         {"stage", {{"max_records", 50}}},
         {"sites", {{"demo", {{"domains", {"Shop.Example"}}}}}}},
        {"CLICKSTREAM_KAFKA__BROKERS=127.0.0.1:1", "CLICKSTREAM_STAGE__COMMIT_INTERVAL_MS=50"}));
    EXPECT_EQ(o.stage.topics.raw, "my.raw");
    EXPECT_EQ(o.consumer.topics, std::vector<std::string>{"my.raw"});
    EXPECT_EQ(o.stage.topics.clean, "clickstream.clean");
    EXPECT_EQ(o.stage.max_records, 50U);
    EXPECT_EQ(o.stage.commit_interval.count(), 50);
    EXPECT_EQ(o.consumer.brokers, "127.0.0.1:1");
    EXPECT_EQ(o.producer.brokers, "127.0.0.1:1");
    EXPECT_EQ(o.data.uap_regexes, "/srv/clickstream/node_modules/uap-core/regexes.yaml");
    EXPECT_EQ(o.enricher.site_domains.at("demo"), std::vector<std::string>{"shop.example"});
    EXPECT_EQ(o.producer.transactional_id.rfind("clickstream-enrich-", 0), 0U);
}

TEST(enrich_options, root_comes_from_clickstream_root) {
    const auto o = parse_options(load(nlohmann::json::object(), {"CLICKSTREAM_ROOT=/opt/cs"}));
    EXPECT_EQ(o.data.crawler_user_agents,
              "/opt/cs/node_modules/crawler-user-agents/crawler-user-agents.json");
}

TEST(enrich_options, refusals_name_the_key) {
    const auto refused = [](const nlohmann::json& file, const std::string& part) {
        try {
            parse_options(load(file, {}));
            ADD_FAILURE() << "accepted " << file.dump();
        } catch (const common::config_error& e) {
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
        }
    };
    refused({{"stage", {{"max_record", 5}}}}, "stage.max_record");
    refused({{"log_level", "loud"}}, "log_level");
    refused(
        {{"kafka", {{"transaction_timeout_ms", 100}}}, {"stage", {{"commit_interval_ms", 200}}}},
        "transaction_timeout_ms");
    refused({{"sites", {{"demo", {{"domain", "x"}}}}}}, "sites.demo.domain");
    refused({{"ip", {{"v4_prefix", 33}}}}, "v4_prefix");
}

}  // namespace
}  // namespace clickstream::processor
