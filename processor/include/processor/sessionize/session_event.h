// What the session window reads of a clean event (docs/contracts/, the
// clean event; field names are the `events` table's columns), and the parse
// of one clean-event JSON line into it. Pure: no Kafka, no ClickHouse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "processor/sessionize/errc.h"

namespace clickstream::sessionize {

struct session_event {
    std::string site;
    std::string session_id;
    std::string event_id;
    std::int64_t event_time_ms = 0;  // the corrected time from enrich
    std::string time_source;         // "true_ts" (imports, server side) or "skew_corrected"
    std::string type;                // page_view, screen_view, click, scroll, hover, ...
    std::string name;
    std::string anonymous_id;
    std::string user_id;
    std::uint32_t seq = 0;  // 1, 2, 3... per session and tab; 0: unknown
    std::string tab_id;
    std::string url_path;
    std::string referrer;
    std::string referrer_medium;
    std::string referrer_source;
    std::string utm_source;
    std::string utm_medium;
    std::string utm_campaign;
    std::string utm_term;
    std::string utm_content;
    std::string channel;
    std::string device_type;
    std::string browser_family;
    std::string os_family;
    std::string country;
    std::uint32_t scroll_depth = 0;
    double value = 0;
    std::string currency;
    std::string sdk_name;
    std::string platform;
    std::uint32_t session_timeout_s =
        0;  // sdk_session_timeout_s: what the SDK believes; 0: not sent
    // Events the SDK itself discarded since its previous batch (queue full,
    // consent denied, rejected: the clean event's dropped_* fields, set on a
    // batch's first event only). They kept their seq numbers, so they are
    // gaps in seq that are not losses on the way.
    std::uint32_t sdk_dropped = 0;

    // Imports run under a watermark of their own (see session_window).
    bool historical() const noexcept { return time_source == "true_ts"; }
};

// A clean event read from its JSON line, and the row to insert into `events`
// (the line itself, with `device_date` added when the producer left it out).
struct parsed_event {
    session_event event;
    std::string row;
};

// bad_json: not a JSON object; missing_field: no site, session_id, event_id
// or event_time_ms; bad_value: a field of the wrong type.
// One pass without a DOM for lines of the clean-event contract; any line it
// is not sure of goes to parse_clean_event_dom, so the answer is always the
// DOM parse's.
result<parsed_event> parse_clean_event(std::string_view line);
// The same through nlohmann/json's DOM: the reference the fast path falls
// back to (tests and the benchmark compare the two).
result<parsed_event> parse_clean_event_dom(std::string_view line);

// "YYYY-MM-DD" (UTC) of ms since the epoch.
std::string utc_date(std::int64_t ms);

}  // namespace clickstream::sessionize
