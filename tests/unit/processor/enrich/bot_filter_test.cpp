#include "processor/enrich/bot_filter.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "enrich_test_data.h"

namespace clickstream::enrich {
namespace {

const bot_filter& crawlers_only() {
    static const bot_filter f([] {
        bot_filter_options o;
        o.crawler_user_agents = test_data::paths().crawler_user_agents;
        return o;
    }());
    return f;
}

bot_signals ua_signal(std::string_view ua) {
    bot_signals s;
    s.user_agent = ua;
    return s;
}

// Every example the crawler-user-agents package gives for its patterns is a
// bot, by the crawler rule (or the headless rule, which comes first).
TEST(enrich_bot_filter, flags_every_crawler_example) {
    const auto& examples = test_data::crawler_user_agents();
    std::size_t flagged = 0;
    for (const auto& ua : examples) {
        const auto v = crawlers_only().check(ua_signal(ua));
        if (v.bot && (v.rule == bot_rule::crawler || v.rule == bot_rule::headless)) {
            ++flagged;
        } else {
            ADD_FAILURE() << "not flagged: " << ua;
        }
    }
    std::cout << "flagged " << flagged << " of " << examples.size() << " crawler examples\n";
    EXPECT_GT(examples.size(), 1000U);
    EXPECT_EQ(crawlers_only().crawler_pattern_count(), 1500U);
}

// ...and no user agent of the user-agents package's realistic browser mix.
TEST(enrich_bot_filter, passes_every_real_browser) {
    for (const auto& [ua, category] : test_data::browser_user_agents()) {
        const auto v = crawlers_only().check(ua_signal(ua));
        EXPECT_FALSE(v.bot) << to_string(v.rule) << " " << v.detail << ": " << ua;
    }
}

TEST(enrich_bot_filter, verdicts_name_the_rule_and_what_matched) {
    const auto google = crawlers_only().check(
        ua_signal("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
    EXPECT_TRUE(google.bot);
    EXPECT_EQ(google.rule, bot_rule::crawler);
    EXPECT_EQ(google.detail, "Googlebot\\/");

    const auto headless = crawlers_only().check(
        ua_signal("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "HeadlessChrome/120.0.6099.28 Safari/537.36"));
    EXPECT_EQ(headless.rule, bot_rule::headless);
    EXPECT_EQ(headless.detail, "HeadlessChrome");

    bot_signals automated = ua_signal(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36");
    EXPECT_FALSE(crawlers_only().check(automated).bot);
    automated.webdriver = true;
    const auto v = crawlers_only().check(automated);
    EXPECT_EQ(v.rule, bot_rule::automation);
    EXPECT_EQ(v.detail, "navigator.webdriver");
}

TEST(enrich_bot_filter, ip_ranges_v4_and_v6_most_specific_label) {
    bot_filter_options o;
    o.ip_ranges = {"66.249.64.0/19 googlebot",
                   "# a comment line",
                   "",
                   "66.249.66.0/24 googlebot-images  # trailing comment",
                   "2001:4860:4801::/48 googlebot-v6",
                   "192.0.2.7"};
    const bot_filter f(o);
    EXPECT_EQ(f.ip_range_count(), 4U);
    const auto at = [&](const char* ip) {
        bot_signals s;
        s.ip = *parse_ip(ip);
        return f.check(s);
    };
    EXPECT_EQ(at("66.249.65.1").detail, "66.249.64.0/19 googlebot");
    EXPECT_EQ(at("66.249.66.1").detail, "66.249.66.0/24 googlebot-images");
    EXPECT_EQ(at("2001:4860:4801:10::1").detail, "2001:4860:4801::/48 googlebot-v6");
    EXPECT_EQ(at("::ffff:66.249.65.1").rule, bot_rule::ip_range);  // dual-stack form
    EXPECT_EQ(at("192.0.2.7").detail, "192.0.2.7");
    EXPECT_FALSE(at("192.0.2.8").bot);
    EXPECT_FALSE(at("66.249.96.1").bot);
    EXPECT_FALSE(at("2001:4860:4802::1").bot);
}

TEST(enrich_bot_filter, site_rules_come_first_deny_before_allow) {
    bot_filter_options o;
    o.crawler_user_agents = test_data::paths().crawler_user_agents;
    o.sites["shop"].allow_user_agents = {"UptimeRobot/"};  // the shop counts its monitor
    o.sites["shop"].deny_user_agents = {"InternalQA"};     // and drops its QA browser
    o.sites["shop"].deny_ip_ranges = {"10.20.0.0/16 office"};
    o.sites["shop"].allow_ip_ranges = {"10.0.0.0/8 vpn"};
    const bot_filter f(o);

    bot_signals s =
        ua_signal("Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)");
    EXPECT_TRUE(f.check(s).bot);  // another site: the crawler rule
    s.site = "shop";
    auto v = f.check(s);
    EXPECT_FALSE(v.bot);
    EXPECT_EQ(v.rule, bot_rule::site_allow);
    EXPECT_EQ(v.detail, "UptimeRobot/");

    s = ua_signal("Mozilla/5.0 Chrome/120.0 InternalQA");
    s.site = "shop";
    s.webdriver = true;
    v = f.check(s);
    EXPECT_EQ(v.rule, bot_rule::site_deny);
    EXPECT_EQ(v.detail, "InternalQA");

    s = ua_signal("Mozilla/5.0 Chrome/120.0");
    s.site = "shop";
    s.ip = *parse_ip("10.20.1.1");
    v = f.check(s);  // in both lists: deny wins
    EXPECT_TRUE(v.bot);
    EXPECT_EQ(v.detail, "10.20.0.0/16 office");
    s.ip = *parse_ip("10.30.1.1");
    s.webdriver = true;
    v = f.check(s);  // allowed even with the automation flag
    EXPECT_FALSE(v.bot);
    EXPECT_EQ(v.detail, "10.0.0.0/8 vpn");
}

TEST(enrich_bot_filter, behaviour_is_the_last_rule_and_rules_can_be_switched_off) {
    bot_filter_options o;
    o.automation = false;
    o.headless = false;
    const bot_filter f(o);
    bot_signals s = ua_signal("Mozilla/5.0 HeadlessChrome/120.0");
    s.webdriver = true;
    EXPECT_FALSE(f.check(s).bot);
    s.rate = {true, "more than 30 events at once or 10/s sustained"};
    const auto v = f.check(s);
    EXPECT_EQ(v.rule, bot_rule::behaviour);
    EXPECT_EQ(v.detail, s.rate.detail);
}

TEST(enrich_bot_filter, bad_configuration_fails_loudly) {
    const auto expect_error = [](const bot_filter_options& o, const std::string& part) {
        test_data::expect_load_error([&] { const bot_filter f(o); }, part);
    };
    bot_filter_options o;
    o.ip_ranges = {"10.0.0.1/8"};
    expect_error(o, "bad IP range '10.0.0.1/8'");
    o = {};
    o.sites["shop"].deny_user_agents = {"(?<!x)bot"};
    expect_error(o, "(?<!x)bot");
    o = {};
    o.crawler_user_agents = test_data::write_temp_file("crawlers.json", R"([{"url": "x"}])");
    expect_error(o, "entry without a pattern");
    o.crawler_user_agents = "/nonexistent/crawlers.json";
    expect_error(o, "/nonexistent/crawlers.json");
}

TEST(enrich_bot_filter, reads_range_files) {
    const auto file = test_data::write_temp_file(
        "ranges.txt", "# crawlers\n66.249.64.0/19 googlebot\n\n  2a03:2880::/32 meta # note\n");
    const auto lines = read_ip_range_file(file);
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_EQ(lines[0], "66.249.64.0/19 googlebot");
    EXPECT_EQ(lines[1], "2a03:2880::/32 meta");
}

}  // namespace
}  // namespace clickstream::enrich
