#include "collector/client_ip.h"

#include "common/config.h"

namespace clickstream::collector {
namespace {

namespace ip = boost::asio::ip;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

trusted_proxies::trusted_proxies(const std::vector<std::string>& entries) {
    for (const auto& entry : entries) {
        boost::system::error_code ec;
        std::string text = entry;
        if (text.find('/') == std::string::npos) {
            const auto a = ip::make_address(text, ec);
            if (!ec) text += a.is_v4() ? "/32" : "/128";
        }
        if (text.find(':') == std::string::npos) {
            const auto net = ip::make_network_v4(text, ec);
            if (!ec) {
                v4_.push_back(net);
                continue;
            }
        } else {
            const auto net = ip::make_network_v6(text, ec);
            if (!ec) {
                v6_.push_back(net);
                continue;
            }
        }
        throw common::config_error("trusted_proxies: '" + entry + "' is not an address or range");
    }
}

bool trusted_proxies::contains(std::string_view address) const noexcept {
    boost::system::error_code ec;
    auto a = ip::make_address(std::string(address), ec);
    if (ec) return false;
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
    if (a.is_v4()) {
        const auto v4 = a.to_v4();
        for (const auto& net : v4_) {
            if ((v4.to_uint() & net.netmask().to_uint()) == net.network().to_uint()) return true;
        }
        return false;
    }
    const auto v6 = a.to_v6();
    for (const auto& net : v6_) {
        if (ip::network_v6(v6, net.prefix_length()).canonical() == net.canonical()) return true;
    }
    return false;
}

std::string trusted_proxies::client_ip(std::string_view peer,
                                       std::string_view forwarded_for) const {
    if (forwarded_for.empty() || !contains(peer)) return std::string(peer);
    std::string_view rest = forwarded_for;
    std::string candidate(peer);
    while (!rest.empty()) {
        const auto comma = rest.rfind(',');
        const std::string_view entry =
            trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
        boost::system::error_code ec;
        ip::make_address(std::string(entry), ec);
        if (ec) return candidate;  // garbage: stop at the last address we could trust
        candidate = std::string(entry);
        if (!contains(entry)) return candidate;
    }
    return candidate;
}

}  // namespace clickstream::collector
