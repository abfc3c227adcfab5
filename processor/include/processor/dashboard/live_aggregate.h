// The live dashboard's state: what happened in the last hour, per site, from
// clean events (docs/contracts/clean-event.schema.json) and bot events, in
// memory with bounded size. Pure: it reads no clock (every call takes `now`)
// and sees no Kafka or HTTP type. Not thread-safe: the service holds a lock.
//
// Time: an event counts at its `event_time_ms`, clamped to `now` when it is
// up to `future_ms` ahead (clock skew); events older than the window or
// further ahead are refused (out_of_window). State lives in 60 minute
// buckets and 3600 one-second counters per site, reused as time moves on, so
// a replay of the last hour (after a restart) rebuilds the same state.
//
// Bounds: at most `max_sites` sites, `max_keys` keys per dimension and
// minute (the rest counts under "(other)"), `max_visitors` distinct visitors
// per minute (beyond: not counted, and the snapshot says `visitors_capped`),
// `feed_size` latest events per site.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace clickstream::dashboard {

struct aggregate_options {
    std::int64_t window_ms = 3'600'000;  // how far back the state reaches (at most one hour)
    std::int64_t active_ms = 300'000;    // "active now": seen in this many ms (whole minutes)
    std::int64_t future_ms = 60'000;     // event times this far ahead are taken as now
    std::size_t max_sites = 100;
    std::size_t max_keys = 1000;
    std::size_t max_visitors = 100'000;
    std::size_t feed_size = 50;
    std::size_t top_n = 10;
};

enum class add_result {
    applied,
    out_of_window,  // event time older than the window or too far ahead
    unparseable,    // not a JSON object with `site` and `event_time_ms`
    site_limit,     // a new site past max_sites
};
std::string_view to_string(add_result r) noexcept;

// The dimensions the "top" tables rank; each counts views (page_view and
// screen_view events) in the last hour.
enum class dimension { pages, referrers, campaigns, channels, devices, browsers };
inline constexpr std::size_t dimension_count = 6;
std::string_view to_string(dimension d) noexcept;

class live_aggregate {
public:
    explicit live_aggregate(aggregate_options options = {});
    ~live_aggregate();
    live_aggregate(live_aggregate&&) noexcept;
    live_aggregate& operator=(live_aggregate&&) noexcept;

    // One event: a message of the clean topic (`bot` false) or of the bots
    // topic (`bot` true; only counted and shown in the feed).
    add_result add(std::string_view event_json, bool bot, std::int64_t now_ms);

    // The state of one site over the last `range_ms` (rounded up to whole
    // minutes, at most the window), as the page draws it:
    //   {site, now_ms, range_minutes, version, sites: [...],
    //    totals: {events, views, bots, bot_share, conversions, revenue: {CUR: v},
    //             active_visitors, visitors_capped},
    //    active_trend: {t: [minute ms...], v: [...]}, (visitors active in the 5 min to each minute)
    //    events_per_second: {t: [s...], v: [...]}, views_per_minute: {t, v},
    //    top: {pages: [[key, n]...], referrers, campaigns, channels, devices, browsers},
    //    feed: [{time_ms, type, path, name, channel, device, browser, bot, bot_rule}...] newest
    //    first}
    // An unknown site gives zeros.
    nlohmann::json snapshot(std::string_view site, std::int64_t range_ms,
                            std::int64_t now_ms) const;

    // Sites seen, sorted.
    std::vector<std::string> sites() const;
    // Grows by one with every applied event.
    std::uint64_t version() const noexcept { return version_; }
    // Keys held in all dimension tables and visitor sets (for /metrics).
    std::size_t held_keys() const noexcept;

    struct site_state;

private:
    aggregate_options options_;
    std::map<std::string, std::unique_ptr<site_state>, std::less<>> sites_;
    std::uint64_t version_ = 0;
};

// Skips messages a consumer sees twice: after a rebalance the dashboard's
// consumer starts again an hour back, and what was applied must not count
// twice. Remembers the next offset per (topic, partition).
class replay_guard {
public:
    // True the first time an offset at or past the remembered one is seen.
    bool first_time(const std::string& topic, std::int32_t partition, std::int64_t offset);

private:
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> next_;
};

}  // namespace clickstream::dashboard
