// The enrich stage end to end through the real broker, against its ceiling
// in the same run (issue 6):
//
// - stage: raw topic → `clickstream-processor enrich` (the real process,
//   its real config) → clean, bots and dlq topics;
// - ceiling: the same raw messages through the same Kafka adapter
//   (processor::kafka_io: the transactional consumer and producer, the same
//   settings from the same config) in a loop that enriches nothing: poll,
//   produce as many messages as the stage makes of each raw message (the
//   count rides in a `bench_outputs` header, which the stage ignores), commit
//   after `stage.max_records` messages or `stage.commit_interval_ms`, as the
//   stage does. What it produces are the stage's own outputs, to the same
//   topics (clean, bots, dlq) with the same keys and values, made in-process
//   from the first 2,000 raw messages and taken in turn: the producer
//   compresses (lz4) and partitions (by key) the same bytes the stage's
//   does, and each transaction spans the same partitions. (A run of one
//   repeated byte of the same size, unkeyed, cost the ceiling's producer a
//   fraction of the stage's: lz4 folds it to nothing and unkeyed messages
//   fill one partition's batch.)
//
// Each runs as its own process on its own topics. The driver starts it,
// waits for its start-up line, samples its CPU time (/proc/<pid>/stat),
// produces the raw messages, waits until the group's committed offset on the
// raw topic is the last message (so every output is committed), and samples
// again. events/s per core = outputs / CPU seconds of the process (all its
// threads, librdkafka's included; the kernel's per-process CPU clock, in
// nanoseconds). Each thread's CPU is sampled too (schedstat), so the notes
// split it into the main thread (the stage's work, or the ceiling's loop)
// and librdkafka's threads. Runs alternate which goes first. Each run
// deletes its topics and consumer group when it is done.
//
// Usage: processor_broker_bench [--batches N] [--runs R]   (figures: JSON on stdout)
//        processor_broker_bench ceiling --config FILE --outputs FILE
// Needs the local stack (CLICKSTREAM_KAFKA_BOOTSTRAP, default 127.0.0.1:19092).
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "processor/enrich/geoip.h"
#include "processor/stage/enrich_stage.h"
#include "processor/stage/kafka_io.h"
#include "processor/stage/options.h"
#include "support/kafka_topics.h"
#include "support/memory_stage_io.h"
#include "traffic.h"

extern char** environ;

namespace {

using namespace clickstream;
using bench::json;
using clock_type = std::chrono::steady_clock;

std::string brokers() {
    const char* b = std::getenv("CLICKSTREAM_KAFKA_BOOTSTRAP");
    return b != nullptr && *b != '\0' ? b : "127.0.0.1:19092";
}

[[noreturn]] void die(const std::string& what) {
    std::cerr << "processor_broker_bench: " << what << "\n";
    std::exit(1);
}

// ---- the ceiling process -------------------------------------------------

std::atomic<bool> stop_ceiling{false};

// The sample of the stage's outputs (write_outputs): the topic each went to,
// its key and value.
enum class output_topic : std::uint32_t { clean, bots, dlq };

struct sample_output {
    output_topic topic = output_topic::clean;
    std::optional<std::string> key;
    std::string value;
};

void write_outputs(const std::filesystem::path& file, const std::vector<sample_output>& outputs) {
    std::ofstream out(file, std::ios::binary);
    for (const auto& o : outputs) {
        const std::uint32_t sizes[4] = {static_cast<std::uint32_t>(o.topic), o.key ? 1U : 0U,
                                        static_cast<std::uint32_t>(o.key ? o.key->size() : 0),
                                        static_cast<std::uint32_t>(o.value.size())};
        out.write(reinterpret_cast<const char*>(sizes), sizeof sizes);
        if (o.key) out.write(o.key->data(), static_cast<std::streamsize>(o.key->size()));
        out.write(o.value.data(), static_cast<std::streamsize>(o.value.size()));
    }
    if (!out) die("cannot write " + file.string());
}

std::vector<sample_output> read_outputs(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<sample_output> outputs;
    std::uint32_t sizes[4];
    while (in.read(reinterpret_cast<char*>(sizes), sizeof sizes)) {
        sample_output o;
        o.topic = static_cast<output_topic>(sizes[0]);
        if (sizes[1] != 0) {
            o.key.emplace(sizes[2], '\0');
            in.read(o.key->data(), sizes[2]);
        }
        o.value.resize(sizes[3]);
        in.read(o.value.data(), sizes[3]);
        outputs.push_back(std::move(o));
    }
    if (outputs.empty()) die("no outputs in " + file.string());
    return outputs;
}

int run_ceiling(const std::filesystem::path& config_file,
                const std::filesystem::path& outputs_file) {
    // Read as the service reads it (common/config.h): the same settings.
    const auto o = processor::parse_options(common::load_config(
        processor::default_config(bench::root()), config_file, common::process_environment()));
    common::logger log(std::cerr, "processor_broker_bench", common::log_level::warn);
    auto io = processor::kafka_io::create(o.consumer, o.producer, log);
    if (!io) die("kafka: " + io.error().message());
    processor::kafka_io& kafka = **io;
    std::signal(SIGTERM, [](int) { stop_ceiling = true; });
    std::cerr << "ceiling_started" << std::endl;

    std::map<std::pair<std::string, std::int32_t>, std::int64_t> positions;
    std::size_t records = 0;
    bool open = false;
    auto opened = clock_type::now();
    const std::vector<sample_output> sample = read_outputs(outputs_file);
    std::size_t next_output = 0;
    while (!stop_ceiling) {
        if (!open) {
            if (!kafka.begin()) die("begin failed");
            open = true;
            opened = clock_type::now();
        }
        auto polled = kafka.poll(o.stage.poll_timeout);
        if (!polled) continue;
        if (polled->revoked) {
            kafka.abort();
            positions.clear();
            records = 0;
            open = false;
            continue;
        }
        if (polled->record) {
            const processor::input_record& r = *polled->record;
            positions[{r.topic, r.partition}] = r.offset + 1;
            ++records;
            const processor::record_header* n = r.header("bench_outputs");
            const int outputs = n == nullptr ? 0 : std::stoi(n->value);
            for (int k = 0; k < outputs; ++k) {
                processor::output_record out;
                const sample_output& made = sample[next_output++ % sample.size()];
                out.topic = made.topic == output_topic::bots  ? o.stage.topics.bots
                            : made.topic == output_topic::dlq ? o.stage.topics.dlq
                                                              : o.stage.topics.clean;
                out.key = made.key;
                out.value = made.value;
                if (!kafka.produce(std::move(out))) die("produce failed");
            }
        }
        if (records > 0 && (records >= o.stage.max_records ||
                            clock_type::now() - opened >= o.stage.commit_interval)) {
            std::vector<processor::input_position> at;
            for (const auto& [tp, next] : positions) at.push_back({tp.first, tp.second, next});
            if (!kafka.commit(at)) die("commit failed");
            records = 0;
            open = false;
        }
    }
    if (open) kafka.abort();
    kafka.close();
    return 0;
}

// ---- the driver ----------------------------------------------------------

rd_kafka_t* client(rd_kafka_type_t type, const std::string& group = "") {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers().c_str(), err, sizeof err);
    if (!group.empty()) rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
        rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err);
    }
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) die(err);
    return rk;
}

void create_topic(const std::string& name, int partitions) {
    if (const auto why = clickstream::test::make_topic(brokers(), name, partitions); !why.empty()) {
        die("cannot create topic " + why);
    }
}

// Deletes the run's topics and consumer group: the broker is shared, and a
// benchmark leaves nothing behind. Failures are reported, not fatal (the
// figures stand).
void delete_run(const std::vector<std::string>& topics, const std::string& group) {
    if (const auto why = clickstream::test::delete_topics(brokers(), topics); !why.empty()) {
        std::cerr << "processor_broker_bench: cannot delete topics: " << why << "\n";
    }
    if (const auto why = clickstream::test::delete_groups(brokers(), {group}); !why.empty()) {
        std::cerr << "processor_broker_bench: cannot delete group: " << why << "\n";
    }
}

void produce_all(const std::string& topic, const std::vector<bench::raw_message>& messages,
                 const std::vector<int>& outputs) {
    rd_kafka_t* rk = client(RD_KAFKA_PRODUCER);
    for (std::size_t i = 0; i < messages.size(); ++i) {
        rd_kafka_headers_t* h = rd_kafka_headers_new(messages[i].headers.size() + 1);
        for (const auto& header : messages[i].headers) {
            rd_kafka_header_add(h, header.name.c_str(), -1, header.value.data(),
                                static_cast<ssize_t>(header.value.size()));
        }
        const std::string n = std::to_string(outputs[i]);
        rd_kafka_header_add(h, "bench_outputs", -1, n.data(), static_cast<ssize_t>(n.size()));
        while (true) {
            const rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                RD_KAFKA_V_VALUE(const_cast<char*>(messages[i].body.data()),
                                 messages[i].body.size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                die("produce: " + std::string(rd_kafka_err2str(err)));
            rd_kafka_poll(rk, 10);
        }
        rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) die("raw messages not flushed");
    rd_kafka_destroy(rk);
}

// The group's committed offset on partition 0 of `topic` (-1: none yet).
std::int64_t committed(rd_kafka_t* rk, const std::string& topic) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), 0);
    std::int64_t at = -1;
    if (rd_kafka_committed(rk, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        at = list->elems[0].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return at;
}

// User + system CPU seconds of a process, all its threads (exited ones
// included), in nanoseconds from the kernel's per-process CPU clock: the
// /proc/<pid>/stat ticks (10 ms) were a tenth of a short run's CPU.
double cpu_seconds(pid_t pid) {
    clockid_t clock{};
    if (clock_getcpuclockid(pid, &clock) != 0) die("no CPU clock for pid " + std::to_string(pid));
    timespec t{};
    if (clock_gettime(clock, &t) != 0)
        die("cannot read the CPU clock of pid " + std::to_string(pid));
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

// CPU nanoseconds of each live thread of a process, by "tid name", from
// /proc/<pid>/task/<tid>/schedstat: where a run's CPU goes between the
// main thread and librdkafka's, printed beside each run's figures.
std::map<std::string, double> thread_cpu_seconds(pid_t pid) {
    std::map<std::string, double> out;
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
        std::ifstream comm(task.path() / "comm");
        std::ifstream stat(task.path() / "schedstat");
        std::string name;
        double ns = 0;
        if (!std::getline(comm, name) || !(stat >> ns)) continue;
        out[task.path().filename().string() + " " + name] = ns / 1e9;
    }
    return out;
}

bool log_has(const std::filesystem::path& file, const std::string& text) {
    std::ifstream in(file);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all.find(text) != std::string::npos;
}

pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
        die("cannot start " + argv[0]);
    }
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

struct measured {
    double events_per_cpu_second = 0;
    double cpu_seconds = 0;
    double wall_seconds = 0;
    double main_thread_seconds = 0;  // of cpu_seconds, the process's main thread
};

// One process (the stage or the ceiling) over its own topics.
measured run_one(const std::string& which, int run, const std::vector<bench::raw_message>& messages,
                 const std::vector<int>& outputs, std::uint64_t total_outputs,
                 const std::vector<sample_output>& sample, const std::filesystem::path& self) {
    const std::string prefix =
        "bench-enrich-" + std::to_string(getpid()) + "-" + std::to_string(run) + "-" + which + "-";
    const std::string raw = prefix + "raw", group = prefix + "group";
    create_topic(raw, 1);
    for (const char* t : {"clean", "bots", "dlq"}) create_topic(prefix + t, 2);
    const auto dir = std::filesystem::temp_directory_path() / (prefix + "dir");
    std::filesystem::create_directories(dir);
    const json config = {
        {"log_level", "info"},
        {"root", bench::root().string()},
        {"http", {{"address", "127.0.0.1"}, {"port", 0}}},
        {"kafka",
         {{"brokers", brokers()}, {"group_id", group}, {"transactional_id", group + "-0"}}},
        {"topics",
         {{"raw", raw},
          {"clean", prefix + "clean"},
          {"bots", prefix + "bots"},
          {"dlq", prefix + "dlq"}}},
        {"sites", {{"demo-shop", {{"domains", {"shop.example"}}}}}}};
    const auto config_file = dir / "config.json";
    std::ofstream(config_file) << config.dump(2);
    const auto log = dir / "log";
    std::vector<std::string> argv;
    std::string ready_line;
    if (which == "stage") {
        argv = {CLICKSTREAM_PROCESSOR_BIN, "enrich", "--config", config_file.string()};
        ready_line = "enrich_started";
    } else {
        const auto outputs_file = dir / "outputs.bin";
        write_outputs(outputs_file, sample);
        argv = {self.string(),        "ceiling",   "--config",
                config_file.string(), "--outputs", outputs_file.string()};
        ready_line = "ceiling_started";
    }
    const pid_t pid = spawn(argv, log);
    const auto deadline = clock_type::now() + std::chrono::seconds(120);
    while (!log_has(log, ready_line)) {
        if (clock_type::now() > deadline) die(which + " did not start; see " + log.string());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const double cpu0 = cpu_seconds(pid);
    const auto threads0 = thread_cpu_seconds(pid);
    const auto wall0 = clock_type::now();
    produce_all(raw, messages, outputs);
    rd_kafka_t* watcher = client(RD_KAFKA_CONSUMER, group);
    const auto end = static_cast<std::int64_t>(messages.size());
    const auto done_by = clock_type::now() + std::chrono::seconds(600);
    while (committed(watcher, raw) < end) {
        if (clock_type::now() > done_by) die(which + " did not finish; see " + log.string());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const double cpu1 = cpu_seconds(pid);
    const auto threads1 = thread_cpu_seconds(pid);
    const auto wall1 = clock_type::now();
    rd_kafka_destroy(watcher);
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    std::filesystem::remove_all(dir);
    delete_run({raw, prefix + "clean", prefix + "bots", prefix + "dlq"}, group);
    measured m;
    m.cpu_seconds = cpu1 - cpu0;
    m.wall_seconds = std::chrono::duration<double>(wall1 - wall0).count();
    m.events_per_cpu_second = double(total_outputs) / std::max(m.cpu_seconds, 1e-9);
    std::cerr << which << " run " << run << ": " << total_outputs << " outputs, " << m.cpu_seconds
              << " s CPU, " << m.wall_seconds << " s wall, " << m.events_per_cpu_second
              << " events/s per core\n";
    const std::string main_thread = std::to_string(pid) + " ";
    for (const auto& [thread, seconds] : threads1) {
        const auto before = threads0.find(thread);
        const double used = seconds - (before == threads0.end() ? 0.0 : before->second);
        if (thread.starts_with(main_thread)) m.main_thread_seconds = used;
        if (used >= 0.005) std::cerr << "  thread " << thread << ": " << used << " s CPU\n";
    }
    return m;
}

// The stage's outputs (clean, bot and dead letter messages) of the first
// 2,000 raw messages, made in-process on the fakes: what the ceiling
// produces, in turn.
std::vector<sample_output> stage_outputs(const std::vector<bench::raw_message>& messages) {
    const auto& p = bench::paths();
    const enrich::ua_parser uap({p.uap_regexes});
    const auto referrers = enrich::referrer_parser::load(p.referrers);
    enrich::bot_filter_options bo;
    bo.crawler_user_agents = p.crawler_user_agents;
    const enrich::bot_filter bots(bo);
    const auto countries = enrich::open_country_lookup(p.geoip_v4, p.geoip_v6);
    const enrich::enrich_data data{uap, referrers, bots, *countries};
    enrich::event_enricher enricher(data, {});
    test::memory_stage_io io;
    const std::size_t sample = std::min<std::size_t>(messages.size(), 2000);
    for (std::size_t i = 0; i < sample; ++i) io.add(messages[i].body, messages[i].headers);
    common::metrics::registry registry;
    processor::enrich_probe probe(registry);
    std::ostringstream log_text;
    common::logger log(log_text, "bench", common::log_level::warn);
    processor::enrich_stage_options o;
    o.topics = {"raw", "clean", "bots", "dlq"};
    processor::enrich_stage stage(o, io, io, enricher, probe, log, [] { return std::int64_t{0}; });
    for (std::size_t i = 0;
         i < 4 * sample && (io.read < io.input.size() || stage.transaction_open()); ++i) {
        stage.step(io.read >= io.input.size());
    }
    std::vector<sample_output> made;
    made.reserve(io.visible.size());
    for (const auto& r : io.visible) {
        const output_topic t = r.topic == "bots"  ? output_topic::bots
                               : r.topic == "dlq" ? output_topic::dlq
                                                  : output_topic::clean;
        made.push_back({t, r.key, r.value});
    }
    if (made.empty()) die("the stage made no outputs of the sample");
    return made;
}

// "clean 97.1%, bots 2.5%, dlq 0.4%": where the sample's outputs went.
std::string topic_shares(const std::vector<sample_output>& sample) {
    std::size_t n[3] = {0, 0, 0};
    for (const auto& o : sample) ++n[static_cast<std::size_t>(o.topic)];
    std::string text;
    const char* names[3] = {"clean", "bots", "dlq"};
    for (std::size_t i = 0; i < 3; ++i) {
        char part[48];
        std::snprintf(part, sizeof part, "%s%s %.1f%%", i == 0 ? "" : ", ", names[i],
                      100.0 * double(n[i]) / double(sample.size()));
        text += part;
    }
    return text;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
}

double spread(const std::vector<double>& v) {
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return (*hi - *lo) / 2;
}

int run_driver(std::size_t batches, int runs, const std::filesystem::path& self) {
    bench::traffic gen(20261126);
    std::vector<bench::raw_message> messages;
    std::vector<int> outputs;
    gen.next_chunk(batches, messages, outputs);
    std::uint64_t total = 0;
    for (const int n : outputs) total += static_cast<std::uint64_t>(n);
    const std::vector<sample_output> sample = stage_outputs(messages);
    std::size_t sample_bytes = 0;
    for (const auto& o : sample) sample_bytes += o.value.size();
    const std::size_t bytes = sample_bytes / sample.size();
    std::vector<double> stage, ceiling, stage_wall, ceiling_wall, stage_main, ceiling_main,
        stage_rest, ceiling_rest;
    for (int r = 0; r < runs; ++r) {
        const bool stage_first = r % 2 == 0;
        for (int k = 0; k < 2; ++k) {
            const bool is_stage = (k == 0) == stage_first;
            const measured m =
                run_one(is_stage ? "stage" : "ceiling", r, messages, outputs, total, sample, self);
            (is_stage ? stage : ceiling).push_back(m.events_per_cpu_second);
            (is_stage ? stage_wall : ceiling_wall).push_back(double(total) / m.wall_seconds);
            (is_stage ? stage_main : ceiling_main).push_back(m.main_thread_seconds);
            (is_stage ? stage_rest : ceiling_rest).push_back(m.cpu_seconds - m.main_thread_seconds);
        }
    }
    const std::string today = [] {
        const std::time_t t = std::time(nullptr);
        char buf[16];
        std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&t));
        return std::string(buf);
    }();
    const std::string what =
        std::to_string(batches) + " raw messages (" + std::to_string(total) +
        " outputs; web batches of 1-12 events, user agents by weight from the user-agents "
        "package, 3% crawlers, 2% re-sent, 0.5% broken) on a 1-partition raw topic of the "
        "stack's Kafka; outputs to 2-partition topics; defaults of docs/processor.md "
        "(stage.max_records 500, commit_interval_ms 200, read_committed, transactional "
        "producer with the offsets in each transaction). CPU time is user + system of the "
        "whole process (librdkafka's threads included) from the first raw message produced "
        "to the group's committed offset reaching the last.";
    const json figures = json::array(
        {{{"area", "processor"},
          {"measure",
           "whole enrich stage through Kafka (raw topic → clickstream-processor enrich "
           "→ clean/bots/dlq), events/s per core"},
          {"median", std::round(median(stage))},
          {"spread", std::round(spread(stage))},
          {"unit", "events/s"},
          {"runs", runs},
          {"better", "higher"},
          {"command", "scripts/bench processor"},
          {"date", today},
          {"reference",
           {{"kind", "ceiling"},
            {"name",
             "librdkafka consume + produce of the same messages, same transactional "
             "settings, nothing enriched (same run); goal 0.5x"},
            {"value", std::round(median(ceiling))}}},
          {"notes", "The real clickstream-processor process: " + what +
                        " Wall-clock rate (events/s, producer and consumer overlapping): stage " +
                        std::to_string(std::lround(median(stage_wall))) + ", ceiling " +
                        std::to_string(std::lround(median(ceiling_wall))) +
                        ". CPU seconds per run, main thread + the other threads (librdkafka's; "
                        "medians): stage " +
                        seconds(median(stage_main)) + " + " + seconds(median(stage_rest)) +
                        ", ceiling " + seconds(median(ceiling_main)) + " + " +
                        seconds(median(ceiling_rest)) + "."}},
         {{"area", "processor"},
          {"measure",
           "ceiling through Kafka: transactional consume + produce without enrichment, "
           "events/s per core"},
          {"median", std::round(median(ceiling))},
          {"spread", std::round(spread(ceiling))},
          {"unit", "events/s"},
          {"runs", runs},
          {"better", "higher"},
          {"command", "scripts/bench processor"},
          {"date", today},
          {"notes",
           "processor::kafka_io (the stage's own transactional consumer and producer) "
           "in a loop that produces, for each raw message, as many messages as the "
           "stage makes of it: the stage's own outputs (topic, key and value; " +
               std::to_string(sample.size()) +
               " made in-process from the first 2,000 raw messages, taken in turn, " +
               std::to_string(bytes) + " bytes on average; " + topic_shares(sample) +
               "), so lz4, the key partitioner and the transaction see the same "
               "topics and bytes; commit after 500 messages or 200 ms. " +
               what}}});
    std::cout << figures.dump(2) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const std::filesystem::path self = std::filesystem::canonical("/proc/self/exe");
    if (!args.empty() && args[0] == "ceiling") {
        std::filesystem::path config, outputs;
        for (std::size_t i = 1; i + 1 < args.size(); i += 2) {
            if (args[i] == "--config") config = args[i + 1];
            if (args[i] == "--outputs") outputs = args[i + 1];
        }
        if (config.empty() || outputs.empty()) die("ceiling needs --config and --outputs");
        return run_ceiling(config, outputs);
    }
    std::size_t batches = 20000;
    int runs = 3;
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == "--batches") batches = std::stoul(args[i + 1]);
        if (args[i] == "--runs") runs = std::stoi(args[i + 1]);
    }
    return run_driver(batches, runs, self);
}
