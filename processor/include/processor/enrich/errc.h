// Errors of the enrich derivations, as values (hot path: no exceptions).
//
// Each derivation returns clickstream::result<T, errc>; the clean-event stage
// turns an errc into a flag or a dlq reason with to_string(). Start-up
// (loading data files) throws std::runtime_error instead, naming the file and
// the entry that failed.
#pragma once

#include <clickstream/result.h>

#include <string_view>
#include <system_error>

namespace clickstream::enrich {

enum class errc {
    success = 0,
    empty,          // nothing to parse
    too_long,       // over the derivation's size limit
    bad_scheme,     // URL: no scheme, or characters a scheme cannot hold
    bad_host,       // URL: characters a host cannot hold, or an unclosed [v6]
    bad_port,       // URL: not a number in 0..65535
    bad_character,  // control characters or spaces where none may be
    bad_ip,         // not an IPv4 or IPv6 address
    bad_cidr,       // not address/prefix, or a prefix too long
};

// A stable snake_case name ("bad_host"), for logs, flags and dlq reasons.
std::string_view to_string(errc e) noexcept;

const std::error_category& enrich_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

template <class T>
using result = clickstream::result<T, errc>;

}  // namespace clickstream::enrich

template <>
struct std::is_error_code_enum<clickstream::enrich::errc> : true_type {};
