#include "processor/enrich/campaign.h"

#include <gtest/gtest.h>

namespace clickstream::enrich {
namespace {

campaign of(const char* url) {
    const auto parsed = parse_url(url);
    EXPECT_TRUE(parsed) << url;
    return parsed ? extract_campaign(*parsed) : campaign{};
}

TEST(enrich_campaign, reads_every_utm_field) {
    const auto c =
        of("https://shop.example.com/?utm_source=newsletter&utm_medium=email"
           "&utm_campaign=spring%20sale&utm_term=running+shoes&utm_content=hero-banner&utm_id=42");
    EXPECT_EQ(c.source, "newsletter");
    EXPECT_EQ(c.medium, "email");
    EXPECT_EQ(c.name, "spring sale");
    EXPECT_EQ(c.term, "running shoes");
    EXPECT_EQ(c.content, "hero-banner");
    EXPECT_EQ(c.id, "42");
    EXPECT_TRUE(c.has_utm());
    EXPECT_FALSE(c.has_click_id());
}

TEST(enrich_campaign, reads_every_click_id) {
    const auto c =
        of("https://example.com/?gclid=G1&gbraid=GB&wbraid=WB&dclid=D1&fbclid=F1&msclkid=M1"
           "&ttclid=T1&li_fat_id=L1");
    EXPECT_EQ(c.gclid, "G1");
    EXPECT_EQ(c.gbraid, "GB");
    EXPECT_EQ(c.wbraid, "WB");
    EXPECT_EQ(c.dclid, "D1");
    EXPECT_EQ(c.fbclid, "F1");
    EXPECT_EQ(c.msclkid, "M1");
    EXPECT_EQ(c.ttclid, "T1");
    EXPECT_EQ(c.li_fat_id, "L1");
    EXPECT_TRUE(c.has_click_id());
    EXPECT_FALSE(c.has_utm());
}

TEST(enrich_campaign, names_ignore_case_first_value_wins_values_are_trimmed) {
    const auto c =
        of("https://example.com/?UTM_Source=%20Google%20&utm_source=bing&Utm_Medium=CPC");
    EXPECT_EQ(c.source, "Google");
    EXPECT_EQ(c.medium, "CPC");  // values keep their case
}

TEST(enrich_campaign, nothing_on_a_plain_url_or_in_the_fragment) {
    const auto c = of("https://example.com/page?id=7#utm_source=ignored");
    EXPECT_FALSE(c.has_utm());
    EXPECT_FALSE(c.has_click_id());
}

}  // namespace
}  // namespace clickstream::enrich
