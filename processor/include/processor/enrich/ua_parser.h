// User agent → browser, OS and device, from uap-core's regexes.yaml,
// following its specification (docs/specification.md in the package) as the
// reference ports (uap-python 1.x, the Rust ua-parser crate) read it:
//
// - each section's regexes are tried in file order and the first match wins;
//   matching is unanchored and case-sensitive unless `regex_flag: 'i'`;
// - browser: family_replacement replaces "$1" only; v1..v4_replacement are
//   literal; otherwise groups 1..5 give family, major, minor, patch,
//   patch_minor;
// - OS and device: every replacement is a template where $1..$9 are groups,
//   an unmatched group is ""; the result is trimmed, "" means absent; with no
//   replacement, OS fields are groups 1..5 and device family and model are
//   group 1 (a device has no brand without a brand_replacement);
// - no match: family "Other", every other field absent ("").
//
// Speed: each section is also one RE2::Set, so a parse scans the string once
// per section to learn which regexes match, then runs only the first of them
// for its groups. Loading throws if any pattern does not compile in RE2,
// naming it: a pattern is never dropped.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "processor/enrich/lru_map.h"

namespace clickstream::enrich {

struct browser_info {
    std::string family = "Other";
    std::string major, minor, patch, patch_minor;
};

struct os_info {
    std::string family = "Other";
    std::string major, minor, patch, patch_minor;
};

struct device_info {
    std::string family = "Other";
    std::string brand, model;
};

// Our own classification (uap-core has none): see classify_device().
enum class device_type { desktop, mobile, tablet, tv, console, bot, unknown };

std::string_view to_string(device_type t) noexcept;

struct user_agent_info {
    browser_info browser;
    os_info os;
    device_info device;
    device_type type = device_type::unknown;
};

// Device type from the user agent and what uap-core made of it; the rules
// are in docs/enrich.md ("Device type").
device_type classify_device(std::string_view user_agent, const user_agent_info& parsed);

struct ua_parser_options {
    std::filesystem::path regexes;  // uap-core's regexes.yaml
    // Longer user agents are parsed on their first max_length bytes (real
    // ones are under 1 KB; this bounds the work an abusive header costs).
    std::size_t max_length = 4096;
};

class ua_parser {
public:
    // Throws std::runtime_error when the file cannot be read, has an unknown
    // key or flag, or a pattern RE2 cannot compile (the message names it).
    explicit ua_parser(const ua_parser_options& options);
    ~ua_parser();
    ua_parser(ua_parser&&) noexcept;
    ua_parser& operator=(ua_parser&&) noexcept;

    // Thread-safe; no cache (see ua_cache).
    user_agent_info parse(std::string_view user_agent) const;
    browser_info parse_browser(std::string_view user_agent) const;
    os_info parse_os(std::string_view user_agent) const;
    device_info parse_device(std::string_view user_agent) const;

    struct counts {
        std::size_t browser = 0, os = 0, device = 0;
    };
    counts pattern_counts() const noexcept;

    // How often a RE2::Set ran out of memory and the section fell back to
    // trying its regexes one by one (same answer, slower). Should stay 0.
    std::size_t set_fallbacks() const noexcept;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

// A least-recently-used cache in front of a ua_parser: repeated user agents
// (most traffic) cost a hash lookup. Not thread-safe: one per worker thread.
class ua_cache {
public:
    ua_cache(const ua_parser& parser, std::size_t capacity);

    // The parse of `user_agent`; the reference is valid until the next call.
    const user_agent_info& parse(std::string_view user_agent);

    std::size_t size() const noexcept { return entries_.size(); }
    std::size_t hits() const noexcept { return hits_; }
    std::size_t misses() const noexcept { return misses_; }

private:
    const ua_parser& parser_;
    lru_map<user_agent_info> entries_;
    std::size_t hits_ = 0;
    std::size_t misses_ = 0;
};

}  // namespace clickstream::enrich
