// URL parsing for page URLs and referrers.
//
// parse_url() splits an absolute URL (RFC 3986 shape, with the browser habits
// WHATWG allows: surrounding whitespace, upper-case scheme and host, a
// trailing dot on the host) into its parts, percent-decodes what a person
// reads (path, query parameters, fragment) and normalises the path for
// grouping. It never throws: garbage comes back as an errc. User info
// ("user:password@") is parsed past and never kept.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "processor/enrich/errc.h"

namespace clickstream::enrich {

// Longest URL parse_url() accepts; longer ones are errc::too_long. Browsers
// send up to 2 MB, but no page URL worth reporting is longer than this.
inline constexpr std::size_t max_url_length = 16 * 1024;

struct query_param {
    std::string name;   // decoded ('+' is a space)
    std::string value;  // decoded; "" for "?flag" and "?flag="
};

struct parsed_url {
    std::string scheme;            // lower case: "https", "android-app"
    std::string host;              // lower case, no trailing dot; IPv6 without brackets
    std::optional<unsigned> port;  // as written; absent when the URL has none
    std::string path;              // as written (still percent-encoded); "" or "/..."
    std::string normalized_path;   // decoded, dot segments resolved, "//" collapsed, "/" if empty
    std::string query;             // as written, without '?'
    std::vector<query_param> params;  // in order, duplicates kept
    std::string fragment;             // decoded, without '#'

    // The first parameter with this name (exact, case-sensitive), if any.
    const query_param* param(std::string_view name) const noexcept;
};

result<parsed_url> parse_url(std::string_view text);

// Percent-decodes `s` ("%41" → "A"; malformed escapes are kept as written).
// With plus_as_space, '+' becomes ' ' (query strings). If the decoded bytes
// are not valid UTF-8, the input is returned unchanged: a person still reads
// it, and the clean event stays valid JSON.
std::string percent_decode(std::string_view s, bool plus_as_space = false);

// The path for grouping: percent-decoded (except "%2F", which would change
// the segments), "." and ".." segments resolved (RFC 3986 5.2.4), runs of '/'
// collapsed, "" → "/". The trailing slash is kept: "/a/" and "/a" differ.
std::string normalize_path(std::string_view raw_path);

// Splits a query string ("a=1&b=2") into decoded parameters; empty pieces
// ("a=1&&b=2") are skipped.
std::vector<query_param> parse_query(std::string_view query);

}  // namespace clickstream::enrich
