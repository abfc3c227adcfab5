#include "collector/client_ip.h"

#include <gtest/gtest.h>

#include "common/config.h"

namespace {

using clickstream::collector::trusted_proxies;

TEST(collector_client_ip, untrusted_peer_is_the_client_whatever_it_forwards) {
    trusted_proxies proxies({"10.0.0.0/8"});
    EXPECT_EQ(proxies.client_ip("203.0.113.7", "1.2.3.4"), "203.0.113.7");
}

TEST(collector_client_ip, trusted_proxy_chain_is_walked_from_the_right) {
    trusted_proxies proxies({"10.0.0.0/8", "192.168.1.1"});
    EXPECT_EQ(proxies.client_ip("10.1.1.1", "198.51.100.9"), "198.51.100.9");
    EXPECT_EQ(proxies.client_ip("10.1.1.1", "6.6.6.6, 198.51.100.9, 192.168.1.1"), "198.51.100.9");
    EXPECT_EQ(proxies.client_ip("10.1.1.1", ""), "10.1.1.1");
}

TEST(collector_client_ip, garbage_in_the_chain_stops_at_the_last_trusted_hop) {
    trusted_proxies proxies({"10.0.0.0/8"});
    EXPECT_EQ(proxies.client_ip("10.1.1.1", "not-an-ip, 10.2.2.2"), "10.2.2.2");
}

TEST(collector_client_ip, ipv6_ranges_and_v4_mapped_peers) {
    trusted_proxies proxies({"fd00::/8", "127.0.0.1"});
    EXPECT_TRUE(proxies.contains("fd12::1"));
    EXPECT_FALSE(proxies.contains("fe80::1"));
    EXPECT_TRUE(proxies.contains("::ffff:127.0.0.1"));
    EXPECT_EQ(proxies.client_ip("fd00::5", "2001:db8::1"), "2001:db8::1");
}

TEST(collector_client_ip, bad_entry_is_a_config_error) {
    EXPECT_THROW(trusted_proxies({"10.0.0.0/40"}), clickstream::common::config_error);
    EXPECT_THROW(trusted_proxies({"proxy.local"}), clickstream::common::config_error);
}

}  // namespace
