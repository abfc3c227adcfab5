// The sessionize process: reads the config, consumes the clean topic into
// the stage, writes to ClickHouse, commits what is durable, serves /healthz,
// /readyz and /metrics, and stops on SIGTERM/SIGINT after a last flush.
#include "processor/sessionize/service.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <set>
#include <thread>

#include "common/config.h"
#include "common/http/server.h"

namespace clickstream::sessionize {
namespace {

constexpr const char* usage =
    R"(clickstream-sessionize: groups clean events into sessions and writes events and
sessions to ClickHouse.

Usage: clickstream-sessionize [--config FILE]

  --config FILE   JSON config (see processor/sessionize.example.json and
                  docs/sessions.md); without it the defaults apply.
  --help          this text.

Every config key can be overridden from the environment: CLICKSTREAM_ plus the
key path upper-cased and joined by "__", e.g. CLICKSTREAM_KAFKA__BROKERS,
CLICKSTREAM_KAFKA__TOPIC, CLICKSTREAM_CLICKHOUSE__URL, CLICKSTREAM_HTTP__PORT.
Logs are JSON lines on stderr. SIGTERM or SIGINT: write what is pending,
commit, leave the group, exit 0.
)";

std::int64_t wall_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class endpoints final : public common::http::handler {
public:
    explicit endpoints(common::metrics::registry& r) : registry_(r) {}
    std::atomic<bool> ready{false};
    std::atomic<bool> paused{false};

    void on_request(common::http::request&& req, const common::http::peer&,
                    common::http::responder respond) noexcept override {
        common::http::response res;
        res.version(req.version());
        res.keep_alive(req.keep_alive());
        const std::string_view target = req.target();
        res.set(boost::beast::http::field::content_type, "text/plain; charset=utf-8");
        if (target == "/healthz") {
            res.result(common::http::status::ok);
            res.body() = "ok\n";
        } else if (target == "/readyz") {
            const bool ok = ready && !paused;
            res.result(ok ? common::http::status::ok : common::http::status::service_unavailable);
            res.body() = ok ? "ready\n" : (paused ? "clickhouse refuses writes\n" : "starting\n");
        } else if (target == "/metrics") {
            res.result(common::http::status::ok);
            res.set(boost::beast::http::field::content_type, "text/plain; version=0.0.4");
            res.body() = registry_.expose();
        } else {
            res.result(common::http::status::not_found);
            res.body() = "not found\n";
        }
        res.prepare_payload();
        respond(std::move(res));
    }
    common::http::response on_refused(common::http::status code, std::string_view reason,
                                      const common::http::request&) noexcept override {
        common::http::response res{code, 11};
        res.body() = std::string(reason) + "\n";
        res.prepare_payload();
        return res;
    }

private:
    common::metrics::registry& registry_;
};

int serve(const service_options& o, common::logger& log) {
    common::metrics::registry registry;
    probe metrics(registry);
    clickhouse_client client(o.clickhouse, log);
    clickhouse_sink sink(client);
    stage st(o.stage, sink, sink, metrics, log);
    auto made = common::kafka::consumer::create(o.kafka, log);
    if (!made) {
        log.error("startup_failed", {{"step", "kafka"}, {"error", made.error().message()}});
        return 1;
    }
    common::kafka::consumer& consumer = **made;

    boost::asio::io_context io(1);
    endpoints app(registry);
    common::http::server server(io, {}, app, log);
    auto bound = server.listen(o.http_address, o.http_port, nullptr);
    if (!bound) {
        log.error("startup_failed",
                  {{"step", "listen"}, {"port", o.http_port}, {"error", bound.error().message()}});
        return 1;
    }
    std::atomic<bool> stop{false};
    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        log.info("stopping", {{"signal", signal}});
        stop = true;
    });
    std::thread io_thread([&] { io.run(); });
    log.info("listening", {{"http_port", bound->port()},
                           {"topic", o.kafka.topics.front()},
                           {"group_id", o.kafka.group_id},
                           {"database", o.clickhouse.database}});

    // Waits in small steps; answers false once a stop was asked for.
    const stage::sleeper sleep_unless_stopped = [&](std::chrono::milliseconds d) {
        app.paused = true;
        const auto until = std::chrono::steady_clock::now() + d;
        while (!stop && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return !stop.load();
    };
    const std::string& topic = o.kafka.topics.front();
    std::set<std::int32_t> held;  // partitions with state in the stage
    auto last_commit = std::chrono::steady_clock::now();
    auto flush_and_commit = [&](const stage::sleeper& sleep) {
        if (!st.flush(wall_now_ms(), sleep)) return false;
        app.paused = false;
        std::vector<std::int32_t> assigned;
        for (const auto& a : consumer.assignment()) {
            if (a.topic == topic) assigned.push_back(a.partition);
        }
        for (auto it = held.begin(); it != held.end();) {
            if (std::find(assigned.begin(), assigned.end(), *it) == assigned.end()) {
                log.info("partition_dropped", {{"partition", *it}});
                st.drop_partition(*it);
                it = held.erase(it);
            } else {
                ++it;
            }
        }
        app.ready = !assigned.empty();
        std::vector<common::kafka::partition_commit> offsets;
        for (auto& c : st.commit_points(assigned)) {
            offsets.push_back({{topic, c.partition, c.offset}, std::move(c.metadata)});
        }
        if (!offsets.empty() && consumer.commit(offsets)) metrics.committed();
        last_commit = std::chrono::steady_clock::now();
        return true;
    };

    while (!stop) {
        auto m = consumer.poll(std::chrono::milliseconds(100));
        const std::int64_t now = wall_now_ms();
        if (!m) {
            sleep_unless_stopped(std::chrono::milliseconds(500));
            app.paused = false;
            continue;
        }
        if (*m) {
            const auto& msg = **m;
            held.insert(msg.partition);
            if (st.starts_partition(msg.partition, msg.offset)) {
                // Resume from what the committing run stored with the offset.
                auto c = consumer.committed({{topic, msg.partition, -1}}, std::chrono::seconds(10));
                if (c && c->size() == 1) {
                    st.resume(msg.partition, msg.offset, c->front().position.offset,
                              c->front().metadata);
                } else {
                    log.warn("committed_offset_unknown", {{"partition", msg.partition}});
                    st.resume(msg.partition, msg.offset, -1, {});
                }
            }
            st.on_message(msg.partition, msg.offset, msg.msg.value, now);
        }
        st.tick(now);
        if (st.flush_due(now) ||
            std::chrono::steady_clock::now() - last_commit >= o.stage.batch_interval) {
            if (!flush_and_commit(sleep_unless_stopped)) break;
        }
    }
    // Stopping: one more flush under the shutdown deadline, then commit.
    const auto deadline = std::chrono::steady_clock::now() + o.shutdown_timeout;
    const stage::sleeper until_deadline = [&](std::chrono::milliseconds d) {
        if (std::chrono::steady_clock::now() + d > deadline) return false;
        std::this_thread::sleep_for(d);
        return true;
    };
    const bool flushed = flush_and_commit(until_deadline);
    consumer.close();
    server.stop_accepting();
    io.stop();
    io_thread.join();
    log.info("stopped", {{"flushed", flushed},
                         {"pending_events", st.pending_events()},
                         {"pending_sessions", st.pending_sessions()},
                         {"open_sessions", st.window().open_windows()}});
    return 0;
}

}  // namespace
}  // namespace clickstream::sessionize

int sessionize_main(int argc, char** argv) {
    using namespace clickstream;
    std::string config_file;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << sessionize::usage;
            return 0;
        }
        if (arg == "--config" && i + 1 < argc) {
            config_file = argv[++i];
        } else {
            std::cerr << "clickstream-sessionize: unknown argument '" << arg << "' (see --help)\n";
            return 2;
        }
    }
    common::logger startup(std::cerr, "sessionize");
    sessionize::service_options options;
    try {
        options = sessionize::parse_options(common::load_config(
            sessionize::default_config(), config_file, common::process_environment()));
    } catch (const std::exception& e) {
        startup.error("config_invalid", {{"error", e.what()}});
        return 2;
    }
    common::logger log(std::cerr, "sessionize", options.log_level);
    try {
        return sessionize::serve(options, log);
    } catch (const std::exception& e) {  // start-up only
        log.error("startup_failed", {{"error", e.what()}});
        return 1;
    }
}
