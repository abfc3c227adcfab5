#include "processor/enrich/event_time.h"

#include <limits>
#include <utility>

namespace clickstream::enrich {
namespace {

// a − b without overflow (garbage clocks can be anything).
std::int64_t sub(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t r = 0;
    if (__builtin_sub_overflow(a, b, &r)) {
        return b < 0 ? std::numeric_limits<std::int64_t>::max()
                     : std::numeric_limits<std::int64_t>::min();
    }
    return r;
}

}  // namespace

event_time compute_event_time(const event_clocks& c, const event_time_options& o) {
    event_time t;
    t.clock_skew_ms = sub(c.sent_at_ms, c.receive_ms);
    if (c.receive_ms <= 0 || c.sent_at_ms <= 0 || c.ts_ms <= 0 ||
        (c.true_ts_ms && *c.true_ts_ms <= 0)) {
        t.flags |= time_non_positive;
    }
    if (sub(c.ts_ms, c.sent_at_ms) > o.tolerance_ms) t.flags |= time_after_send;

    if (c.true_ts_ms) {
        t.source = time_source::true_ts;
        t.event_ms = *c.true_ts_ms;
    } else {
        t.source = time_source::skew_corrected;
        t.event_ms = sub(c.receive_ms, sub(c.sent_at_ms, c.ts_ms));
        if (sub(c.receive_ms, t.event_ms) > o.max_age_ms) t.flags |= time_too_old;
    }
    if (sub(t.event_ms, c.receive_ms) > o.tolerance_ms) t.flags |= time_in_future;
    if (t.event_ms < o.floor_ms) t.flags |= time_before_floor;
    return t;
}

std::vector<std::string_view> time_flag_names(std::uint32_t flags) {
    static constexpr std::pair<time_flag, std::string_view> names[] = {
        {time_in_future, "in_future"},       {time_after_send, "after_send"},
        {time_before_floor, "before_floor"}, {time_too_old, "too_old"},
        {time_non_positive, "non_positive"},
    };
    std::vector<std::string_view> out;
    for (const auto& [flag, name] : names) {
        if ((flags & flag) != 0) out.push_back(name);
    }
    return out;
}

}  // namespace clickstream::enrich
