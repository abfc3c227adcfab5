#include "processor/dashboard/live_aggregate.h"

#include <algorithm>
#include <functional>

namespace clickstream::dashboard {

namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t second_ms = 1'000;
constexpr std::size_t minutes = 60;
constexpr std::size_t seconds = 3600;
const std::string other_key = "(other)";

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

std::string text(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string_view to_string(add_result r) noexcept {
    switch (r) {
        case add_result::applied:
            return "applied";
        case add_result::out_of_window:
            return "out_of_window";
        case add_result::unparseable:
            return "unparseable";
        case add_result::site_limit:
            return "site_limit";
    }
    return "unknown";
}

std::string_view to_string(dimension d) noexcept {
    static constexpr std::array<std::string_view, dimension_count> names = {
        "pages", "referrers", "campaigns", "channels", "devices", "browsers"};
    return names[static_cast<std::size_t>(d)];
}

// Counts per key, bounded: past `max_keys` distinct keys new ones count as
// "(other)".
struct counted_keys {
    std::unordered_map<std::string, std::uint64_t> counts;
    void add(const std::string& key, std::size_t max_keys) {
        if (key.empty()) return;
        auto it = counts.find(key);
        if (it != counts.end()) {
            ++it->second;
        } else if (counts.size() < max_keys) {
            counts.emplace(key, 1);
        } else {
            ++counts[other_key];
        }
    }
};

struct minute_bucket {
    std::int64_t minute = -1;  // minutes since the epoch; -1: empty
    std::uint64_t events = 0;  // clean events
    std::uint64_t views = 0;
    std::uint64_t bots = 0;
    std::uint64_t conversions = 0;
    std::map<std::string, double> revenue;  // by currency
    std::array<counted_keys, dimension_count> dims;
    std::unordered_set<std::uint64_t> visitors;  // fingerprints of anonymous ids
    bool visitors_capped = false;

    void reset(std::int64_t m) {
        *this = minute_bucket{};
        minute = m;
    }
};

struct feed_entry {
    std::int64_t time_ms = 0;
    std::string type, path, name, channel, device, browser, bot_rule;
    bool bot = false;
};

struct live_aggregate::site_state {
    std::array<minute_bucket, minutes> by_minute;
    std::array<std::int64_t, seconds> second_id{};  // seconds since the epoch of each slot
    std::array<std::uint32_t, seconds> per_second{};
    std::deque<feed_entry> feed;  // newest at the front

    site_state() { second_id.fill(-1); }

    minute_bucket& bucket(std::int64_t minute) {
        auto& b = by_minute[static_cast<std::size_t>(((minute % 60) + 60) % 60)];
        if (b.minute != minute) b.reset(minute);
        return b;
    }
    const minute_bucket* find(std::int64_t minute) const {
        const auto& b = by_minute[static_cast<std::size_t>(((minute % 60) + 60) % 60)];
        return b.minute == minute ? &b : nullptr;
    }
    void count_second(std::int64_t second) {
        const auto slot = static_cast<std::size_t>(((second % 3600) + 3600) % 3600);
        if (second_id[slot] != second) {
            second_id[slot] = second;
            per_second[slot] = 0;
        }
        ++per_second[slot];
    }
    std::uint32_t at_second(std::int64_t second) const {
        const auto slot = static_cast<std::size_t>(((second % 3600) + 3600) % 3600);
        return second_id[slot] == second ? per_second[slot] : 0;
    }
};

live_aggregate::live_aggregate(aggregate_options options) : options_(options) {
    options_.window_ms = std::clamp<std::int64_t>(options_.window_ms, minute_ms,
                                                  static_cast<std::int64_t>(minutes) * minute_ms);
}
live_aggregate::~live_aggregate() = default;
live_aggregate::live_aggregate(live_aggregate&&) noexcept = default;
live_aggregate& live_aggregate::operator=(live_aggregate&&) noexcept = default;

add_result live_aggregate::add(std::string_view event_json, bool bot, std::int64_t now_ms) {
    const auto j = nlohmann::json::parse(event_json, nullptr, false);
    if (!j.is_object()) return add_result::unparseable;
    const auto site_it = j.find("site");
    const auto time_it = j.find("event_time_ms");
    if (site_it == j.end() || !site_it->is_string() || time_it == j.end() ||
        !time_it->is_number()) {
        return add_result::unparseable;
    }
    std::int64_t t = time_it->get<std::int64_t>();
    if (t > now_ms + options_.future_ms) return add_result::out_of_window;
    t = std::min(t, now_ms);
    // A bucket holds whole minutes: the oldest one still in the window is the
    // minute `window` before now's.
    const std::int64_t now_minute = floor_div(now_ms, minute_ms);
    const std::int64_t minute = floor_div(t, minute_ms);
    if (minute <= now_minute - floor_div(options_.window_ms, minute_ms)) {
        return add_result::out_of_window;
    }
    const std::string site = site_it->get<std::string>();
    auto found = sites_.find(site);
    if (found == sites_.end()) {
        if (sites_.size() >= options_.max_sites) return add_result::site_limit;
        found = sites_.emplace(site, std::make_unique<site_state>()).first;
    }
    site_state& s = *found->second;
    minute_bucket& b = s.bucket(minute);

    const std::string type = text(j, "type");
    feed_entry entry;
    entry.time_ms = t;
    entry.type = type;
    entry.path = text(j, "url_path");
    entry.name = text(j, "name");
    entry.channel = text(j, "channel");
    entry.device = text(j, "device_type");
    entry.browser = text(j, "browser_family");
    entry.bot = bot;
    entry.bot_rule = text(j, "bot_rule");

    if (bot) {
        ++b.bots;
    } else {
        ++b.events;
        s.count_second(floor_div(t, second_ms));
        const std::string visitor = text(j, "anonymous_id");
        if (!visitor.empty()) {
            const std::uint64_t print = std::hash<std::string>{}(visitor);
            if (b.visitors.size() < options_.max_visitors || b.visitors.count(print) != 0) {
                b.visitors.insert(print);
            } else {
                b.visitors_capped = true;
            }
        }
        if (type == "page_view" || type == "screen_view") {
            ++b.views;
            std::string page = entry.path;
            if (page.empty()) page = !entry.name.empty() ? entry.name : text(j, "title");
            const auto k = options_.max_keys;
            b.dims[static_cast<std::size_t>(dimension::pages)].add(page, k);
            const std::string medium = text(j, "referrer_medium");
            if (medium != "internal" && medium != "none") {
                b.dims[static_cast<std::size_t>(dimension::referrers)].add(text(j, "referrer_host"),
                                                                           k);
            }
            b.dims[static_cast<std::size_t>(dimension::campaigns)].add(text(j, "utm_campaign"), k);
            b.dims[static_cast<std::size_t>(dimension::channels)].add(entry.channel, k);
            b.dims[static_cast<std::size_t>(dimension::devices)].add(entry.device, k);
            b.dims[static_cast<std::size_t>(dimension::browsers)].add(entry.browser, k);
        } else if (type == "conversion") {
            ++b.conversions;
            const auto value = j.find("value");
            if (value != j.end() && value->is_number()) {
                std::string currency = text(j, "currency");
                b.revenue[currency] += value->get<double>();
            }
        }
    }
    // The feed keeps the newest events by event time.
    auto pos = std::find_if(s.feed.begin(), s.feed.end(),
                            [&](const feed_entry& e) { return e.time_ms <= t; });
    if (static_cast<std::size_t>(pos - s.feed.begin()) < options_.feed_size) {
        s.feed.insert(pos, std::move(entry));
        if (s.feed.size() > options_.feed_size) s.feed.pop_back();
    }
    ++version_;
    return add_result::applied;
}

nlohmann::json live_aggregate::snapshot(std::string_view site, std::int64_t range_ms,
                                        std::int64_t now_ms) const {
    const std::int64_t now_minute = floor_div(now_ms, minute_ms);
    const std::int64_t window_minutes = floor_div(options_.window_ms, minute_ms);
    const std::int64_t range_minutes =
        std::clamp<std::int64_t>((range_ms + minute_ms - 1) / minute_ms, 1, window_minutes);
    const std::int64_t active_minutes =
        std::clamp<std::int64_t>((options_.active_ms + minute_ms - 1) / minute_ms, 1, minutes);
    const auto it = sites_.find(site);
    const site_state* s = it != sites_.end() ? it->second.get() : nullptr;

    nlohmann::json out;
    out["site"] = site;
    out["now_ms"] = now_ms;
    out["range_minutes"] = range_minutes;
    out["version"] = version_;
    out["sites"] = sites();

    std::uint64_t events = 0, views = 0, bots = 0, conversions = 0;
    bool capped = false;
    std::map<std::string, double> revenue;
    std::array<std::unordered_map<std::string, std::uint64_t>, dimension_count> dims;
    nlohmann::json view_t = nlohmann::json::array(), view_v = nlohmann::json::array();
    nlohmann::json trend_t = nlohmann::json::array(), trend_v = nlohmann::json::array();
    const auto bucket = [&](std::int64_t m) { return s != nullptr ? s->find(m) : nullptr; };
    const auto active_at = [&](std::int64_t last_minute) {
        std::unordered_set<std::uint64_t> seen;
        for (std::int64_t m = last_minute - active_minutes + 1; m <= last_minute; ++m) {
            if (const auto* b = bucket(m)) {
                seen.insert(b->visitors.begin(), b->visitors.end());
                capped = capped || b->visitors_capped;
            }
        }
        return seen.size();
    };
    for (std::int64_t m = now_minute - range_minutes + 1; m <= now_minute; ++m) {
        const auto* b = bucket(m);
        view_t.push_back(m * minute_ms);
        view_v.push_back(b != nullptr ? b->views : 0);
        trend_t.push_back(m * minute_ms);
        trend_v.push_back(active_at(m));
        if (b == nullptr) continue;
        events += b->events;
        views += b->views;
        bots += b->bots;
        conversions += b->conversions;
        for (const auto& [currency, v] : b->revenue) revenue[currency] += v;
        for (std::size_t d = 0; d < dimension_count; ++d) {
            for (const auto& [k, n] : b->dims[d].counts) dims[d][k] += n;
        }
    }
    nlohmann::json eps_t = nlohmann::json::array(), eps_v = nlohmann::json::array();
    const std::int64_t now_second = floor_div(now_ms, second_ms);
    for (std::int64_t sec = (now_minute - range_minutes + 1) * 60; sec <= now_second; ++sec) {
        eps_t.push_back(sec);
        eps_v.push_back(s != nullptr ? s->at_second(sec) : 0);
    }
    nlohmann::json totals;
    totals["events"] = events;
    totals["views"] = views;
    totals["bots"] = bots;
    totals["bot_share"] = events + bots > 0 ? static_cast<double>(bots) / (events + bots) : 0.0;
    totals["conversions"] = conversions;
    totals["revenue"] = revenue;
    totals["active_visitors"] = active_at(now_minute);
    totals["visitors_capped"] = capped;
    out["totals"] = std::move(totals);
    out["active_trend"] = {{"t", std::move(trend_t)}, {"v", std::move(trend_v)}};
    out["events_per_second"] = {{"t", std::move(eps_t)}, {"v", std::move(eps_v)}};
    out["views_per_minute"] = {{"t", std::move(view_t)}, {"v", std::move(view_v)}};
    nlohmann::json top;
    for (std::size_t d = 0; d < dimension_count; ++d) {
        std::vector<std::pair<std::string, std::uint64_t>> ranked(dims[d].begin(), dims[d].end());
        const auto n = std::min(ranked.size(), options_.top_n);
        std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n),
                          ranked.end(), [](const auto& a, const auto& b) {
                              return a.second != b.second ? a.second > b.second : a.first < b.first;
                          });
        ranked.resize(n);
        nlohmann::json rows = nlohmann::json::array();
        for (auto& [k, v] : ranked) rows.push_back({k, v});
        top[std::string(to_string(static_cast<dimension>(d)))] = std::move(rows);
    }
    out["top"] = std::move(top);
    nlohmann::json feed = nlohmann::json::array();
    const std::int64_t oldest = (now_minute - range_minutes + 1) * minute_ms;
    if (s != nullptr) {
        for (const auto& e : s->feed) {
            if (e.time_ms < oldest) break;
            feed.push_back({{"time_ms", e.time_ms},
                            {"type", e.type},
                            {"path", e.path},
                            {"name", e.name},
                            {"channel", e.channel},
                            {"device", e.device},
                            {"browser", e.browser},
                            {"bot", e.bot},
                            {"bot_rule", e.bot_rule}});
        }
    }
    out["feed"] = std::move(feed);
    return out;
}

std::vector<std::string> live_aggregate::sites() const {
    std::vector<std::string> out;
    out.reserve(sites_.size());
    for (const auto& [name, s] : sites_) out.push_back(name);
    return out;
}

std::size_t live_aggregate::held_keys() const noexcept {
    std::size_t n = 0;
    for (const auto& [name, s] : sites_) {
        for (const auto& b : s->by_minute) {
            n += b.visitors.size();
            for (const auto& d : b.dims) n += d.counts.size();
        }
    }
    return n;
}

bool replay_guard::first_time(const std::string& topic, std::int32_t partition,
                              std::int64_t offset) {
    auto& next = next_[{topic, partition}];
    if (offset < next) return false;
    next = offset + 1;
    return true;
}

}  // namespace clickstream::dashboard
