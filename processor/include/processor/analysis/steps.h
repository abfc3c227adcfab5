// Funnel steps as people type them:
//
//   page:/pricing            a page view (or app screen view) of exactly this path
//   page:/product/*          '*' matches any run of characters
//   event:signup             an event named `signup` (custom or conversion
//                            name), or of that type (`event:click`)
//   event:purchase{plan=pro,currency=EUR}
//                            ... whose props carry these values (strings,
//                            numbers and booleans compared as written)
//
// parse_step() says exactly what is wrong with a step it refuses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "processor/analysis/errc.h"

namespace clickstream::analysis {

struct property_filter {
    std::string key;
    std::string value;
};

struct step {
    enum class kind { page, event };
    kind what = kind::page;
    std::string pattern;  // a path (page) or a name (event)
    std::vector<property_filter> props;
    std::string text;  // as typed, for labels
};

result<step> parse_step(std::string_view text);
// At least 2 and at most 10 steps.
result<std::vector<step>> parse_steps(const std::vector<std::string>& texts);

// The SQL condition over the `events` table that an event matches `s`.
std::string step_condition(const step& s);
// A '*' glob as a LIKE pattern ('%', '_' and '\' escaped).
std::string like_pattern(std::string_view glob);

}  // namespace clickstream::analysis
