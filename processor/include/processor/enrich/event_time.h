// The event's time, from the three clocks a batch carries.
//
// The device clock may be wrong by any amount, but it is wrong by the same
// amount when the event happened (ts) and when the batch was sent (sent_at,
// stamped at each attempt). So receive_time − (sent_at − ts) is the event's
// time on the collector's clock. true_ts, when the SDK was given the real
// time (imports, server-side calls), wins. Impossible times are kept as
// computed and flagged, never dropped or clamped.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace clickstream::enrich {

struct event_clocks {
    std::int64_t receive_ms = 0;  // the collector's clock, from the raw message
    std::int64_t sent_at_ms = 0;  // device clock, at the send attempt
    std::int64_t ts_ms = 0;       // device clock, when the event happened
    std::optional<std::int64_t> true_ts_ms;
};

enum class time_source { true_ts, skew_corrected };

// Flags for times that cannot be right; several may be set.
enum time_flag : std::uint32_t {
    time_ok = 0,
    time_in_future = 1U << 0,     // event time after receive time (+ tolerance)
    time_after_send = 1U << 1,    // ts after sent_at (+ tolerance): the device says it
                                  // happened after it was sent
    time_before_floor = 1U << 2,  // before the floor (2000-01-01 by default)
    time_too_old = 1U << 3,       // skew-corrected and older than max_age: a batch kept
                                  // that long is implausible
    time_non_positive = 1U << 4,  // a clock of 0 or less: unset or garbage
};

struct event_time_options {
    std::int64_t tolerance_ms = 5 * 60 * 1000;          // clock jitter we accept
    std::int64_t floor_ms = 946'684'800'000;            // 2000-01-01T00:00:00Z
    std::int64_t max_age_ms = 30LL * 24 * 3600 * 1000;  // beacons kept in storage for weeks
};

struct event_time {
    std::int64_t event_ms = 0;
    time_source source = time_source::skew_corrected;
    std::int64_t clock_skew_ms = 0;  // sent_at − receive: how far ahead the device clock is
    std::uint32_t flags = time_ok;
};

event_time compute_event_time(const event_clocks& clocks, const event_time_options& options = {});

// Names of the set flags ("in_future", "after_send", ...), in bit order.
std::vector<std::string_view> time_flag_names(std::uint32_t flags);

}  // namespace clickstream::enrich
