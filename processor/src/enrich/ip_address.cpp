#include "processor/enrich/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "enrich/text.h"

namespace clickstream::enrich {
namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Keeps the first `bits` of the 128.
ip_address mask_bits(ip_address ip, int bits) noexcept {
    for (int i = 0; i < 16; ++i) {
        const int keep = std::clamp(bits - i * 8, 0, 8);
        ip.bytes[std::size_t(i)] &= static_cast<std::uint8_t>(0xff00U >> keep);
    }
    return ip;
}

}  // namespace

bool ip_address::is_v4() const noexcept {
    return std::equal(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), bytes.begin());
}

result<ip_address> parse_ip(std::string_view text) {
    const auto s = text::trim(text);
    if (s.empty()) return failure{errc::empty};
    if (s.size() >= INET6_ADDRSTRLEN) return failure{errc::bad_ip};
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    ip_address ip;
    if (s.find(':') == std::string_view::npos) {
        in_addr a4{};
        if (inet_pton(AF_INET, buf, &a4) != 1) return failure{errc::bad_ip};
        std::copy(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), ip.bytes.begin());
        std::memcpy(ip.bytes.data() + 12, &a4, 4);
        return ip;
    }
    in6_addr a6{};
    if (inet_pton(AF_INET6, buf, &a6) != 1) return failure{errc::bad_ip};
    std::memcpy(ip.bytes.data(), &a6, 16);
    return ip;
}

std::string to_string(const ip_address& ip) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (ip.is_v4()) {
        inet_ntop(AF_INET, ip.bytes.data() + 12, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf);
    }
    return buf;
}

ip_address mask(const ip_address& ip, int prefix) noexcept {
    return mask_bits(ip, ip.is_v4() ? std::clamp(prefix, 0, 32) + 96 : prefix);
}

ip_address anonymize(const ip_address& ip, const ip_anonymization& how) noexcept {
    if (!how.enabled) return ip;
    return mask(ip, ip.is_v4() ? how.v4_prefix : how.v6_prefix);
}

bool cidr::contains(const ip_address& ip) const noexcept {
    return mask_bits(ip, prefix) == network;
}

result<cidr> parse_cidr(std::string_view text) {
    const auto s = text::trim(text);
    const auto slash = s.find('/');
    auto ip = parse_ip(s.substr(0, slash));
    if (!ip) return failure{errc::bad_cidr};
    const bool v4 = ip->is_v4() && s.substr(0, slash).find(':') == std::string_view::npos;
    const int max = v4 ? 32 : 128;
    int prefix = max;
    if (slash != std::string_view::npos) {
        const auto digits = s.substr(slash + 1);
        if (digits.empty() || digits.size() > 3) return failure{errc::bad_cidr};
        prefix = 0;
        for (const char c : digits) {
            if (c < '0' || c > '9') return failure{errc::bad_cidr};
            prefix = prefix * 10 + (c - '0');
        }
        if (prefix > max) return failure{errc::bad_cidr};
    }
    cidr range;
    range.prefix = v4 ? prefix + 96 : prefix;
    range.network = *ip;
    if (!range.contains(*ip)) return failure{errc::bad_cidr};  // host bits set
    return range;
}

std::size_t cidr_set::bytes_hash::operator()(const std::array<std::uint8_t, 16>& b) const noexcept {
    return std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

void cidr_set::add(const cidr& range, std::string label) {
    auto it = std::find_if(by_prefix_.begin(), by_prefix_.end(),
                           [&](const auto& p) { return p.first == range.prefix; });
    if (it == by_prefix_.end()) {
        by_prefix_.emplace_back(range.prefix, table{});
        std::sort(by_prefix_.begin(), by_prefix_.end(),
                  [](const auto& a, const auto& b) { return a.first > b.first; });
        it = std::find_if(by_prefix_.begin(), by_prefix_.end(),
                          [&](const auto& p) { return p.first == range.prefix; });
    }
    if (it->second.emplace(range.network.bytes, std::move(label)).second) ++count_;
}

const std::string* cidr_set::find(const ip_address& ip) const {
    for (const auto& [prefix, ranges] : by_prefix_) {
        const auto masked = mask_bits(ip, prefix);
        if (const auto it = ranges.find(masked.bytes); it != ranges.end()) return &it->second;
    }
    return nullptr;
}

}  // namespace clickstream::enrich
