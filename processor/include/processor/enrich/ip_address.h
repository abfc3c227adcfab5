// IP addresses: parsing, CIDR ranges, anonymisation.
//
// Both families are held as 16 bytes; IPv4 as the IPv4-mapped IPv6 address
// (::ffff:a.b.c.d), so one comparison serves both, and "::ffff:1.2.3.4"
// from a dual-stack socket is the IPv4 address it carries.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "processor/enrich/errc.h"

namespace clickstream::enrich {

struct ip_address {
    std::array<std::uint8_t, 16> bytes{};

    bool is_v4() const noexcept;
    friend bool operator==(const ip_address&, const ip_address&) = default;
};

// "203.0.113.7", "2001:db8::1", "::ffff:203.0.113.7"; surrounding
// whitespace is allowed, brackets and ports are not.
result<ip_address> parse_ip(std::string_view text);

// Dotted quad for IPv4, RFC 5952 text for IPv6.
std::string to_string(const ip_address& ip);

// Keeps the first `prefix` bits (of 32 for IPv4, of 128 for IPv6).
ip_address mask(const ip_address& ip, int prefix) noexcept;

// What the clean event keeps of the client address. Defaults: IPv4 loses
// its last octet, IPv6 its last 80 bits (the /48 a site usually gets).
struct ip_anonymization {
    bool enabled = true;
    int v4_prefix = 24;
    int v6_prefix = 48;
};

ip_address anonymize(const ip_address& ip, const ip_anonymization& how) noexcept;

struct cidr {
    ip_address network;  // masked
    int prefix = 0;      // of 128 (IPv4 ranges are 96 + their prefix)

    bool contains(const ip_address& ip) const noexcept;
};

// "192.0.2.0/24", "2001:db8::/32"; a bare address is a /32 or /128. Host
// bits past the prefix are an error (errc::bad_cidr): "10.0.0.1/8" is more
// likely a typo than a range.
result<cidr> parse_cidr(std::string_view text);

// Ranges with a label each; find() answers the longest matching prefix in
// one hash lookup per distinct prefix length (not one compare per range).
class cidr_set {
public:
    void add(const cidr& range, std::string label);
    // The label of the most specific range holding `ip`, or nullptr.
    const std::string* find(const ip_address& ip) const;
    bool empty() const noexcept { return count_ == 0; }
    std::size_t size() const noexcept { return count_; }

private:
    struct bytes_hash {
        std::size_t operator()(const std::array<std::uint8_t, 16>& b) const noexcept;
    };
    using table = std::unordered_map<std::array<std::uint8_t, 16>, std::string, bytes_hash>;
    std::vector<std::pair<int, table>> by_prefix_;  // longest prefix first
    std::size_t count_ = 0;
};

}  // namespace clickstream::enrich
