// The collector process: reads the config, builds the parts, serves until
// SIGTERM/SIGINT, then stops in order so that nothing accepted is lost.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <thread>

#include "collector/service.h"
#include "common/config.h"
#include "common/kafka/producer.h"

namespace clickstream::collector {
namespace {

constexpr const char* usage =
    R"(clickstream-collector: takes batches over HTTP(S) and produces them to Kafka.

Usage: clickstream-collector [--config FILE]

  --config FILE   JSON config (see collector/collector.example.json and
                  docs/collector.md); without it the defaults apply.
  --help          this text.

Every config key can be overridden from the environment: CLICKSTREAM_ plus
the key path upper-cased and joined by "__", e.g. CLICKSTREAM_KAFKA__BROKERS,
CLICKSTREAM_HTTP__PORT, CLICKSTREAM_SPOOL__DIR. Logs are JSON lines on stderr.
SIGTERM or SIGINT: stop accepting, finish what is in flight, flush to Kafka or
the spool, exit 0.
)";

// Waits until `done` or the deadline; true if done.
template <class Pred>
bool wait_until(std::chrono::steady_clock::time_point deadline, Pred done) {
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

int serve(const collector_options& o, common::logger& log) {
    const trusted_proxies proxies(o.trusted_proxies);
    const static_files files = o.sdk_dir.empty() ? static_files{} : static_files::load(o.sdk_dir);

    auto disk = spool::open({o.spool_dir, o.spool_max_bytes, o.spool_segment_bytes}, o.topic, log);
    if (!disk) {
        log.error("startup_failed", {{"step", "spool"}, {"error", disk.error().message()}});
        return 1;
    }
    auto kafka = common::kafka::producer::create(o.kafka, log);
    if (!kafka) {
        log.error("startup_failed", {{"step", "kafka"}, {"error", kafka.error().message()}});
        return 1;
    }
    common::kafka::producer& producer = **kafka;

    common::metrics::registry registry;
    probe metrics(registry);
    delivery_options d;
    d.pending_limit = o.pending_limit;
    d.check_kafka = [&producer] { return producer.check_reachable(std::chrono::seconds(2)); };
    delivery durable(producer, **disk, d, metrics, log);
    service app(o, proxies, files, durable, metrics, log);

    admin_service admin(app, metrics);

    boost::asio::io_context io(static_cast<int>(o.threads));
    common::http::server server(io, o.server, app, log);
    // Few, small requests: the public limits, and a handful of connections.
    common::http::server_options admin_limits = o.server;
    admin_limits.max_connections = 16;
    common::http::server admin_server(io, admin_limits, admin, log);
    metrics.watch({
        [&] { return static_cast<double>(durable.pending_bytes()); },
        [&] { return static_cast<double>((*disk)->bytes()); },
        [&] { return static_cast<double>((*disk)->records()); },
        [&] { return static_cast<double>(producer.outstanding()); },
        [&] { return static_cast<double>(server.connections()); },
        [&] { return static_cast<double>(server.refused_connections()); },
        [&] { return static_cast<double>(producer.recreations()); },
    });

    std::unique_ptr<boost::asio::ssl::context> tls;
    nlohmann::json listening = nlohmann::json::object();
    if (o.http_enabled) {
        auto bound = server.listen(o.http_address, o.http_port, nullptr);
        if (!bound) {
            log.error(
                "startup_failed",
                {{"step", "listen"}, {"port", o.http_port}, {"error", bound.error().message()}});
            return 1;
        }
        listening["http_port"] = bound->port();
    }
    if (o.tls_enabled) {
        tls = common::http::make_tls_context(o.tls_certificate, o.tls_private_key);
        auto bound = server.listen(o.tls_address, o.tls_port, tls.get());
        if (!bound) {
            log.error(
                "startup_failed",
                {{"step", "listen_tls"}, {"port", o.tls_port}, {"error", bound.error().message()}});
            return 1;
        }
        listening["tls_port"] = bound->port();
    }
    if (o.admin_enabled) {
        auto bound = admin_server.listen(o.admin_address, o.admin_port, nullptr);
        if (!bound) {
            log.error("startup_failed", {{"step", "listen_admin"},
                                         {"port", o.admin_port},
                                         {"error", bound.error().message()}});
            return 1;
        }
        listening["admin_port"] = bound->port();
    }
    durable.start();
    listening["threads"] = o.threads;
    listening["sites"] = o.sites.size();
    listening["sdk_files"] = files.size();
    log.info("listening", listening);

    std::thread stopper;
    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;  // cancelled: nothing to stop
        log.info("stopping", {{"signal", signal}});
        app.set_draining();
        server.stop_accepting();  // the admin listener serves /metrics until the end
        // The rest blocks; the I/O threads keep serving the requests in flight.
        stopper = std::thread([&] {
            const auto deadline = std::chrono::steady_clock::now() + o.shutdown_timeout;
            if (!wait_until(deadline,
                            [&] { return server.connections() == 0 && app.in_flight() == 0; })) {
                log.warn("stop_deadline_passed",
                         {{"connections", server.connections()}, {"in_flight", app.in_flight()}});
            }
            const auto left = std::max(std::chrono::milliseconds(0),
                                       std::chrono::duration_cast<std::chrono::milliseconds>(
                                           deadline - std::chrono::steady_clock::now()));
            durable.stop(left);
            (*disk)->close();
            io.stop();
        });
    });

    std::vector<std::thread> threads;
    for (unsigned i = 1; i < o.threads; ++i) threads.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : threads) t.join();
    if (stopper.joinable()) stopper.join();
    log.info("stopped", {{"spool_records", (*disk)->records()},
                         {"producer_outstanding", producer.outstanding()}});
    return 0;
}

}  // namespace

int run(int argc, char** argv) {
    std::string config_file;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage;
            return 0;
        }
        if (arg == "--config" && i + 1 < argc) {
            config_file = argv[++i];
        } else {
            std::cerr << "clickstream-collector: unknown argument '" << arg << "' (see --help)\n";
            return 2;
        }
    }
    common::logger startup(std::cerr, "collector");
    collector_options options;
    try {
        options = parse_options(
            common::load_config(default_config(), config_file, common::process_environment()));
    } catch (const std::exception& e) {
        startup.error("config_invalid", {{"error", e.what()}});
        return 2;
    }
    common::logger log(std::cerr, "collector", options.log_level);
    try {
        return serve(options, log);
    } catch (const std::exception& e) {  // start-up only: files, TLS, proxies
        log.error("startup_failed", {{"error", e.what()}});
        return 1;
    }
}

}  // namespace clickstream::collector
