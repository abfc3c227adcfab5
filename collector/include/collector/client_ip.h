// The client's address: the TCP peer, or, when the peer is a trusted proxy,
// the right-most X-Forwarded-For entry that is not itself a trusted proxy.
// Entries from untrusted peers are ignored (anyone can write the header).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace clickstream::collector {

class trusted_proxies {
public:
    trusted_proxies() = default;
    // Addresses ("10.0.0.1") or CIDR ranges ("10.0.0.0/8", "fd00::/8").
    // Start-up: throws common::config_error naming the bad entry.
    explicit trusted_proxies(const std::vector<std::string>& entries);

    bool contains(std::string_view address) const noexcept;

    // `peer` is the TCP peer; `forwarded_for` the X-Forwarded-For header ("" if none).
    std::string client_ip(std::string_view peer, std::string_view forwarded_for) const;

private:
    std::vector<boost::asio::ip::network_v4> v4_;
    std::vector<boost::asio::ip::network_v6> v6_;
};

}  // namespace clickstream::collector
