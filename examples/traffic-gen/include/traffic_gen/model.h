// The visitor model: who comes, through which channel, what they do, when
// they come back, and which of them are bots. It decides every event and
// every session boundary itself (a new session when the visitor was idle
// for the session timeout or longer, as the SDK's cookie does), so the
// ground truth never depends on the pipeline's own sessionizing code.
//
// Deterministic: a visitor is a function of (seed, index), and each visit
// continues that visitor's own random stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clickstream/event.h"
#include "clickstream/options.h"
#include "traffic_gen/catalog.h"
#include "traffic_gen/rng.h"

namespace clickstream::traffic_gen {

enum class visitor_kind : std::uint8_t { human, crawler, headless, too_fast };
// "human", "crawler", "headless", "too_fast"
const char* to_string(visitor_kind k) noexcept;
inline bool is_bot(visitor_kind k) noexcept {
    return k != visitor_kind::human;
}

// The channel a visit is meant to arrive through, named as the processor's
// channel rules name it (docs/enrich.md).
enum class channel : std::uint8_t {
    direct,
    organic_search,
    social,
    paid_search,
    paid_social,
    email
};
const char* to_string(channel c) noexcept;
inline constexpr channel all_channels[] = {channel::direct,      channel::organic_search,
                                           channel::social,      channel::paid_search,
                                           channel::paid_social, channel::email};

struct model_options {
    std::int64_t session_timeout_ms = 1800 * 1000;
    double bot_share = 0.1;  // of visitors
    // Live runs bring visitors back a few session timeouts later (a demo
    // should show it); historical runs, days later.
    bool live = false;
};

struct visitor {
    std::uint64_t index = 0;
    visitor_kind kind = visitor_kind::human;
    std::string anonymous_id;
    std::string user_agent;
    std::optional<screen_size> screen;
    std::optional<screen_size> viewport;
    std::string language;
    std::string time_zone;
    bool webdriver = false;
    std::string user_id;     // the id it signs in with, should it ever
    bool signed_in = false;  // the SDK keeps the user id from then on
    int visits = 0;          // visits planned so far
    int sessions = 0;        // sessions planned so far
    std::int64_t last_event_ms = 0;
    rng random{0};
};

// One event as the model means it; the driver stamps its times.
struct planned_event {
    clickstream::event ev;  // type, url, referrer, element, depth, value...
    std::int64_t t = 0;     // its true time, ms since the epoch
    int session = 0;        // the model's session number for this visitor, from 0
    std::string user_id;    // the user id in force (empty before sign-in)
};

struct planned_session {
    int number = 0;
    channel via = channel::direct;
};

// A visit: one tab, from arrival to leaving. It holds one session, or more
// when the visitor left the tab idle for the timeout and came back.
struct visit_plan {
    std::uint64_t visitor = 0;
    int visit = 0;  // 0: the first visit
    std::string tab_id;
    std::vector<planned_event> events;
    std::vector<planned_session> sessions;
};

class visitor_model {
public:
    visitor_model(const catalog& data, site_map site, model_options options);

    // Visitor `index` of a run seeded with `seed`.
    visitor make_visitor(std::uint64_t seed, std::uint64_t index) const;
    // The visitor's next visit, arriving at start_ms.
    visit_plan plan_visit(visitor& v, std::int64_t start_ms) const;
    // When the visitor comes back after a visit that ended at end_ms, if it does.
    std::optional<std::int64_t> next_visit(visitor& v, std::int64_t end_ms) const;

    const model_options& options() const noexcept { return options_; }
    const site_map& site() const noexcept { return site_; }

private:
    class builder;
    void human_visit(builder& b, visitor& v, channel via) const;
    void crawler_visit(builder& b, visitor& v) const;
    void too_fast_visit(builder& b, visitor& v) const;
    channel draw_channel(rng& r, bool returning) const;

    const catalog& data_;
    site_map site_;
    model_options options_;
};

// When visitor `index` of a historical run first arrives: a day of the
// window, an hour by the daily curve of a shop's traffic.
std::int64_t historical_arrival(std::uint64_t seed, std::uint64_t index, std::int64_t start_ms,
                                int days);

}  // namespace clickstream::traffic_gen
