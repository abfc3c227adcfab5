// Small ASCII text helpers shared by the derivations (internal).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace clickstream::enrich::text {

inline char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

inline bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// The value of an ASCII hex digit (either case), or -1.
inline int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b) noexcept;

// Without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view s) noexcept;

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values past
// U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

// Length of the well-formed UTF-8 sequence at s[i] (1 for ASCII), or 0 when
// none starts there (a stray continuation byte, an overlong form, a
// surrogate, a value past U+10FFFF, a sequence cut short).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;

// True when `host` is `domain` or one of its subdomains ("a.b.example.com"
// and "example.com"), both already lower case.
bool host_within(std::string_view host, std::string_view domain) noexcept;

}  // namespace clickstream::enrich::text
