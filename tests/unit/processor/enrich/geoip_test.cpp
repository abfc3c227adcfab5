#include "processor/enrich/geoip.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "enrich_test_data.h"

namespace clickstream::enrich {
namespace {

// Debian's geoip-database (installed by scripts/setup). Its data is from
// 2019: these addresses have belonged to the same countries far longer.
TEST(enrich_geoip, countries_from_debians_databases) {
    const auto paths = test_data::paths();
    const geoip_country_lookup geo(paths.geoip_v4, paths.geoip_v6);
    ASSERT_TRUE(geo.has_v4());
    ASSERT_TRUE(geo.has_v6());
    EXPECT_EQ(geo.country(*parse_ip("8.8.8.8")), "US");        // Google DNS
    EXPECT_EQ(geo.country(*parse_ip("193.99.144.80")), "DE");  // heise.de
    EXPECT_EQ(geo.country(*parse_ip("::ffff:193.99.144.80")), "DE");
    EXPECT_EQ(geo.country(*parse_ip("2001:4860:4860::8888")), "US");  // Google DNS
    EXPECT_EQ(geo.country(*parse_ip("10.1.2.3")), "");                // private
    EXPECT_EQ(geo.country(*parse_ip("::1")), "");
}

TEST(enrich_geoip, no_database_means_unknown) {
    const auto none = open_country_lookup("/nonexistent/GeoIP.dat", "");
    EXPECT_EQ(none->country(*parse_ip("8.8.8.8")), "");
    const geoip_country_lookup v4_only(test_data::paths().geoip_v4, "/nonexistent/GeoIPv6.dat");
    EXPECT_TRUE(v4_only.has_v4());
    EXPECT_FALSE(v4_only.has_v6());
    EXPECT_EQ(v4_only.country(*parse_ip("2001:4860:4860::8888")), "");
    EXPECT_EQ(v4_only.country(*parse_ip("8.8.8.8")), "US");
}

TEST(enrich_geoip, a_file_that_is_not_the_right_database_fails_loudly) {
    const auto paths = test_data::paths();
    EXPECT_THROW(geoip_country_lookup(paths.geoip_v6, ""), std::runtime_error);  // v6 as v4
    EXPECT_THROW(geoip_country_lookup(paths.uap_regexes, ""), std::runtime_error);
}

}  // namespace
}  // namespace clickstream::enrich
