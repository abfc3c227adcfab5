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
#include "traffic.h"

namespace {

using namespace clickstream;
using bench::paths;
using bench::traffic;

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

constexpr std::size_t chunk = 2000;

// The next `chunk` raw messages as the fake source's input (offsets from 0).
void next_chunk(traffic& gen, test::memory_stage_io& io, std::vector<int>& expected) {
    static std::vector<bench::raw_message> messages;
    gen.next_chunk(chunk, messages, expected);
    io.input.clear();
    io.read = 0;
    io.committed = 0;
    for (auto& m : messages) io.add(std::move(m.body), std::move(m.headers));
}
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
    processor::enrich_stage stage{stage_options(),
                                  io,
                                  io,
                                  enricher,
                                  probe,
                                  log,
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
        next_chunk(gen, rig.io, expected);
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
        next_chunk(gen, io, expected);
        rig.drain();
        io.visible.clear();
    }
    for (auto _ : state) {
        state.PauseTiming();
        next_chunk(gen, io, expected);
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
    state.counters["bytes_per_output"] =
        double(bytes) / double(std::max<std::uint64_t>(outputs, 1));
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
        next_chunk(gen, io, expected);
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
