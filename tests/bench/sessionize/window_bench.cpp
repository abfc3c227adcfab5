// The session window's own cost, in-process (issue 7, docs/sessions.md):
//
// - window_throughput: events per second per core (CPU time) through
//   session_window::add, with the stage's other calls to the window at their
//   real rate (tick once per 1,000 events, lowest_needed for every partition
//   once per 5,000: a flush). The stream is live web traffic: sessions start
//   at a steady rate, each a mix of page views, clicks, scrolls, hovers, a
//   few conversions, with seconds to minutes between events; ~20,000
//   sessions are open at any time over 4 partitions; 3% of events arrive
//   out of order (up to ~60 positions late), 0.5% are re-sent duplicates.
//   Goal: 200,000 events/s per core.
// - open_session_memory: heap bytes per open session (mallinfo2 before and
//   after opening N sessions of a typical 8 events each). Goal: under 1 KiB.
// - clean_event_parse: the JSON line → session_event step the stage runs
//   before the window, for comparison (what bounds the whole path).
//
// The events are built outside the timed region, in chunks, so the figure
// is the window's cost alone.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "processor/sessionize/session_event.h"
#include "processor/sessionize/session_window.h"

namespace {

using namespace clickstream::sessionize;

constexpr std::int64_t s = 1000;
constexpr std::int64_t t0 = 1'800'000'000'000;
constexpr int partitions = 4;

std::string uuid(std::mt19937_64& rng) {
    const std::uint64_t a = rng(), b = rng();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", unsigned(a >> 32),
                  unsigned(a >> 16) & 0xFFFF, unsigned(a) & 0xFFF,
                  0x8000 | (unsigned(b >> 48) & 0x3FFF),
                  static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
    return buf;
}

const char* const paths[] = {"/",
                             "/products/running-shoes",
                             "/products/running-shoes/air-zoom-42",
                             "/cart",
                             "/checkout/shipping",
                             "/blog/how-to-choose-trail-shoes",
                             "/category/women/sale",
                             "/search"};
const char* const browsers[] = {"Chrome", "Chrome Mobile", "Mobile Safari", "Firefox", "Edge"};
const char* const oses[] = {"Windows", "Android", "iOS", "Mac OS X", "Linux"};
const char* const devices[] = {"desktop", "mobile", "mobile", "desktop", "tablet"};

// A session as the generator plays it.
struct visitor {
    session_event base;  // the fields every event of the session shares
    int events_left = 0;
    std::uint32_t seq = 0;
    std::int64_t next_ms = 0;
    std::int32_t partition = 0;
};

// Live traffic in event-time order, with some disorder and duplicates.
class stream {
public:
    explicit stream(std::uint64_t seed, double sessions_per_s = 10)
        : rng_(seed), rate_(sessions_per_s) {}

    // The next `n` events (with their partitions) in arrival order.
    void next_chunk(std::size_t n, std::vector<session_event>& out,
                    std::vector<std::int32_t>& part) {
        out.clear();
        part.clear();
        while (out.size() < n) {
            // Start the sessions due before the next event.
            while (starts_ms_ <= (queue_.empty() ? starts_ms_ : queue_.top().first))
                start_session();
            auto [ms, idx] = queue_.top();
            queue_.pop();
            visitor& v = visitors_[idx];
            session_event e = v.base;
            e.event_time_ms = ms;
            e.event_id = uuid(rng_);
            e.seq = ++v.seq;
            pick_type(e, v.seq == 1);
            out.push_back(e);
            part.push_back(v.partition);
            if (unit_(rng_) < 0.005) {  // a re-sent duplicate, a little later
                out.push_back(e);
                part.push_back(v.partition);
            }
            if (--v.events_left > 0) {
                // Seconds to minutes between events; now and then a long pause.
                double gap_s = std::exponential_distribution<double>(1.0 / 25)(rng_);
                if (unit_(rng_) < 0.03) gap_s += 600 + unit_(rng_) * 900;
                v.next_ms = ms + 1 + static_cast<std::int64_t>(gap_s * s);
                queue_.push({v.next_ms, idx});
            } else {
                free_.push_back(idx);
            }
        }
        // 3% arrive late, pushed back up to 60 positions.
        for (std::size_t i = 0; i + 64 < out.size(); ++i) {
            if (unit_(rng_) < 0.03) {
                const std::size_t j = i + 1 + rng_() % 60;
                std::rotate(out.begin() + i, out.begin() + i + 1, out.begin() + j + 1);
                std::rotate(part.begin() + i, part.begin() + i + 1, part.begin() + j + 1);
            }
        }
    }

    std::int64_t now_ms() const noexcept { return starts_ms_; }

private:
    void start_session() {
        std::size_t idx;
        if (free_.empty()) {
            idx = visitors_.size();
            visitors_.emplace_back();
        } else {
            idx = free_.back();
            free_.pop_back();
        }
        visitor& v = visitors_[idx];
        v = visitor{};
        session_event& e = v.base;
        e.site = "demo-shop";
        e.session_id = uuid(rng_);
        e.anonymous_id = uuid(rng_);
        e.time_source = "skew_corrected";
        e.tab_id = "t" + std::to_string(rng_() % 100000);
        if (unit_(rng_) < 0.15) e.user_id = "user-" + std::to_string(rng_() % 1000000);
        const int kind = static_cast<int>(rng_() % 5);
        const double r = unit_(rng_);
        if (r < 0.4) {
            e.referrer = "https://www.google.com/";
            e.referrer_medium = "search";
            e.referrer_source = "Google";
            e.channel = "organic_search";
        } else if (r < 0.55) {
            e.referrer = "https://l.instagram.com/";
            e.referrer_medium = "social";
            e.referrer_source = "Instagram";
            e.utm_source = "instagram";
            e.utm_medium = "social";
            e.utm_campaign = "winter-sale-2026";
            e.channel = "social";
        } else {
            e.channel = "direct";
        }
        e.device_type = devices[kind];
        e.browser_family = browsers[kind];
        e.os_family = oses[kind];
        e.country = "DE";
        e.platform = "web";
        e.sdk_name = "clickstream-web";
        e.session_timeout_s = 1800;
        // 1 to ~30 events, most sessions short (mean ~8).
        v.events_left = 1 + static_cast<int>(std::exponential_distribution<double>(1.0 / 7)(rng_));
        v.partition =
            static_cast<std::int32_t>(std::hash<std::string>{}(e.session_id) % partitions);
        queue_.push({starts_ms_, idx});
        starts_ms_ +=
            1 + static_cast<std::int64_t>(std::exponential_distribution<double>(rate_)(rng_) * s);
    }

    void pick_type(session_event& e, bool first) {
        const double r = first ? 0 : unit_(rng_);
        e.name.clear();
        e.value = 0;
        e.currency.clear();
        e.scroll_depth = 0;
        if (r < 0.35) {
            e.type = "page_view";
            e.url_path = paths[rng_() % std::size(paths)];
        } else if (r < 0.6) {
            e.type = "click";
        } else if (r < 0.85) {
            e.type = "scroll";
            e.scroll_depth = static_cast<std::uint32_t>(25 * (1 + rng_() % 4));
        } else if (r < 0.95) {
            e.type = "hover";
        } else if (r < 0.98) {
            e.type = "custom";
            e.name = "add_to_cart";
        } else {
            e.type = "conversion";
            e.name = "order";
            e.value = 79.90;
            e.currency = "EUR";
        }
    }

    std::mt19937_64 rng_;
    double rate_;
    std::uniform_real_distribution<double> unit_{0, 1};
    std::int64_t starts_ms_ = t0;
    std::vector<visitor> visitors_;
    std::vector<std::size_t> free_;
    using due = std::pair<std::int64_t, std::size_t>;
    std::priority_queue<due, std::vector<due>, std::greater<>> queue_;
};

window_options options() {
    window_options o;  // the defaults: 30 min gap, 60 s lateness, 5 min idle, 24 h max
    return o;
}

constexpr std::size_t chunk = 20000;

void window_throughput(benchmark::State& state) {
    stream gen(20261125);
    session_window w(options());
    std::vector<session_event> events;
    std::vector<std::int32_t> parts;
    std::vector<session_row> rows;
    std::int64_t offsets[partitions] = {};
    std::uint64_t rows_out = 0;
    // Warm up to the steady state (sessions open at the rate they close).
    for (int i = 0; i < 15; ++i) {
        gen.next_chunk(chunk, events, parts);
        for (std::size_t k = 0; k < events.size(); ++k) {
            w.add(events[k], parts[k], offsets[parts[k]]++, events[k].event_time_ms, rows);
        }
        rows.clear();
    }
    std::size_t processed = 0;
    std::int64_t wall = 0;
    for (auto _ : state) {
        state.PauseTiming();
        gen.next_chunk(chunk, events, parts);
        state.ResumeTiming();
        for (std::size_t k = 0; k < events.size(); ++k) {
            const session_event& e = events[k];
            // Wall time follows event time (live traffic, a little behind).
            wall = std::max(wall, e.event_time_ms + 2 * s);
            w.add(e, parts[k], offsets[parts[k]]++, wall, rows);
            if (++processed % 1000 == 0) w.tick(wall, rows);
            if (processed % 5000 == 0) {
                for (int p = 0; p < partitions; ++p) {
                    benchmark::DoNotOptimize(w.lowest_needed(p, offsets[p]));
                }
                rows_out += rows.size();
                rows.clear();
            }
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(processed));
    state.counters["open_sessions"] = static_cast<double>(w.open_windows());
    state.counters["rows_per_1k_events"] =
        1000.0 * double(rows_out) / double(std::max<std::size_t>(processed, 1));
    state.counters["late"] = static_cast<double>(w.counts().late);
    state.counters["duplicates"] = static_cast<double>(w.counts().duplicates);
}
BENCHMARK(window_throughput)->Unit(benchmark::kMillisecond);

// Heap bytes per open session: N sessions of 8 events (3 page views, 2
// clicks, 2 scrolls, 1 hover), none closed (all within the gap).
void open_session_memory(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    std::mt19937_64 rng(7);
    std::vector<session_event> events;
    events.reserve(n * 8);
    const char* const types[] = {"page_view", "click", "scroll", "page_view",
                                 "hover",     "click", "scroll", "page_view"};
    for (std::size_t i = 0; i < n; ++i) {
        session_event e;
        e.site = "demo-shop";
        e.session_id = uuid(rng);
        e.anonymous_id = uuid(rng);
        e.time_source = "skew_corrected";
        e.tab_id = "t" + std::to_string(i);
        e.referrer = "https://www.google.com/";
        e.referrer_medium = "search";
        e.referrer_source = "Google";
        e.channel = "organic_search";
        e.device_type = "desktop";
        e.browser_family = "Chrome";
        e.os_family = "Windows";
        e.country = "DE";
        e.platform = "web";
        e.sdk_name = "clickstream-web";
        e.session_timeout_s = 1800;
        for (int k = 0; k < 8; ++k) {
            e.event_id = uuid(rng);
            e.event_time_ms = t0 + static_cast<std::int64_t>(i) * 10 + k * 20 * s;
            e.seq = static_cast<std::uint32_t>(k + 1);
            e.type = types[k];
            e.url_path = paths[(i + k) % std::size(paths)];
            e.scroll_depth = e.type == "scroll" ? 50 : 0;
            events.push_back(e);
        }
    }
    // Arrival order: the sessions interleaved, as on a partition.
    std::vector<std::size_t> order(events.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = (k % n) * 8 + k / n;
    double per_session = 0;
    for (auto _ : state) {
        std::vector<session_row> rows;
        rows.reserve(16);
        malloc_trim(0);
        const auto before = mallinfo2().uordblks;
        {
            session_window w(options());
            std::int64_t offset = 0;
            for (const auto k : order) w.add(events[k], 0, offset++, 0, rows);
            const auto after = mallinfo2().uordblks;
            per_session = double(after - before) / double(n);
            if (w.open_windows() != n || !rows.empty()) state.SkipWithError("sessions closed");
        }
    }
    state.counters["bytes_per_session"] = per_session;
    state.counters["sessions"] = static_cast<double>(n);
}
BENCHMARK(open_session_memory)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);

// The clean-event JSON line → session_event parse the stage does first, on
// the clean-event goldens (docs/contracts/clean-event/web_session.json):
// the stage's parse (one pass, no DOM), and for comparison in the same run
// the nlohmann/json DOM parse it falls back to (what the stage used before).
std::vector<std::string> golden_lines() {
    const char* r = std::getenv("CLICKSTREAM_ROOT");
    const std::string root = r != nullptr && *r != '\0' ? r : CLICKSTREAM_DEFAULT_ROOT;
    std::ifstream in(root + "/docs/contracts/clean-event/web_session.json");
    std::vector<std::string> lines;
    for (const auto& e : nlohmann::json::parse(in)) lines.push_back(e.dump());
    return lines;
}

template <result<parsed_event> (*Parse)(std::string_view)>
void parse_lines(benchmark::State& state) {
    const auto lines = golden_lines();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(Parse(lines[i]));
        i = (i + 1) % lines.size();
    }
    state.SetItemsProcessed(state.iterations());
}
void clean_event_parse(benchmark::State& state) {
    parse_lines<parse_clean_event>(state);
}
void clean_event_parse_dom(benchmark::State& state) {
    parse_lines<parse_clean_event_dom>(state);
}
BENCHMARK(clean_event_parse);
BENCHMARK(clean_event_parse_dom);

}  // namespace

BENCHMARK_MAIN();
