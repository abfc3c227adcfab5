#include "collector/options.h"

#include <gtest/gtest.h>

#include "common/config.h"

namespace {

using namespace clickstream::collector;
using clickstream::common::config_error;
using json = nlohmann::json;

TEST(collector_options, defaults_parse) {
    auto o = parse_options(default_config());
    EXPECT_EQ(o.http_port, 8080);
    EXPECT_EQ(o.topic, "clickstream.raw");
    EXPECT_GE(o.threads, 1U);
    EXPECT_TRUE(o.sites.empty());
    EXPECT_TRUE(o.admin_enabled);
    EXPECT_EQ(o.admin_address, "127.0.0.1") << "the admin listener stays on loopback by default";
    EXPECT_EQ(o.admin_port, 9104);
}

TEST(collector_options, sites_and_overrides_parse) {
    json c = default_config();
    c["path_prefix"] = "/px/";
    c["sites"]["demo"] = {{"origins", {"https://a.example"}},
                          {"allow_no_origin", false},
                          {"session_timeout_s", 900},
                          {"set_cookie", true},
                          {"respect_dnt", true}};
    c["sites"]["other"] = json::object();
    c["admin"] = {{"enabled", true}, {"address", "10.0.0.5"}, {"port", 9200}};
    auto o = parse_options(c);
    EXPECT_EQ(o.admin_address, "10.0.0.5");
    EXPECT_EQ(o.admin_port, 9200);
    EXPECT_TRUE(o.sites.at("demo").respect_dnt);
    EXPECT_FALSE(o.sites.at("other").respect_dnt) << "off unless the site asks";
    EXPECT_EQ(o.path_prefix, "/px");
    const auto& s = o.sites.at("demo");
    EXPECT_EQ(s.key, "demo");
    EXPECT_EQ(s.origins, std::vector<std::string>{"https://a.example"});
    EXPECT_FALSE(s.allow_no_origin);
    EXPECT_EQ(s.session_timeout.count(), 900);
    EXPECT_TRUE(s.set_cookie);
}

TEST(collector_options, bad_values_name_their_key) {
    auto expect_error = [](json c, const std::string& key) {
        try {
            (void)parse_options(c);
            ADD_FAILURE() << "accepted " << key;
        } catch (const config_error& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    };
    json c = default_config();
    c["http"]["port"] = 70000;
    expect_error(c, "http.port");
    c = default_config();
    c["sites"]["demo"] = {{"orgins", json::array()}};
    expect_error(c, "sites.demo.orgins");
    c = default_config();
    c["limits"]["body_bytes"] = "big";
    expect_error(c, "limits.body_bytes");
    c = default_config();
    c["tls"]["enabled"] = true;
    expect_error(c, "tls");
    c = default_config();
    c["admin"]["port"] = -1;
    expect_error(c, "admin.port");
    c = default_config();
    c["sites"]["demo"] = {{"respect_dnt", "yes"}};
    expect_error(c, "sites.demo.respect_dnt");
}

}  // namespace
