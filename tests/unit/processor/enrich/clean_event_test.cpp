// Clean events: every golden of docs/contracts/clean-event/cases.json is
// exactly what the enricher makes of its golden batch and headers (the
// contract test checks the same files against the schema).
#include "processor/enrich/clean_event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "enrich_test_data.h"
#include "support/stack.h"

namespace clickstream::enrich {
namespace {

using json = nlohmann::json;

const bot_filter& crawler_filter() {
    static const bot_filter filter([] {
        bot_filter_options o;
        o.crawler_user_agents = test_data::paths().crawler_user_agents;
        return o;
    }());
    return filter;
}

raw_metadata metadata(const json& h) {
    raw_metadata m;
    m.receive_ms = std::stoll(h["received_at"].get<std::string>());
    m.client_ip = h.value("client_ip", "");
    m.user_agent = h.value("user_agent", "");
    m.content_type = h.value("content_type", "");
    m.content_encoding = h.value("content_encoding", "");
    m.request_id = h.value("request_id", "");
    m.site = h.value("site", "");
    m.source = h.value("source", "");
    return m;
}

TEST(enrich_clean_event, goldens_are_what_the_enricher_makes) {
    const auto dir = test::contracts_dir();
    const json cases = json::parse(test::read_file(dir / "clean-event/cases.json"))["cases"];
    ASSERT_EQ(cases.size(), 3U);
    const no_country_lookup countries;
    const enrich_data data{test_data::uap(), test_data::referrers(), crawler_filter(), countries};
    enricher_options options;
    options.site_domains["demo-shop"] = {"shop.example"};
    for (const auto& c : cases) {
        SCOPED_TRACE(c["file"].get<std::string>());
        event_enricher enricher(data, options);
        const auto b =
            parse_batch(test::read_file(dir / "batch-v1" / c["batch"].get<std::string>()));
        ASSERT_TRUE(b);
        const raw_metadata m = metadata(c["headers"]);
        enricher.begin_batch(*b, m);
        json actual = json::array();
        for (std::size_t i = 0; i < b->events.size(); ++i) {
            const auto e = enricher.enrich(i);
            EXPECT_EQ(e.key, b->events[i].session_id);
            actual.push_back(json::parse(e.clean));
        }
        const json expected =
            json::parse(test::read_file(dir / "clean-event" / c["file"].get<std::string>()));
        EXPECT_EQ(actual, expected) << "actual:\n" << actual.dump(2);
    }
}

// The members every event of a batch shares are written once per batch:
// one enricher taking the golden batches one after another (and the first
// again) still makes each golden, with nothing left over from the batch
// before.
TEST(enrich_clean_event, shared_members_follow_each_batch) {
    const auto dir = test::contracts_dir();
    const json cases = json::parse(test::read_file(dir / "clean-event/cases.json"))["cases"];
    const no_country_lookup countries;
    const enrich_data data{test_data::uap(), test_data::referrers(), crawler_filter(), countries};
    enricher_options options;
    options.site_domains["demo-shop"] = {"shop.example"};
    event_enricher enricher(data, options);
    for (const std::size_t k : {0, 1, 2, 0}) {
        const json& c = cases[k];
        SCOPED_TRACE(c["file"].get<std::string>());
        const auto b =
            parse_batch(test::read_file(dir / "batch-v1" / c["batch"].get<std::string>()));
        ASSERT_TRUE(b);
        const raw_metadata m = metadata(c["headers"]);
        enricher.begin_batch(*b, m);
        const json expected =
            json::parse(test::read_file(dir / "clean-event" / c["file"].get<std::string>()));
        ASSERT_EQ(expected.size(), b->events.size());
        for (std::size_t i = 0; i < b->events.size(); ++i) {
            json actual = json::parse(enricher.enrich(i).clean);
            // The behaviour rule counts every pass: the last pass over the
            // first batch may see its session as too fast. Everything else
            // must be the golden's.
            for (const char* bot_field : {"is_bot", "bot_rule", "bot_detail"}) {
                actual.erase(bot_field);
            }
            json want = expected[i];
            for (const char* bot_field : {"is_bot", "bot_rule", "bot_detail"}) {
                want.erase(bot_field);
            }
            EXPECT_EQ(actual, want) << "event " << i;
        }
    }
}

TEST(enrich_clean_event, device_date_is_the_utc_day_of_the_device_time) {
    EXPECT_EQ(utc_date(0), "1970-01-01");
    EXPECT_EQ(utc_date(1764100000000), "2025-11-25");
    EXPECT_EQ(utc_date(951782400000), "2000-02-29");
    EXPECT_EQ(utc_date(951868799999), "2000-02-29");
}

TEST(enrich_clean_event, absent_client_ip_leaves_ip_and_country_empty) {
    const no_country_lookup countries;
    const enrich_data data{test_data::uap(), test_data::referrers(), crawler_filter(), countries};
    event_enricher enricher(data, {});
    const auto b =
        parse_batch(test::read_file(test::contracts_dir() / "batch-v1/valid/server_import.json"));
    ASSERT_TRUE(b);
    raw_metadata m;
    m.receive_ms = 1764100200300;
    m.client_ip = "not an address";
    enricher.begin_batch(*b, m);
    const json clean = json::parse(enricher.enrich(0).clean);
    EXPECT_EQ(clean["ip"], "");
    EXPECT_EQ(clean["country"], "");
    EXPECT_EQ(clean["time_source"], "true_ts");
    EXPECT_EQ(clean["event_time_ms"], 1761400000000);
    EXPECT_EQ(clean["device_date"], utc_date(1761400000000));
}

// What a page URL decides is cached by the URL: each event's URL members,
// campaign, click id, referrer and channel are what an enricher that has
// seen no page before makes of it, whatever came before, evictions included.
TEST(enrich_clean_event, cached_pages_give_each_url_its_own_members) {
    const no_country_lookup countries;
    const bot_filter filter(bot_filter_options{});
    const enrich_data data{test_data::uap(), test_data::referrers(), filter, countries};
    enricher_options options;
    options.site_domains["demo-shop"] = {"shop.example"};
    options.page_cache_entries = 2;  // evictions happen too
    event_enricher cached(data, options);
    const auto parsed =
        parse_batch(test::read_file(test::contracts_dir() / "batch-v1/valid/server_import.json"));
    ASSERT_TRUE(parsed);
    const std::string urls[] = {
        "https://shop.example/cart",
        "https://shop.example/p?utm_source=google&utm_medium=cpc&gclid=abc",
        "https://Shop.Example/a/../b/%7Euser?utm_source=newsletter#top", "not a url", "",
        "https://other.example/?fbclid=x&utm_source=facebook&utm_medium=paid_social",
        // Longer than the cache takes: worked out each time.
        "https://shop.example/long?utm_source=google&utm_medium=cpc&q=" + std::string(600, 'x')};
    const std::string referrers[] = {"", "https://www.google.com/", "https://shop.example/",
                                     "https://t.co/x"};
    const char* members[] = {
        "url",          "url_scheme",    "url_host",        "url_path",        "url_query",
        "url_fragment", "referrer_host", "referrer_medium", "referrer_source", "referrer_term",
        "utm_source",   "utm_medium",    "utm_campaign",    "utm_term",        "utm_content",
        "utm_id",       "click_id",      "click_id_type",   "channel"};
    const auto clean = [&](event_enricher& e, const std::string& url, const std::string& ref) {
        batch b = *parsed;
        b.site = "demo-shop";
        b.events[0].url = url;
        b.events[0].referrer = ref;
        raw_metadata m;
        m.receive_ms = 1764100200300;
        e.begin_batch(b, m);
        return json::parse(e.enrich(0).clean);
    };
    for (int round = 0; round < 3; ++round) {
        for (std::size_t i = 0; i < std::size(urls); ++i) {
            // Every URL with every referrer, in an order that differs by round.
            const std::string& url = urls[round == 0 ? i : (i * 5 + round) % std::size(urls)];
            for (const auto& ref : referrers) {
                event_enricher fresh(data, options);
                const json want = clean(fresh, url, ref), got = clean(cached, url, ref);
                for (const char* k : members) EXPECT_EQ(got[k], want[k]) << k << " of " << url;
            }
        }
    }
}

// The batch's bot verdict is cached by site, user agent, address and
// automation flag: each of them still decides, in any order of batches.
TEST(enrich_clean_event, cached_bot_verdicts_follow_each_batch_signal) {
    const no_country_lookup countries;
    const bot_filter filter([] {
        bot_filter_options o;
        o.crawler_user_agents = test_data::paths().crawler_user_agents;
        o.ip_ranges = {"203.0.113.0/24 test-crawlers"};
        return o;
    }());
    const enrich_data data{test_data::uap(), test_data::referrers(), filter, countries};
    enricher_options options;
    options.bot_cache_entries = 2;  // evictions happen too
    event_enricher enricher(data, options);
    const auto parsed =
        parse_batch(test::read_file(test::contracts_dir() / "batch-v1/valid/server_import.json"));
    ASSERT_TRUE(parsed);
    const std::string person =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36";
    const std::string crawler =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    const auto verdict = [&](const std::string& ua, const std::string& ip, bool webdriver) {
        batch b = *parsed;
        b.context.webdriver = webdriver;
        raw_metadata m;
        m.receive_ms = 1764100200300;
        m.user_agent = ua;
        m.client_ip = ip;
        enricher.begin_batch(b, m);
        return enricher.enrich(0).bot;
    };
    for (int round = 0; round < 2; ++round) {
        SCOPED_TRACE(round);
        EXPECT_EQ(verdict(crawler, "198.51.100.7", false).rule, bot_rule::crawler);
        EXPECT_EQ(verdict(person, "198.51.100.7", false).rule, bot_rule::none);
        EXPECT_EQ(verdict(person, "198.51.100.7", true).rule, bot_rule::automation);
        EXPECT_EQ(verdict(person, "203.0.113.9", false).rule, bot_rule::ip_range);
        EXPECT_EQ(verdict(person, "203.0.113.9", false).detail, "203.0.113.0/24 test-crawlers");
        EXPECT_FALSE(verdict(person, "198.51.100.7", false).bot);
        EXPECT_EQ(verdict(crawler, "198.51.100.7", false).rule, bot_rule::crawler);
    }
}

}  // namespace
}  // namespace clickstream::enrich
