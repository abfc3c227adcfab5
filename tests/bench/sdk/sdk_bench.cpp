// SDK benchmarks. Goals (issue 4): track() on the calling thread p50 < 1 us
// and p99 < 10 us with 1 and 4 producing threads on this 2-core machine.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <vector>

#include "clickstream/memory_event_store.h"
#include "clickstream/tracker.h"
#include "clickstream/tracker_core.h"

namespace {

using namespace clickstream;
using steady = std::chrono::steady_clock;

// Takes every batch at once: the sender thread never waits on a network.
class accept_all final : public transport {
public:
    send_result send(const send_request& r) noexcept override {
        bytes_.fetch_add(r.body.size());
        return send_result::sent();
    }

private:
    std::atomic<std::uint64_t> bytes_{0};
};

event typical_event(int i) {
    return screen_view("Product: Blue mug")
        .prop("sku", "MUG-BLUE-350")
        .prop("position", i)
        .prop("in_stock", true);
}

// Per-call latencies of tracker::track() on the benchmark's threads.
void track_latency(benchmark::State& state) {
    static std::unique_ptr<tracker> shared;
    static std::mutex mutex;
    static std::vector<double> all_ns;
    if (state.thread_index() == 0) {
        tracker_config c;
        c.options.site = "bench";
        c.options.endpoint = "http://127.0.0.1:9";
        c.options.batching.max_queue_events = 1 << 20;
        c.options.batching.max_queue_bytes = 1ULL << 30;
        c.transport = std::make_shared<accept_all>();
        c.fetch_remote_config = false;
        shared = std::move(*tracker::create(c));
        all_ns.clear();
    }
    std::vector<double> mine;
    mine.reserve(1 << 20);
    int i = 0;
    for (auto _ : state) {
        event e = typical_event(i++);  // building the event is the app's cost, not timed
        const auto t0 = steady::now();
        benchmark::DoNotOptimize(shared->track(std::move(e)));
        const auto t1 = steady::now();
        mine.push_back(static_cast<double>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
    }
    {
        std::lock_guard lock(mutex);
        all_ns.insert(all_ns.end(), mine.begin(), mine.end());
    }
    if (state.thread_index() == 0) {
        // Thread 0 waits for the others (benchmark's barrier at the end of the loop).
        (void)shared->flush(std::chrono::seconds(30));
        std::sort(all_ns.begin(), all_ns.end());
        const auto at = [](double q) {
            return all_ns[static_cast<std::size_t>(q * (all_ns.size() - 1))];
        };
        state.counters["p50_ns"] = at(0.50);
        state.counters["p99_ns"] = at(0.99);
        state.counters["p999_ns"] = at(0.999);
        state.counters["sent"] = static_cast<double>(shared->stats().sent_events);
        shared.reset();
    }
}
BENCHMARK(track_latency)->Threads(1)->Threads(4)->Iterations(200000)->UseRealTime();

// Heap bytes in use (glibc), so memory freed by earlier benchmarks does not hide growth.
std::size_t heap_bytes() {
    return mallinfo2().uordblks;
}

struct fixed_clock final : clock {
    std::int64_t now_ms() noexcept override { return 1764100000000; }
};
struct counter_random final : random_source {
    std::uint64_t x = 1;
    std::uint64_t next_u64() noexcept override {
        return x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    }
};

// Memory with the queue full (the default cap, 10,000 events) and the size
// of what goes on the wire.
void full_queue_memory_and_bytes(benchmark::State& state) {
    for (auto _ : state) {
        fixed_clock clk;
        counter_random random;
        memory_event_store store;
        tracker_options o;
        o.site = "bench";
        o.endpoint = "http://127.0.0.1:9";
        o.initial_consent = consent::granted;
        const std::size_t before = heap_bytes();
        tracker_core core(o, clk, random, store);
        (void)core.start();
        const std::size_t cap = o.batching.max_queue_events;
        for (std::size_t i = 0; i < cap; ++i) (void)core.track(typical_event(static_cast<int>(i)));
        const std::size_t after = heap_bytes();
        const auto stats = core.stats();
        core.flush();
        accept_all t;
        std::size_t batch_bytes = 0;
        std::size_t batch_events = 0;
        while (auto b = core.next_batch()) {
            batch_bytes += b->body.size();
            batch_events += b->events;
            core.complete(*b, t.send({b->url, b->body, {}, {}, nullptr}));
        }
        state.counters["queued_events"] = static_cast<double>(stats.queued_events);
        state.counters["memory_MiB"] = static_cast<double>(after - before) / (1 << 20);
        state.counters["memory_per_event_B"] =
            static_cast<double>(after - before) / static_cast<double>(cap);
        state.counters["event_json_B"] =
            static_cast<double>(stats.queued_bytes) / static_cast<double>(cap);
        state.counters["wire_B_per_event"] =
            static_cast<double>(batch_bytes) / static_cast<double>(batch_events);
    }
}
BENCHMARK(full_queue_memory_and_bytes)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
