#include "processor/enrich/url.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace clickstream::enrich {
namespace {

TEST(enrich_url, splits_every_part_and_drops_user_info) {
    const auto url = parse_url(
        "  HTTPS://user:secret@WWW.Example.COM.:8443/a/./b/../c//d%20e"
        "?utm_source=news&q=caf%C3%A9+au+lait&flag#Sec%201  ");
    ASSERT_TRUE(url) << to_string(url.error());
    EXPECT_EQ(url->scheme, "https");
    EXPECT_EQ(url->host, "www.example.com");
    ASSERT_TRUE(url->port.has_value());
    EXPECT_EQ(*url->port, 8443U);
    EXPECT_EQ(url->path, "/a/./b/../c//d%20e");
    EXPECT_EQ(url->normalized_path, "/a/c/d e");
    EXPECT_EQ(url->query, "utm_source=news&q=caf%C3%A9+au+lait&flag");
    ASSERT_EQ(url->params.size(), 3U);
    EXPECT_EQ(url->params[1].name, "q");
    EXPECT_EQ(url->params[1].value, "café au lait");
    EXPECT_EQ(url->params[2].name, "flag");
    EXPECT_EQ(url->params[2].value, "");
    EXPECT_EQ(url->fragment, "Sec 1");
    for (const auto* part : {&url->host, &url->path, &url->query, &url->fragment}) {
        EXPECT_EQ(part->find("secret"), std::string::npos);
    }
}

TEST(enrich_url, real_world_landing_pages) {
    // A Google Ads click, a Facebook share, a newsletter link with a path
    // that needs normalising.
    const auto ads = parse_url(
        "https://shop.example.de/schuhe/damen/?gclid=Cj0KCQiA-aGCBhCwARIsAHDl5x_abc"
        "&gad_source=1");
    ASSERT_TRUE(ads);
    EXPECT_EQ(ads->normalized_path, "/schuhe/damen/");
    ASSERT_NE(ads->param("gclid"), nullptr);
    EXPECT_EQ(ads->param("gclid")->value, "Cj0KCQiA-aGCBhCwARIsAHDl5x_abc");

    const auto fb = parse_url(
        "https://www.example.com/blog/post-1?fbclid=IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_"
        "qa2ofrHyiLjcbCRxTDMgk");
    ASSERT_TRUE(fb);
    EXPECT_EQ(fb->host, "www.example.com");
    EXPECT_EQ(fb->param("fbclid")->value.substr(0, 4), "IwAR");

    const auto mail = parse_url("http://example.org//news/2024/../2025/%7Euser/?utm_medium=email");
    ASSERT_TRUE(mail);
    EXPECT_EQ(mail->normalized_path, "/news/2025/~user/");
    EXPECT_FALSE(mail->port.has_value());
}

TEST(enrich_url, ipv6_hosts_and_app_schemes) {
    const auto v6 = parse_url("http://[2001:DB8::1]:8080/x");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "2001:db8::1");
    EXPECT_EQ(*v6->port, 8080U);

    const auto app = parse_url("android-app://com.google.android.gm/");
    ASSERT_TRUE(app);
    EXPECT_EQ(app->scheme, "android-app");
    EXPECT_EQ(app->host, "com.google.android.gm");

    const auto mailto = parse_url("mailto:someone@example.com");
    ASSERT_TRUE(mailto);
    EXPECT_EQ(mailto->host, "");
    EXPECT_EQ(mailto->path, "someone@example.com");
}

TEST(enrich_url, normalizes_paths) {
    const std::pair<const char*, const char*> cases[] = {
        {"", "/"},
        {"/", "/"},
        {"/a/b/../../..", "/"},
        {"/a/..", "/"},
        {"/./a/", "/a/"},
        {"//a///b", "/a/b"},
        {"/a/b/.", "/a/b/"},
        {"/a/%2F/b", "/a/%2F/b"},  // an encoded slash is not a separator
        {"/a/%2e%2e/b", "/b"},     // decoded dots are dot segments
        {"/%E2%82%AC/x", "/€/x"},
        {"/%ff%fe", "/%ff%fe"},  // not UTF-8 once decoded: left as written
    };
    for (const auto& [in, want] : cases) EXPECT_EQ(normalize_path(in), want) << in;
}

TEST(enrich_url, percent_decoding_keeps_what_it_cannot_decode) {
    EXPECT_EQ(percent_decode("a%20b"), "a b");
    EXPECT_EQ(percent_decode("a+b"), "a+b");
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_EQ(percent_decode("100%"), "100%");
    EXPECT_EQ(percent_decode("%4"), "%4");
    EXPECT_EQ(percent_decode("%zz%41"), "%zzA");
    EXPECT_EQ(percent_decode("%C3%28"), "%C3%28");  // invalid UTF-8: unchanged
}

TEST(enrich_url, query_pieces) {
    const auto params = parse_query("a=1&&b=&=x&c=%3D%26&a=2");
    ASSERT_EQ(params.size(), 5U);
    EXPECT_EQ(params[0].value, "1");
    EXPECT_EQ(params[1].name, "b");
    EXPECT_EQ(params[2].name, "");
    EXPECT_EQ(params[2].value, "x");
    EXPECT_EQ(params[3].value, "=&");
    EXPECT_EQ(params[4].value, "2");
}

TEST(enrich_url, garbage_is_an_error_value) {
    const std::pair<std::string, errc> cases[] = {
        {"", errc::empty},
        {"   \t", errc::empty},
        {"example.com/path", errc::bad_scheme},
        {"/relative/path", errc::bad_scheme},
        {"1http://x.com/", errc::bad_scheme},
        {"ht tp://x.com/", errc::bad_character},
        {"http://exa mple.com/", errc::bad_character},
        {std::string("http://x.com/\x01"), errc::bad_character},
        {"http://[::1/", errc::bad_host},
        {"http://[::1]x/", errc::bad_host},
        {"http://exa<mple.com/", errc::bad_host},
        {"http:example.com", errc::bad_host},
        {"http:///path", errc::bad_host},
        {"http://example.com:99999/", errc::bad_port},
        {"http://example.com:12a/", errc::bad_port},
        {"http://example.com:" + std::string(9, '1') + "/", errc::bad_port},
        {"https://example.com/" + std::string(max_url_length, 'a'), errc::too_long},
    };
    for (const auto& [in, want] : cases) {
        const auto url = parse_url(in);
        ASSERT_FALSE(url) << in;
        EXPECT_EQ(url.error(), want) << in << " gave " << to_string(url.error());
    }
}

// Random bytes and mangled URLs: never a crash or exception, and every
// accepted URL keeps the parser's invariants.
TEST(enrich_url, survives_random_input) {
    const unsigned seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const std::string seeds[] = {"https://a.example.com:80/x/../y?q=%41&b#f",
                                 "http://[::1]:1/%zz//.?a=+"};
    const std::string alphabet = ":/?#[]@%+.&=-_~AZaz09 \t\x01\xc3\xa9\xff";
    std::size_t accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string s = seeds[std::size_t(i) % 2];
        const int edits = 1 + int(rng() % 8);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % (s.size() + 1);
            const char c = alphabet[rng() % alphabet.size()];
            if (rng() % 2 != 0 && at < s.size()) {
                s[at] = c;
            } else {
                s.insert(at, 1, c);
            }
        }
        const auto url = parse_url(s);
        if (!url) continue;
        ++accepted;
        ASSERT_FALSE(url->scheme.empty()) << s;
        ASSERT_EQ(url->normalized_path.front(), '/') << s;
        ASSERT_EQ(url->normalized_path.find("//"), std::string::npos) << s;
        for (const char c : url->host) ASSERT_FALSE(c >= 'A' && c <= 'Z') << s;
        if (url->port) {
            ASSERT_LE(*url->port, 65535U) << s;
        }
    }
    EXPECT_GT(accepted, 0U);  // the invariants above were exercised
}

}  // namespace
}  // namespace clickstream::enrich
