#include "processor/enrich/url.h"

#include "enrich/text.h"

namespace clickstream::enrich {
namespace {

bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
using text::hex_value;
using text::is_digit;

// Control characters and spaces cannot appear inside a URL; browsers escape
// them, so finding one means the input is not a URL.
bool has_forbidden(std::string_view s) noexcept {
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7F) return true;
    }
    return false;
}

// Host characters: RFC 3986 reg-name (unreserved, sub-delims, pct-encoded)
// plus non-ASCII bytes (IDNs as browsers send them before punycode).
bool valid_reg_name(std::string_view host) noexcept {
    constexpr std::string_view allowed = "-._~!$&'()*+,;=%";
    for (const char c : host) {
        if (static_cast<unsigned char>(c) >= 0x80) continue;
        if (is_alpha(c) || is_digit(c) || allowed.find(c) != std::string_view::npos) continue;
        return false;
    }
    return true;
}

bool valid_ipv6_literal(std::string_view host) noexcept {
    if (host.empty()) return false;
    for (const char c : host) {
        if (!(hex_value(c) >= 0 || c == ':' || c == '.' || c == '%' || is_alpha(c))) return false;
    }
    return host.find(':') != std::string_view::npos;
}

// Decodes %XX; with keep_slash, "%2F" stays encoded (upper case).
std::string decode(std::string_view s, bool plus_as_space, bool keep_slash) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '%' && i + 2 < s.size()) {
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                const char decoded = static_cast<char>(hi * 16 + lo);
                if (keep_slash && decoded == '/') {
                    out += "%2F";
                } else {
                    out += decoded;
                }
                i += 2;
                continue;
            }
        }
        out += (plus_as_space && c == '+') ? ' ' : c;
    }
    if (!text::valid_utf8(out)) return std::string(s);
    return out;
}

}  // namespace

const query_param* parsed_url::param(std::string_view name) const noexcept {
    for (const auto& p : params) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

std::string percent_decode(std::string_view s, bool plus_as_space) {
    return decode(s, plus_as_space, false);
}

std::vector<query_param> parse_query(std::string_view query) {
    std::vector<query_param> params;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto piece = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (piece.empty()) continue;
        const auto eq = piece.find('=');
        query_param p;
        p.name = decode(piece.substr(0, eq), true, false);
        if (eq != std::string_view::npos) p.value = decode(piece.substr(eq + 1), true, false);
        params.push_back(std::move(p));
    }
    return params;
}

std::string normalize_path(std::string_view raw_path) {
    const std::string decoded = decode(raw_path, false, true);
    // Segments between slashes; "" segments (from "//") are dropped, "."
    // dropped, ".." pops. A path ending in "/", "/." or "/.." keeps a
    // trailing slash.
    std::vector<std::string_view> segments;
    bool trailing_slash = false;
    for (std::string_view rest = decoded;;) {
        const auto slash = rest.find('/');
        const auto seg = rest.substr(0, slash);
        const bool last = slash == std::string_view::npos;
        if (seg == "..") {
            if (!segments.empty()) segments.pop_back();
        } else if (!seg.empty() && seg != ".") {
            segments.push_back(seg);
        }
        if (last) {
            trailing_slash = seg.empty() || seg == "." || seg == "..";
            break;
        }
        rest.remove_prefix(slash + 1);
    }
    std::string out;
    for (const auto seg : segments) {
        out += '/';
        out += seg;
    }
    if (out.empty() || trailing_slash) out += '/';
    return out;
}

result<parsed_url> parse_url(std::string_view text) {
    std::string_view s = text::trim(text);
    if (s.empty()) return failure{errc::empty};
    if (s.size() > max_url_length) return failure{errc::too_long};
    if (has_forbidden(s)) return failure{errc::bad_character};

    parsed_url url;

    // scheme ":" — ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || !is_alpha(s[0])) {
        return failure{errc::bad_scheme};
    }
    for (std::size_t i = 0; i < colon; ++i) {
        const char c = s[i];
        if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.')) {
            return failure{errc::bad_scheme};
        }
    }
    url.scheme = text::to_lower(s.substr(0, colon));
    s.remove_prefix(colon + 1);

    // Fragment and query come off the end first: '#' ends everything, '?'
    // ends the path.
    if (const auto hash = s.find('#'); hash != std::string_view::npos) {
        url.fragment = percent_decode(s.substr(hash + 1));
        s = s.substr(0, hash);
    }
    if (const auto q = s.find('?'); q != std::string_view::npos) {
        url.query = std::string(s.substr(q + 1));
        url.params = parse_query(url.query);
        s = s.substr(0, q);
    }

    // "//" authority: [userinfo "@"] host [":" port]
    if (s.starts_with("//")) {
        s.remove_prefix(2);
        const auto end = s.find('/');
        std::string_view authority = s.substr(0, end);
        s = end == std::string_view::npos ? std::string_view{} : s.substr(end);
        if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
            authority.remove_prefix(at + 1);
        }
        std::string_view host;
        std::string_view port;
        if (authority.starts_with('[')) {
            const auto close = authority.find(']');
            if (close == std::string_view::npos) return failure{errc::bad_host};
            host = authority.substr(1, close - 1);
            const auto after = authority.substr(close + 1);
            if (!after.empty()) {
                if (after[0] != ':') return failure{errc::bad_host};
                port = after.substr(1);
            }
            if (!valid_ipv6_literal(host)) return failure{errc::bad_host};
        } else {
            const auto pc = authority.rfind(':');
            host = authority.substr(0, pc);
            if (pc != std::string_view::npos) port = authority.substr(pc + 1);
            if (!valid_reg_name(host)) return failure{errc::bad_host};
        }
        if (!port.empty()) {
            if (port.size() > 5) return failure{errc::bad_port};
            unsigned value = 0;
            for (const char c : port) {
                if (!is_digit(c)) return failure{errc::bad_port};
                value = value * 10 + unsigned(c - '0');
            }
            if (value > 65535) return failure{errc::bad_port};
            url.port = value;
        }
        url.host = text::to_lower(host);
        if (url.host.ends_with('.')) url.host.pop_back();
        if ((url.scheme == "http" || url.scheme == "https") && url.host.empty()) {
            return failure{errc::bad_host};
        }
    } else if (url.scheme == "http" || url.scheme == "https") {
        return failure{errc::bad_host};  // "http:example.com" has no authority
    }

    url.path = std::string(s);
    url.normalized_path = normalize_path(s);
    return url;
}

}  // namespace clickstream::enrich
