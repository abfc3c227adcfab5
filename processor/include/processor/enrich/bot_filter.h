// Is this event from a bot, and by which rule?
//
// Rules, in order; the first that decides names the verdict:
//   1. site_deny   — the site's own deny list (user agent regex or IP range)
//   2. site_allow  — the site's own allow list: a person, whatever follows
//   3. automation  — the beacon reported navigator.webdriver = true
//   4. headless    — a headless browser's user agent (HeadlessChrome, ...)
//   5. crawler     — a crawler-user-agents pattern (all 1,500 in one RE2::Set)
//   6. ip_range    — a configured CIDR range (known crawler networks), v4 or v6
//   7. behaviour   — the session makes events faster than a person can
//                    (session_rate_guard; the caller passes its verdict in)
// check() is thread-safe: the filter is immutable after construction.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "processor/enrich/ip_address.h"
#include "processor/enrich/session_rate_guard.h"

namespace clickstream::enrich {

enum class bot_rule {
    none,
    site_deny,
    site_allow,
    automation,
    headless,
    crawler,
    ip_range,
    behaviour
};

std::string_view to_string(bot_rule r) noexcept;

struct site_bot_rules {
    std::vector<std::string> deny_user_agents;   // RE2 patterns, unanchored
    std::vector<std::string> deny_ip_ranges;     // CIDR
    std::vector<std::string> allow_user_agents;  // RE2 patterns, unanchored
    std::vector<std::string> allow_ip_ranges;    // CIDR
};

struct bot_filter_options {
    std::filesystem::path crawler_user_agents;  // crawler-user-agents.json; empty: no rule 5
    // "CIDR" or "CIDR label" ("66.249.64.0/19 googlebot"); '#' starts a comment.
    std::vector<std::string> ip_ranges;
    bool automation = true;  // rule 3
    bool headless = true;    // rule 4
    std::map<std::string, site_bot_rules, std::less<>> sites;
};

struct bot_signals {
    std::string_view site;
    std::string_view user_agent;
    std::optional<ip_address> ip;
    bool webdriver = false;
    rate_verdict rate;  // from session_rate_guard::observe()
};

struct bot_verdict {
    bool bot = false;
    bot_rule rule = bot_rule::none;
    // What matched: the pattern, the range (and its label), the rate.
    std::string detail;
};

class bot_filter {
public:
    // Throws std::runtime_error naming the file, pattern or range that
    // cannot be read or compiled.
    explicit bot_filter(const bot_filter_options& options);
    ~bot_filter();
    bot_filter(bot_filter&&) noexcept;
    bot_filter& operator=(bot_filter&&) noexcept;

    bot_verdict check(const bot_signals& signals) const;

    std::size_t crawler_pattern_count() const noexcept;
    std::size_t ip_range_count() const noexcept;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

// Reads an IP range file for bot_filter_options::ip_ranges: one range a
// line, blank lines and '#' comments skipped. Throws if it cannot be read.
std::vector<std::string> read_ip_range_file(const std::filesystem::path& file);

}  // namespace clickstream::enrich
