// Small ASCII text helpers shared by the derivations (internal).
#pragma once

#include <string>
#include <string_view>

namespace clickstream::enrich::text {

inline char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b) noexcept;

// Without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view s) noexcept;

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values past
// U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

// True when `host` is `domain` or one of its subdomains ("a.b.example.com"
// and "example.com"), both already lower case.
bool host_within(std::string_view host, std::string_view domain) noexcept;

}  // namespace clickstream::enrich::text
