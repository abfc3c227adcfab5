// Errors of the sessionize stage, as values. ClickHouse and libcurl errors
// become these in the one client that calls them (clickhouse.cpp); the
// original reason goes to the log.
#pragma once

#include <clickstream/result.h>

#include <string_view>
#include <system_error>

namespace clickstream::sessionize {

enum class errc {
    success = 0,
    bad_json,                // a clean event that is not a JSON object
    missing_field,           // a clean event without a field the window needs
    bad_value,               // a field of the wrong type or out of range
    clickhouse_unreachable,  // no answer (connect, timeout, reset): retry later
    clickhouse_rejected,     // ClickHouse answered with an error: retry later, it may be transient
    clickhouse_bad_answer,   // an answer we cannot read
};

std::string_view to_string(errc e) noexcept;

const std::error_category& sessionize_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

template <class T>
using result = clickstream::result<T, errc>;

}  // namespace clickstream::sessionize

template <>
struct std::is_error_code_enum<clickstream::sessionize::errc> : true_type {};
