// The whole enrich stage in-process, against its ceiling (issue 6):
//
// - enrich_stage_whole: raw messages through processor::enrich_stage (batch
//   v1 parse and validation, every derivation, dedup, bot filter, the clean
//   event's JSON) on the in-memory source and transactional sink
//   (tests/support/memory_stage_io.h), committing every 500 raw messages as
//   the service does.
// - enrich_stage_ceiling: the same raw messages through a loop that parses
//   nothing: poll, produce as many messages as the stage produced for each
//   raw message, each a byte copy of the same size as a clean event, commit
//   every 500.
//
// Both count output messages (clean + bots + dlq) per second of CPU time on
// one thread, over the same fakes, so the ratio is the stage's own cost.
// Goal: the stage at least 50% of the ceiling.
//
// The traffic: web batches of 1 to 12 events (page views with campaign
// links and referrers, clicks, scrolls, hovers, custom events, a few
// conversions) from visitors whose user agents are drawn by weight from the
// `user-agents` package; 3% of batches from crawlers (crawler-user-agents),
// 2% re-sent (duplicates), 0.5% broken bodies (dead letters). The batches
// are made outside the timed region, 2,000 at a time.
//
// CLICKSTREAM_ROOT (else the source tree) locates node_modules/.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"
#include "processor/enrich/data_paths.h"
#include "processor/enrich/geoip.h"
#include "processor/stage/enrich_stage.h"
#include "support/memory_stage_io.h"

namespace {

using namespace clickstream;
using json = nlohmann::json;

std::filesystem::path root() {
    const char* r = std::getenv("CLICKSTREAM_ROOT");
    return r != nullptr && *r != '\0' ? r : CLICKSTREAM_DEFAULT_ROOT;
}

const enrich::data_paths& paths() {
    static const enrich::data_paths p = enrich::default_data_paths(root());
    return p;
}

struct weighted_uas {
    std::vector<std::string> uas;
    std::discrete_distribution<std::size_t> pick;
};

const weighted_uas& browser_uas() {
    static const weighted_uas w = [] {
        std::ifstream in(root() / "node_modules/user-agents/dist/user-agents.json");
        const auto all = json::parse(in);
        weighted_uas out;
        std::vector<double> weights;
        for (const auto& e : all) {
            out.uas.push_back(e.at("userAgent").get<std::string>());
            weights.push_back(e.at("weight").get<double>());
        }
        out.pick = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
        return out;
    }();
    return w;
}

const std::vector<std::string>& crawler_uas() {
    static const std::vector<std::string> v = [] {
        std::ifstream in(paths().crawler_user_agents);
        std::vector<std::string> out;
        for (const auto& e : json::parse(in)) {
            for (const auto& inst : e.value("instances", json::array())) {
                out.push_back(inst.get<std::string>());
            }
        }
        return out;
    }();
    return v;
}

// The data a running service loads once.
struct loaded {
    enrich::ua_parser uap{{paths().uap_regexes}};
    enrich::referrer_parser referrers = enrich::referrer_parser::load(paths().referrers);
    enrich::bot_filter bots{[] {
        enrich::bot_filter_options o;
        o.crawler_user_agents = paths().crawler_user_agents;
        return o;
    }()};
    std::unique_ptr<enrich::country_lookup> countries =
        enrich::open_country_lookup(paths().geoip_v4, paths().geoip_v6);
    enrich::enrich_data data{uap, referrers, bots, *countries};
};

const loaded& data() {
    static const loaded d;
    return d;
}

std::string uuid(std::mt19937_64& rng) {
    const std::uint64_t a = rng(), b = rng();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", unsigned(a >> 32),
                  unsigned(a >> 16) & 0xFFFF, unsigned(a) & 0xFFF,
                  0x8000 | (unsigned(b >> 48) & 0x3FFF),
                  static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
    return buf;
}

const char* const pages[] = {"/",
                             "/products/running-shoes",
                             "/products/running-shoes/air-zoom-42?color=blue",
                             "/cart",
                             "/checkout/shipping",
                             "/blog/how-to-choose-trail-shoes",
                             "/category/women/sale?page=2",
                             "/search?q=trail+shoes"};
const char* const campaigns[] = {
    "", "", "", "", "?utm_source=newsletter&utm_medium=email&utm_campaign=winter",
    "?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=Cj0KCQiA-aGCBhCwARIsAHDl5x",
    "?utm_source=facebook&utm_medium=paid_social&utm_campaign=retarget&fbclid=IwAR2x",
    "?utm_source=instagram&utm_medium=social"};
const char* const referrers[] = {"",
                                 "https://www.google.com/",
                                 "https://www.google.de/",
                                 "https://www.bing.com/search?q=running+shoes",
                                 "https://l.instagram.com/?u=x",
                                 "https://www.facebook.com/",
                                 "https://someones-blog.example.net/post/1",
                                 "https://duckduckgo.com/"};

// One visitor's tab: a session, a user agent, an address, a clock.
struct visitor {
    std::string anonymous_id, session_id, tab_id, ua, ip, landing;
    std::int64_t clock_ms = 0;
    std::uint32_t seq = 0;
    bool crawler = false;
};

class traffic {
public:
    explicit traffic(std::uint64_t seed) : rng_(seed) {
        for (int i = 0; i < 2000; ++i) visitors_.push_back(new_visitor());
    }

    // `n` raw messages in `io.input` (offsets from 0), and per message the
    // number of outputs the stage makes of it.
    void next_chunk(std::size_t n, test::memory_stage_io& io, std::vector<int>& outputs) {
        io.input.clear();
        io.read = 0;
        io.committed = 0;
        outputs.clear();
        for (std::size_t i = 0; i < n; ++i) {
            const double r = unit_(rng_);
            if (r < 0.02 && !sent_.empty()) {  // a batch re-sent: every event a duplicate
                const auto& again = sent_[rng_() % sent_.size()];
                auto headers = again.second;
                headers[0].value = std::to_string(now_ms_);
                io.add(again.first, std::move(headers));
                outputs.push_back(0);
                continue;
            }
            visitor& v = visitors_[rng_() % visitors_.size()];
            auto [body, events] = batch(v);
            auto headers = headers_of(v);
            if (r > 0.995) {  // broken on the way: a dead letter
                body.resize(body.size() / 2);
                events = 1;
            }
            outputs.push_back(events);
            if (r <= 0.995) {
                if (sent_.size() < 4000) {
                    sent_.emplace_back(body, headers);
                } else {
                    sent_[rng_() % sent_.size()] = {body, headers};
                }
            }
            io.add(std::move(body), std::move(headers));
            if (unit_(rng_) < 0.05) v = new_visitor();  // the visit ends, another begins
        }
    }

private:
    visitor new_visitor() {
        visitor v;
        v.anonymous_id = uuid(rng_);
        v.session_id = uuid(rng_);
        v.tab_id = "t-" + std::to_string(rng_() % 100000);
        v.crawler = unit_(rng_) < 0.03;
        if (v.crawler) {
            const auto& c = crawler_uas();
            v.ua = c[rng_() % c.size()];
        } else {
            auto& w = browser_uas();
            v.ua = w.uas[pick_(rng_, w.pick.param())];
        }
        v.ip = std::to_string(1 + rng_() % 223) + "." + std::to_string(rng_() % 256) + "." +
               std::to_string(rng_() % 256) + "." + std::to_string(rng_() % 256);
        v.landing = std::string(pages[rng_() % std::size(pages)]);
        const char* campaign = campaigns[rng_() % std::size(campaigns)];
        if (*campaign != '\0') {
            v.landing += v.landing.find('?') == std::string::npos ? campaign
                                                                  : "&" + std::string(campaign + 1);
        }
        v.clock_ms = now_ms_ - static_cast<std::int64_t>(rng_() % 600000);
        return v;
    }

    std::pair<std::string, int> batch(visitor& v) {
        const int n = 1 + static_cast<int>(std::min<double>(
                              11, std::exponential_distribution<double>(1.0 / 3.5)(rng_)));
        json b = {{"v", 1},
                  {"site", "demo-shop"},
                  {"sdk", {{"name", "clickstream-web"}, {"version", "0.1.0"}}},
                  {"context",
                   {{"anonymous_id", v.anonymous_id},
                    {"platform", "web"},
                    {"screen", {{"w", 1920}, {"h", 1080}}},
                    {"viewport", {{"w", 1280}, {"h", 720}}},
                    {"language", "en-GB"},
                    {"time_zone", "Europe/Berlin"},
                    {"session_timeout_s", 1800},
                    {"tab_id", v.tab_id},
                    {"webdriver", false}}},
                  {"dropped", {{"queue_full", 0}, {"consent_denied", 0}, {"rejected", 0}}}};
        json events = json::array();
        for (int i = 0; i < n; ++i) {
            v.clock_ms += 200 + static_cast<std::int64_t>(rng_() % 20000);
            const std::string url = "https://shop.example" +
                                    (v.seq == 0 ? v.landing
                                                : std::string(pages[rng_() % std::size(pages)]));
            json e = {{"id", uuid(rng_)},
                      {"ts", v.clock_ms},
                      {"session_id", v.session_id},
                      {"session_index", 1},
                      {"seq", ++v.seq},
                      {"url", url}};
            const double r = v.seq == 1 ? 0 : unit_(rng_);
            if (r < 0.3) {
                e["type"] = "page_view";
                e["title"] = "Running shoes — Demo shop";
                e["referrer"] = v.seq == 1 ? referrers[rng_() % std::size(referrers)]
                                           : "https://shop.example/";
            } else if (r < 0.55) {
                e["type"] = "click";
                e["element"] = {{"selector", "button#add-to-cart"},
                                {"text", "Add to cart"},
                                {"outbound", false}};
            } else if (r < 0.8) {
                e["type"] = "scroll";
                e["depth"] = 25 * (1 + rng_() % 4);
            } else if (r < 0.9) {
                e["type"] = "hover";
                e["element"] = {{"selector", "a.size-guide"},
                                {"text", "Size guide"},
                                {"href", "https://sizes.example/shoes"},
                                {"outbound", true}};
            } else if (r < 0.98) {
                e["type"] = "custom";
                e["name"] = "filter_used";
                e["props"] = {{"filter", "size"}, {"value", 42}, {"mobile", false}};
            } else {
                e["type"] = "conversion";
                e["name"] = "order";
                e["value"] = 79.9;
                e["currency"] = "EUR";
            }
            events.push_back(std::move(e));
        }
        b["events"] = std::move(events);
        b["sent_at"] = v.clock_ms + 300;
        now_ms_ += 7;
        return {b.dump(), n};
    }

    std::vector<processor::record_header> headers_of(const visitor& v) {
        return {{"received_at", std::to_string(now_ms_)},
                {"client_ip", v.ip},
                {"user_agent", v.ua},
                {"origin", "https://shop.example"},
                {"content_type", "text/plain"},
                {"content_encoding", "identity"},
                {"request_id", uuid(rng_)},
                {"site", "demo-shop"},
                {"source", "batch"}};
    }

    std::mt19937_64 rng_;
    std::uniform_real_distribution<double> unit_{0, 1};
    std::discrete_distribution<std::size_t> pick_;
    std::int64_t now_ms_ = 1'764'100'000'000;
    std::vector<visitor> visitors_;
    std::vector<std::pair<std::string, std::vector<processor::record_header>>> sent_;
};

constexpr std::size_t chunk = 2000;
constexpr std::size_t max_records = 500;

processor::enrich_stage_options stage_options() {
    processor::enrich_stage_options o;
    o.topics = {"raw", "clean", "bots", "dlq"};
    o.max_records = max_records;
    o.commit_interval = std::chrono::hours(1);  // by count, as under load
    o.poll_timeout = std::chrono::milliseconds(0);
    o.retry_backoff = std::chrono::milliseconds(0);
    return o;
}

// The enrich stage as the service runs it, on the in-memory fakes.
struct stage_rig {
    test::memory_stage_io io;
    common::metrics::registry registry;
    processor::enrich_probe probe{registry};
    std::ostringstream log_text;
    common::logger log{log_text, "bench", common::log_level::warn};
    enrich::event_enricher enricher{data().data, {}};
    processor::enrich_stage stage{stage_options(), io, io, enricher, probe, log,
                                  [] { return std::int64_t{1'764'100'000'000}; }};

    void drain() {
        for (std::size_t i = 0;
             i < 4 * chunk && (io.read < io.input.size() || stage.transaction_open()); ++i) {
            stage.step(io.read >= io.input.size());
        }
    }
};

// The average clean event's size on this traffic: the ceiling copies as many
// bytes per message.
std::size_t clean_bytes() {
    static const std::size_t n = [] {
        traffic gen(7);
        stage_rig rig;
        std::vector<int> expected;
        gen.next_chunk(chunk, rig.io, expected);
        rig.drain();
        std::size_t bytes = 0;
        for (const auto& r : rig.io.visible) bytes += r.value.size();
        return bytes / std::max<std::size_t>(rig.io.visible.size(), 1);
    }();
    return n;
}

void enrich_stage_whole(benchmark::State& state) {
    traffic gen(20261125);
    stage_rig rig;
    auto& io = rig.io;
    std::vector<int> expected;
    std::uint64_t outputs = 0, bytes = 0, want = 0, bots = 0;
    // Warm: the user agent cache and the RE2 DFAs fill as in a running service.
    for (int i = 0; i < 5; ++i) {
        gen.next_chunk(chunk, io, expected);
        rig.drain();
        io.visible.clear();
    }
    for (auto _ : state) {
        state.PauseTiming();
        gen.next_chunk(chunk, io, expected);
        for (const int n : expected) want += static_cast<std::uint64_t>(n);
        state.ResumeTiming();
        rig.drain();
        state.PauseTiming();
        outputs += io.visible.size();
        for (const auto& r : io.visible) {
            bytes += r.value.size();
            bots += r.topic == "bots";
        }
        io.visible.clear();
        state.ResumeTiming();
    }
    if (outputs != want) state.SkipWithError("the stage made another number of outputs");
    state.SetItemsProcessed(static_cast<std::int64_t>(outputs));
    state.counters["bytes_per_output"] = double(bytes) / double(std::max<std::uint64_t>(outputs, 1));
    state.counters["bot_share"] = double(bots) / double(std::max<std::uint64_t>(outputs, 1));
    const auto& cache = rig.enricher.user_agent_cache();
    state.counters["ua_cache_hit_rate"] =
        double(cache.hits()) / double(std::max<std::size_t>(cache.hits() + cache.misses(), 1));
}
BENCHMARK(enrich_stage_whole)->Unit(benchmark::kMillisecond);

// Consume and produce without enrichment: the same messages in, the same
// number of messages of the same size out, the same transactions.
void enrich_stage_ceiling(benchmark::State& state) {
    traffic gen(20261125);
    test::memory_stage_io io;
    std::vector<int> expected;
    std::uint64_t outputs = 0;
    const std::size_t size = clean_bytes();
    auto drain = [&] {
        std::size_t records = 0;
        std::int64_t next = 0;
        bool open = false;
        for (std::size_t i = 0; i <= io.input.size(); ++i) {
            if (!open) {
                benchmark::DoNotOptimize(io.begin());
                open = true;
            }
            auto polled = io.poll(std::chrono::milliseconds(0));
            if (polled && polled->record) {
                const processor::input_record& r = *polled->record;
                next = r.offset + 1;
                ++records;
                const int n = expected[static_cast<std::size_t>(r.offset)];
                for (int k = 0; k < n; ++k) {
                    processor::output_record out;
                    out.topic = "clean";
                    out.key = r.value.substr(0, 36);
                    out.value.reserve(size);
                    while (out.value.size() < size) {
                        out.value.append(r.value, 0, size - out.value.size());
                    }
                    benchmark::DoNotOptimize(io.produce(std::move(out)));
                }
            }
            if (records > 0 && (records >= max_records || io.read >= io.input.size())) {
                benchmark::DoNotOptimize(io.commit({{"raw", 0, next}}));
                records = 0;
                open = false;
            }
        }
    };
    for (auto _ : state) {
        state.PauseTiming();
        gen.next_chunk(chunk, io, expected);
        state.ResumeTiming();
        drain();
        state.PauseTiming();
        outputs += io.visible.size();
        io.visible.clear();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(outputs));
    state.counters["bytes_per_output"] = static_cast<double>(size);
}
BENCHMARK(enrich_stage_ceiling)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
