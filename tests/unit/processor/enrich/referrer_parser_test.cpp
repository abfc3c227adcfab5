#include "processor/enrich/referrer_parser.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "enrich_test_data.h"

namespace clickstream::enrich {
namespace {

const std::vector<std::string> no_domains;

struct known_case {
    const char* referrer;
    referrer_medium medium;
    const char* source;
    const char* term;
};

// Real referrers, most from referer-parser's own test suite, with the
// answers it expects; then hosts our referers-extra.yml adds.
TEST(enrich_referrer, real_world_referrers) {
    const known_case cases[] = {
        {"http://www.google.com/search", referrer_medium::search, "Google", ""},
        {"http://www.google.com/search?q=gateway+oracle+cards+denise+linn&hl=en&client=safari",
         referrer_medium::search, "Google", "gateway oracle cards denise linn"},
        {"https://www.google.co.uk/", referrer_medium::search, "Google", ""},
        {"http://www.google.fr/imgres?q=Ogham+the+celtic+oracle&hl=fr&safe=off",
         referrer_medium::search, "Google Images", "Ogham the celtic oracle"},
        {"http://es.search.yahoo.com/search;_ylt=A7x9QbwbZXxQ9EMAPCKT.Qt.?p=BIEDERMEIER+FORTUNE"
         "+TELLING+CARDS&ei=utf-8",
         referrer_medium::search, "Yahoo!", "BIEDERMEIER FORTUNE TELLING CARDS"},
        {"http://www.bing.com/images/search?q=psychic+oracle+cards&view=detail",
         referrer_medium::search, "Bing Images", "psychic oracle cards"},
        {"http://go.mail.ru/search?q=Gothic%20Tarot%20Cards&where=any", referrer_medium::search,
         "Mail.ru", "Gothic Tarot Cards"},
        {"http://images.yandex.ru/yandsearch?text=Blue%20Angel%20Oracle&noreask=1",
         referrer_medium::search, "Yandex Images", "Blue Angel Oracle"},
        {"http://t.co/chrgFZDb", referrer_medium::social, "Twitter", ""},
        {"http://www.facebook.com/l.php?u=http%3A%2F%2Fwww.psychicbazaar.com&h=yAQHZtXxS&s=1",
         referrer_medium::social, "Facebook", ""},
        {"http://m.facebook.com/l.php?u=http%3A%2F%2Fwww.psychicbazaar.com",
         referrer_medium::social, "Facebook", ""},
        {"http://psychicbazaar.tumblr.com/", referrer_medium::social, "Tumblr", ""},
        {"http://36ohk6dgmcd1n-c.c.yom.mail.yahoo.net/om/api/1.0/openmail.app.invoke/36ohk6dgmcd1n",
         referrer_medium::email, "Yahoo! Mail", ""},
        {"http://co106w.col106.mail.live.com/default.aspx?rru=inbox", referrer_medium::email,
         "Outlook.com", ""},
        {"https://mail.google.com/", referrer_medium::email, "Gmail", ""},
        {"https://support.google.com/mail/answer/1", referrer_medium::unknown, "Google", ""},
        // From referers-extra.yml:
        {"https://l.instagram.com/?u=https%3A%2F%2Fshop.example.com", referrer_medium::social,
         "Instagram", ""},
        {"android-app://com.google.android.gm/", referrer_medium::email, "Gmail", ""},
        {"android-app://com.google.android.googlequicksearchbox/", referrer_medium::search,
         "Google", ""},
        {"https://duckduckgo.com/?q=clickstream+pipeline", referrer_medium::search, "DuckDuckGo",
         "clickstream pipeline"},
        {"https://www.youtube.com/", referrer_medium::social, "YouTube", ""},
        {"https://www.googleadservices.com/pagead/aclk?sa=L", referrer_medium::paid, "Google Ads",
         ""},
    };
    for (const auto& c : cases) {
        const auto info = test_data::referrers().parse(c.referrer, no_domains);
        EXPECT_EQ(to_string(info.medium), to_string(c.medium)) << c.referrer;
        EXPECT_EQ(info.source, c.source) << c.referrer;
        EXPECT_EQ(info.term, c.term) << c.referrer;
    }
}

TEST(enrich_referrer, the_sites_own_domains_and_the_page_host_are_internal) {
    const std::vector<std::string> own{"example.com", "example-shop.de"};
    const auto& p = test_data::referrers();
    EXPECT_EQ(p.parse("https://www.example.com/cart", own).medium, referrer_medium::internal);
    EXPECT_EQ(p.parse("https://example-shop.de/", own).medium, referrer_medium::internal);
    EXPECT_EQ(p.parse("https://notexample.com/", own).medium, referrer_medium::unknown);
    EXPECT_EQ(p.parse("http://www.snowplowanalytics.com/about/team", no_domains,
                      "www.snowplowanalytics.com")
                  .medium,
              referrer_medium::internal);
    // The site's own domain wins over what the data says about it.
    EXPECT_EQ(p.parse("https://www.google.com/", std::vector<std::string>{"google.com"}).medium,
              referrer_medium::internal);
}

TEST(enrich_referrer, none_unknown_and_garbage) {
    const auto& p = test_data::referrers();
    const auto none = p.parse("", no_domains);
    EXPECT_EQ(none.medium, referrer_medium::none);
    EXPECT_EQ(none.host, "");
    const auto blog = p.parse("https://someones-blog.example.net/post/1", no_domains);
    EXPECT_EQ(blog.medium, referrer_medium::unknown);
    EXPECT_EQ(blog.host, "someones-blog.example.net");
    EXPECT_EQ(blog.source, "");
    for (const char* garbage : {"not a url", "http://", "://x", "\xff\xfe"}) {
        const auto g = p.parse(garbage, no_domains);
        EXPECT_EQ(g.medium, referrer_medium::unknown) << garbage;
        EXPECT_EQ(g.host, "") << garbage;
    }
}

TEST(enrich_referrer, classifies_campaign_sources) {
    const auto& p = test_data::referrers();
    EXPECT_EQ(p.classify_source("google"), referrer_medium::search);
    EXPECT_EQ(p.classify_source("Bing"), referrer_medium::search);
    EXPECT_EQ(p.classify_source("facebook"), referrer_medium::social);
    EXPECT_EQ(p.classify_source("Instagram"), referrer_medium::social);
    EXPECT_EQ(p.classify_source("l.facebook.com"), referrer_medium::social);
    EXPECT_EQ(p.classify_source("mail.google.com"), referrer_medium::email);
    EXPECT_EQ(p.classify_source("newsletter"), referrer_medium::unknown);
    EXPECT_EQ(p.classify_source(""), referrer_medium::unknown);
}

TEST(enrich_referrer, later_files_override_earlier_ones) {
    const auto extra = test_data::write_temp_file(
        "override.yml", "email:\n  Corporate Mail:\n    domains:\n      - www.google.com\n");
    const std::vector<std::filesystem::path> files{test_data::paths().referrers.front(), extra};
    const auto p = referrer_parser::load(files);
    const auto info = p.parse("https://www.google.com/", no_domains);
    EXPECT_EQ(info.medium, referrer_medium::email);
    EXPECT_EQ(info.source, "Corporate Mail");
    EXPECT_GT(p.domain_count(), 2000U);
}

TEST(enrich_referrer, loading_fails_loudly_and_names_the_problem) {
    const auto expect_error = [](const std::string& file, const std::string& part) {
        const std::vector<std::filesystem::path> files{file};
        test_data::expect_load_error([&] { (void)referrer_parser::load(files); }, part);
    };
    expect_error("/nonexistent/referers.yml", "/nonexistent/referers.yml");
    expect_error(test_data::write_temp_file("bad_medium.yml", "tv:\n  X:\n    domains: [x.com]\n"),
                 "unknown medium 'tv'");
    expect_error(test_data::write_temp_file("no_domains.yml", "social:\n  X:\n    url: x\n"),
                 "social/X has no domains");
}

}  // namespace
}  // namespace clickstream::enrich
