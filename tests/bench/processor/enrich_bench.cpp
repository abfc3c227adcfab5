// The enrich derivations' speed on a realistic user-agent mix: user agents
// drawn by weight from the user-agents package (what real browsers send),
// parsed without the result cache ("cold": every parse runs the regexes,
// the RE2 DFAs warm as in a running service), on a parser seeing them for
// the first time, and through the LRU cache. Goal (issue 6): a cold parse
// under 10 µs; ports in use today take ~50 µs (uap-cpp) and 16-19 µs (the
// Rust ua-parser crate).
//
// CLICKSTREAM_ROOT (else the source tree) locates node_modules/.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "processor/enrich/bot_filter.h"
#include "processor/enrich/data_paths.h"
#include "processor/enrich/referrer_parser.h"
#include "processor/enrich/ua_parser.h"
#include "processor/enrich/url.h"

namespace {

using namespace clickstream::enrich;

std::filesystem::path root() {
    const char* r = std::getenv("CLICKSTREAM_ROOT");
    return r != nullptr && *r != '\0' ? r : CLICKSTREAM_DEFAULT_ROOT;
}

const data_paths& paths() {
    static const data_paths p = default_data_paths(root());
    return p;
}

// 20,000 user agents drawn by the package's weights (fixed seed): the mix a
// site sees, repeats included.
const std::vector<std::string>& mix() {
    static const std::vector<std::string> sample = [] {
        std::ifstream in(root() / "node_modules/user-agents/dist/user-agents.json");
        const auto all = nlohmann::json::parse(in);
        std::vector<std::string> uas;
        std::vector<double> weights;
        for (const auto& e : all) {
            uas.push_back(e.at("userAgent").get<std::string>());
            weights.push_back(e.at("weight").get<double>());
        }
        std::mt19937 rng(20261125);
        std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
        std::vector<std::string> out;
        for (int i = 0; i < 20000; ++i) out.push_back(uas[pick(rng)]);
        return out;
    }();
    return sample;
}

const ua_parser& parser() {
    static const ua_parser p = [] {
        ua_parser fresh({paths().uap_regexes});
        for (const auto& ua : mix()) benchmark::DoNotOptimize(fresh.parse(ua));  // warm the DFAs
        return fresh;
    }();
    return p;
}

void ua_parse_cold(benchmark::State& state) {
    const auto& p = parser();
    const auto& uas = mix();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(p.parse(uas[i]));
        i = (i + 1) % uas.size();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ua_parse_cold);

// One section at a time, to see where a parse spends its time.
template <auto Section>
void ua_parse_section(benchmark::State& state) {
    const auto& p = parser();
    const auto& uas = mix();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize((p.*Section)(uas[i]));
        i = (i + 1) % uas.size();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ua_parse_section<&ua_parser::parse_browser>)->Name("ua_parse_cold/browser_only");
BENCHMARK(ua_parse_section<&ua_parser::parse_os>)->Name("ua_parse_cold/os_only");
BENCHMARK(ua_parse_section<&ua_parser::parse_device>)->Name("ua_parse_cold/device_only");

// A parser just loaded: its DFAs hold no states yet, so early parses build
// them. Time per user agent over the first pass of the mix.
void ua_parse_first_pass(benchmark::State& state) {
    const auto& uas = mix();
    for (auto _ : state) {
        state.PauseTiming();
        auto fresh = std::make_unique<ua_parser>(ua_parser_options{paths().uap_regexes});
        state.ResumeTiming();
        for (const auto& ua : uas) benchmark::DoNotOptimize(fresh->parse(ua));
        state.PauseTiming();
        fresh.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * std::int64_t(uas.size()));
}
BENCHMARK(ua_parse_first_pass)->Iterations(3)->Unit(benchmark::kMillisecond);

void ua_parse_cached(benchmark::State& state) {
    ua_cache cache(parser(), 10000);
    const auto& uas = mix();
    for (const auto& ua : uas) benchmark::DoNotOptimize(cache.parse(ua));
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(cache.parse(uas[i]));
        i = (i + 1) % uas.size();
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["hit_rate"] =
        double(cache.hits()) / double(std::max<std::size_t>(cache.hits() + cache.misses(), 1));
}
BENCHMARK(ua_parse_cached);

void bot_filter_check(benchmark::State& state) {
    bot_filter_options o;
    o.crawler_user_agents = paths().crawler_user_agents;
    const bot_filter filter(o);
    const auto& uas = mix();
    std::size_t i = 0;
    for (auto _ : state) {
        bot_signals s;
        s.user_agent = uas[i];
        benchmark::DoNotOptimize(filter.check(s));
        i = (i + 1) % uas.size();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bot_filter_check);

void url_parse(benchmark::State& state) {
    const std::string url =
        "https://shop.example.com/de/schuhe/damen/../herren//sneaker-42?utm_source=google"
        "&utm_medium=cpc&utm_campaign=winter%20sale&gclid=Cj0KCQiA-aGCBhCwARIsAHDl5x_abc#reviews";
    for (auto _ : state) benchmark::DoNotOptimize(parse_url(url));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(url_parse);

void referrer_parse(benchmark::State& state) {
    const auto parser = referrer_parser::load(paths().referrers);
    const std::vector<std::string> own{"shop.example.com"};
    const std::string referrers[] = {"https://www.google.de/", "https://l.instagram.com/?u=x",
                                     "https://someones-blog.example.net/post/1",
                                     "https://www.bing.com/search?q=running+shoes"};
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(parser.parse(referrers[i % 4], own));
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(referrer_parse);

}  // namespace

BENCHMARK_MAIN();
