// collector_ceiling: the collector benchmark's ceiling and its Kafka chores.
//
// The ceiling is librdkafka alone producing the collector's raw messages (the
// same body, the same contract headers, unkeyed as the collector sends an
// un-gzipped batch) to the same topic with the collector's own producer
// settings: they are read from the collector's config file through the
// collector's parse_options and mapped to librdkafka names by the producer's
// own common::kafka::librdkafka_properties (acks=all and idempotence forced last).
// It produces as fast as librdkafka takes messages for a bounded time and
// count, waits for every delivery report, and prints one JSON line.
//
// With --rate R it paces instead: R messages/s on a fixed schedule, the
// delivery reports served by a thread of their own as the collector's
// producer serves them (rd_kafka_poll with a timeout, woken by each report).
// Its latency (produce → report) is then the floor the producer settings and
// the broker put under the collector's own at the same load: linger.ms, the
// acks=all round trip, and the waits of a busy machine.
//
//   collector_ceiling --config FILE measure --body FILE [--seconds S] [--max-messages N]
//                     [--user-agent UA] [--rate R]
//   collector_ceiling --config FILE settings       the effective producer settings (JSON)
//   collector_ceiling --config FILE topic-create PARTITIONS
//   collector_ceiling --config FILE topic-delete
//
// The topic is the config's kafka.topic. Exit 0 on success; errors on stderr.
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "collector/options.h"
#include "collector/raw_message.h"
#include "collector/service.h"
#include "common/config.h"
#include "common/kafka/producer.h"
#include "support/kafka_topics.h"

namespace {

namespace col = clickstream::collector;
namespace raw = clickstream::collector::raw_header;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

// A failure of the tool itself (bad setting, broker unreachable): main
// reports it and exits 1.
struct failed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class... Parts>
[[noreturn]] void die(const Parts&... parts) {
    std::ostringstream what;
    (what << ... << parts);
    throw failed(what.str());
}

rd_kafka_conf_t* make_conf(const std::map<std::string, std::string>& settings) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [name, value] : settings) {
        if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) !=
            RD_KAFKA_CONF_OK) {
            die("setting ", name, "=", value, " refused: ", err);
        }
    }
    return conf;
}

// Every setting of the conf as librdkafka will use it, defaults included,
// with the topic-level ones (acks is request.required.acks there).
json dump_conf(rd_kafka_conf_t* conf) {
    json out = json::object();
    std::size_t n = 0;
    const char** kv = rd_kafka_conf_dump(conf, &n);
    for (std::size_t i = 0; i + 1 < n; i += 2) out[kv[i]] = kv[i + 1];
    rd_kafka_conf_dump_free(kv, n);
    if (rd_kafka_topic_conf_t* topic = rd_kafka_conf_get_default_topic_conf(conf)) {
        kv = rd_kafka_topic_conf_dump(topic, &n);
        for (std::size_t i = 0; i + 1 < n; i += 2) {
            if (!out.contains(kv[i])) out[kv[i]] = kv[i + 1];  // "inherit": the global one
        }
        rd_kafka_conf_dump_free(kv, n);
    }
    return out;
}

// --- the measurement ---------------------------------------------------------

struct tally {
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> failed{0};
    std::vector<std::uint32_t> latency_us;  // produce → report, only on the polling thread
    steady::time_point last_report{};
    std::string first_error;
};

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(steady::now().time_since_epoch())
        .count();
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* t = static_cast<tally*>(opaque);
    const auto sent = reinterpret_cast<std::intptr_t>(m->_private);
    t->latency_us.push_back(static_cast<std::uint32_t>(std::max<std::int64_t>(0, now_us() - sent)));
    t->last_report = steady::now();
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++t->ok;
    } else {
        if (t->failed++ == 0) t->first_error = rd_kafka_err2name(m->err);
    }
}

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::uint32_t percentile(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

std::string unix_ms() {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
}

int measure(const col::collector_options& o, const std::string& body, double seconds,
            std::uint64_t max_messages, const std::string& user_agent, double rate) {
    rd_kafka_conf_t* conf = make_conf(clickstream::common::kafka::librdkafka_properties(o.kafka));
    tally t;
    t.latency_us.reserve(std::min<std::uint64_t>(max_messages, 4'000'000));
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &t);
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (rk == nullptr) die("producer: ", err);

    // Connect and learn the topic's partitions before the clock starts, as a
    // running collector has.
    rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, topic, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        die("no metadata for ", o.topic);
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(topic);

    const std::string client_ip = "127.0.0.1";
    const std::string content_type = "application/json";
    const std::string identity = "identity";
    const std::string site = "bench";
    const std::string source = "batch";
    auto add = [](rd_kafka_headers_t* h, std::string_view name, const std::string& value) {
        rd_kafka_header_add(h, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                            static_cast<ssize_t>(value.size()));
    };

    // Paced: reports on their own thread (the only one that polls, so the
    // tally stays single-threaded), sends on the schedule below.
    std::atomic<bool> stop_polling{false};
    std::thread poller;
    if (rate > 0) {
        poller = std::thread([&] {
            while (!stop_polling) rd_kafka_poll(rk, 50);
        });
    }
    const auto interval = rate > 0 ? std::chrono::duration_cast<steady::duration>(
                                         std::chrono::duration<double>(1.0 / rate))
                                   : steady::duration::zero();

    const double cpu_start = cpu_seconds();
    const auto start = steady::now();
    const auto stop_producing = start + std::chrono::duration<double>(seconds);
    std::uint64_t produced = 0;
    std::uint64_t queue_full = 0;
    while (produced < max_messages && steady::now() < stop_producing) {
        if (rate > 0) std::this_thread::sleep_until(start + interval * produced);
        // The contract's headers, made per message as the collector does.
        rd_kafka_headers_t* h = rd_kafka_headers_new(8);
        add(h, raw::received_at, unix_ms());
        add(h, raw::client_ip, client_ip);
        add(h, raw::user_agent, user_agent);
        add(h, raw::content_type, content_type);
        add(h, raw::content_encoding, identity);
        add(h, raw::request_id, col::random_hex_id());
        add(h, raw::site, site);
        add(h, raw::source, source);
        for (;;) {
            // Flags 0: the body is neither copied nor freed (it outlives the run).
            const rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(o.topic.c_str()),
                RD_KAFKA_V_VALUE(const_cast<char*>(body.data()), body.size()),
                RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_HEADERS(h),
                // The opaque carries the send time, for the report's latency.
                // NOLINTNEXTLINE(performance-no-int-to-ptr)
                RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::intptr_t>(now_us()))),
                RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_headers_destroy(h);
                die("produce: ", rd_kafka_err2name(e));
            }
            ++queue_full;
            if (rate > 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            } else {
                rd_kafka_poll(rk, 5);  // the queue is full: let reports drain it
            }
        }
        ++produced;
        if (rate <= 0 && produced % 64 == 0) rd_kafka_poll(rk, 0);
    }
    // Every report, bounded by the message timeout (after it, what is left
    // has failed and been reported).
    const auto give_up = steady::now() + o.kafka.message_timeout + std::chrono::seconds(5);
    if (rate > 0) {
        while (rd_kafka_outq_len(rk) > 0 && steady::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        stop_polling = true;
        poller.join();
    } else {
        while (rd_kafka_outq_len(rk) > 0 && steady::now() < give_up) rd_kafka_poll(rk, 10);
    }
    rd_kafka_poll(rk, 0);
    const double cpu = cpu_seconds() - cpu_start;
    const std::uint64_t reported = t.ok + t.failed;
    const auto end = reported > 0 ? t.last_report : steady::now();
    const double elapsed = std::chrono::duration<double>(end - start).count();
    const int left = rd_kafka_outq_len(rk);
    rd_kafka_destroy(rk);

    json out = {{"produced", produced},
                {"acked", t.ok.load()},
                {"failed", t.failed.load()},
                {"unreported", left},
                {"first_error", t.first_error},
                {"queue_full_waits", queue_full},
                {"seconds", elapsed},
                {"msgs_per_s", elapsed > 0 ? static_cast<double>(t.ok) / elapsed : 0.0},
                {"target_rate", rate},
                {"cpu_s", cpu},
                {"cpu_ms_per_1000", t.ok > 0 ? cpu * 1e6 / static_cast<double>(t.ok) : 0.0},
                {"body_bytes", body.size()},
                {"latency_us",
                 {{"p50", percentile(t.latency_us, 50)},
                  {"p90", percentile(t.latency_us, 90)},
                  {"p99", percentile(t.latency_us, 99)}}}};
    std::cout << out.dump() << std::endl;
    return t.failed == 0 && left == 0 ? 0 : 1;
}

// --- topic chores (librdkafka's admin API) ------------------------------------

int topic_create(const col::collector_options& o, int partitions) {
    // A safety net if the run is killed before it deletes the topic.
    const auto why = clickstream::test::make_topic(
        o.kafka.brokers, o.topic, partitions,
        {{"retention.bytes", "1073741824"}, {"segment.bytes", "134217728"}}, 60000);
    if (!why.empty()) die("create ", why);
    return 0;
}

int topic_delete(const col::collector_options& o) {
    const auto why = clickstream::test::delete_topics(o.kafka.brokers, {o.topic}, 60000);
    if (!why.empty()) std::cerr << "collector_ceiling: delete " << why << "\n";
    return why.empty() ? 0 : 1;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) die("cannot read ", path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

constexpr const char* usage =
    "usage: collector_ceiling --config FILE measure --body FILE [--seconds S] "
    "[--max-messages N] [--user-agent UA] [--rate R]\n"
    "       collector_ceiling --config FILE settings\n"
    "       collector_ceiling --config FILE topic-create PARTITIONS\n"
    "       collector_ceiling --config FILE topic-delete\n";

}  // namespace

int run(const std::vector<std::string>& args) {
    std::string config_file, command, body_file, user_agent = "clickstream-bench";
    double seconds = 10;
    std::uint64_t max_messages = 2'000'000;
    double rate = 0;  // messages/s; 0: as fast as librdkafka takes them
    int partitions = 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        const bool has_value = i + 1 < args.size();
        if (a == "--help" || a == "-h") {
            std::cout << usage;
            return 0;
        } else if (a == "--config" && has_value) {
            config_file = args[++i];
        } else if (a == "--body" && has_value) {
            body_file = args[++i];
        } else if (a == "--seconds" && has_value) {
            seconds = std::stod(args[++i]);
        } else if (a == "--max-messages" && has_value) {
            max_messages = std::stoull(args[++i]);
        } else if (a == "--rate" && has_value) {
            rate = std::stod(args[++i]);
        } else if (a == "--user-agent" && has_value) {
            user_agent = args[++i];
        } else if (command.empty() && (a == "measure" || a == "settings" || a == "topic-delete")) {
            command = a;
        } else if (command.empty() && a == "topic-create" && has_value) {
            command = a;
            partitions = std::stoi(args[++i]);
        } else {
            std::cerr << usage;
            return 2;
        }
    }
    if (config_file.empty() || command.empty()) {
        std::cerr << usage;
        return 2;
    }
    col::collector_options o;
    try {
        o = col::parse_options(clickstream::common::load_config(
            col::default_config(), config_file, clickstream::common::process_environment()));
    } catch (const std::exception& e) {
        die("config: ", e.what());
    }
    if (command == "settings") {
        rd_kafka_conf_t* conf =
            make_conf(clickstream::common::kafka::librdkafka_properties(o.kafka));
        std::cout << dump_conf(conf).dump() << std::endl;
        rd_kafka_conf_destroy(conf);
        return 0;
    }
    if (command == "topic-create") return topic_create(o, partitions);
    if (command == "topic-delete") return topic_delete(o);
    if (body_file.empty()) die("measure needs --body FILE");
    return measure(o, read_file(body_file), seconds, max_messages, user_agent, rate);
}

int main(int argc, char** argv) {
    try {
        return run(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const std::exception& e) {  // failed, or a bad number in an argument
        std::cerr << "collector_ceiling: " << e.what() << "\n";
        return 1;
    }
}
