#include "processor/enrich/ip_address.h"

#include <gtest/gtest.h>

namespace clickstream::enrich {
namespace {

ip_address ip(const char* text) {
    const auto r = parse_ip(text);
    EXPECT_TRUE(r) << text;
    return r ? *r : ip_address{};
}

TEST(enrich_ip_address, parses_and_prints_both_families) {
    EXPECT_TRUE(ip("203.0.113.7").is_v4());
    EXPECT_EQ(to_string(ip(" 203.0.113.7 ")), "203.0.113.7");
    EXPECT_FALSE(ip("2001:db8::1").is_v4());
    EXPECT_EQ(to_string(ip("2001:0DB8:0000:0000:0000:0000:0000:0001")), "2001:db8::1");
    // A dual-stack socket's form of an IPv4 client is that IPv4 address.
    EXPECT_TRUE(ip("::ffff:203.0.113.7").is_v4());
    EXPECT_EQ(ip("::ffff:203.0.113.7"), ip("203.0.113.7"));
}

TEST(enrich_ip_address, garbage_is_an_error_value) {
    for (const char* bad :
         {"", "   ", "256.1.1.1", "1.2.3", "1.2.3.4.5", "[::1]", "::1:80:", "203.0.113.7:443",
          "example.com", "1.2.3.4/24", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
        const auto r = parse_ip(bad);
        EXPECT_FALSE(r) << bad;
    }
    EXPECT_EQ(parse_ip("").error(), errc::empty);
    EXPECT_EQ(parse_ip("nonsense").error(), errc::bad_ip);
}

TEST(enrich_ip_address, anonymizes_the_last_octet_and_the_last_80_bits) {
    EXPECT_EQ(to_string(anonymize(ip("203.0.113.77"), {})), "203.0.113.0");
    EXPECT_EQ(to_string(anonymize(ip("::ffff:203.0.113.77"), {})), "203.0.113.0");
    EXPECT_EQ(to_string(anonymize(ip("2001:db8:abcd:1234:5678:9abc:def0:1234"), {})),
              "2001:db8:abcd::");
    const ip_anonymization coarse{true, 16, 32};
    EXPECT_EQ(to_string(anonymize(ip("203.0.113.77"), coarse)), "203.0.0.0");
    EXPECT_EQ(to_string(anonymize(ip("2001:db8:abcd:1234::1"), coarse)), "2001:db8::");
    const ip_anonymization off{false, 24, 48};
    EXPECT_EQ(to_string(anonymize(ip("203.0.113.77"), off)), "203.0.113.77");
    EXPECT_EQ(to_string(mask(ip("203.0.113.77"), 28)), "203.0.113.64");
}

TEST(enrich_ip_address, cidr_ranges) {
    const auto r = parse_cidr("192.0.2.0/24");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->contains(ip("192.0.2.255")));
    EXPECT_FALSE(r->contains(ip("192.0.3.0")));
    EXPECT_FALSE(r->contains(ip("2001:db8::1")));
    const auto v6 = parse_cidr("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains(ip("2001:db8:ffff::1")));
    EXPECT_FALSE(v6->contains(ip("192.0.2.1")));
    const auto all = parse_cidr("0.0.0.0/0");
    ASSERT_TRUE(all);
    EXPECT_TRUE(all->contains(ip("8.8.8.8")));
    EXPECT_FALSE(all->contains(ip("::1")));  // IPv4's /0 is all of IPv4 only
    const auto host = parse_cidr("192.0.2.7");
    ASSERT_TRUE(host);
    EXPECT_TRUE(host->contains(ip("192.0.2.7")));
    EXPECT_FALSE(host->contains(ip("192.0.2.6")));
    for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/",
                            "10.0.0.0/x", "/24", "10.0.0.0/0024"}) {
        EXPECT_FALSE(parse_cidr(bad)) << bad;
    }
}

TEST(enrich_ip_address, cidr_set_answers_the_most_specific_range) {
    cidr_set set;
    set.add(*parse_cidr("10.0.0.0/8"), "wide");
    set.add(*parse_cidr("10.1.0.0/16"), "narrow");
    set.add(*parse_cidr("2001:db8::/32"), "v6");
    EXPECT_EQ(set.size(), 3U);
    EXPECT_EQ(*set.find(ip("10.1.2.3")), "narrow");
    EXPECT_EQ(*set.find(ip("10.2.2.3")), "wide");
    EXPECT_EQ(*set.find(ip("2001:db8::5")), "v6");
    EXPECT_EQ(set.find(ip("11.0.0.1")), nullptr);
}

}  // namespace
}  // namespace clickstream::enrich
