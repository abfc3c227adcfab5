// The enrich process: reads the config, loads the data files, connects to
// Kafka, serves /healthz, /readyz and /metrics, and runs the stage on the
// main thread until SIGTERM/SIGINT (then the open transaction is committed
// if it can be, else aborted, and the process leaves its group).
#include "processor/stage/app.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "common/config.h"
#include "common/http/server.h"
#include "processor/enrich/geoip.h"
#include "processor/stage/kafka_io.h"
#include "processor/stage/options.h"

#ifndef CLICKSTREAM_DEFAULT_ROOT
#define CLICKSTREAM_DEFAULT_ROOT "."
#endif

namespace clickstream::processor {
namespace {

constexpr const char* usage =
    R"(clickstream-processor: the pipeline's Kafka stages.

Usage: clickstream-processor enrich [--config FILE]

  enrich          consume the raw topic, write clean events, bot events and
                  dead letters, exactly once (Kafka transactions)
  --config FILE   JSON config (see processor/processor.example.json and
                  docs/processor.md); without it the defaults apply
  --help          this text

Every config key can be overridden from the environment: CLICKSTREAM_ plus
the key path upper-cased and joined by "__", e.g. CLICKSTREAM_KAFKA__BROKERS,
CLICKSTREAM_TOPICS__RAW, CLICKSTREAM_HTTP__PORT; CLICKSTREAM_ROOT sets the
root under which the data packages are looked for (node_modules/). Logs are
JSON lines on stderr. /healthz, /readyz and /metrics are served on
http.address:http.port.
)";

namespace http = common::http;

// /healthz: the process runs. /readyz: the stage consumes. /metrics: the
// Prometheus text format.
class admin_handler final : public http::handler {
public:
    explicit admin_handler(enrich_probe& probe) : probe_(probe) {}

    void on_request(http::request&& req, const http::peer&,
                    http::responder respond) noexcept override {
        respond(answer(req));
    }

    http::response on_refused(http::status code, std::string_view reason,
                              const http::request& req) noexcept override {
        http::response res{code, req.version() != 0 ? req.version() : 11};
        res.set(boost::beast::http::field::content_type, "text/plain");
        res.body() = std::string(reason) + "\n";
        res.prepare_payload();
        return res;
    }

private:
    http::response answer(const http::request& req) {
        const auto target = std::string(req.target());
        const auto path = target.substr(0, target.find('?'));
        http::response res{http::status::ok, req.version()};
        res.set(boost::beast::http::field::content_type, "text/plain; charset=utf-8");
        if (req.method() != boost::beast::http::verb::get &&
            req.method() != boost::beast::http::verb::head) {
            res.result(http::status::method_not_allowed);
            res.set(boost::beast::http::field::allow, "GET, HEAD");
        } else if (path == "/healthz") {
            res.body() = "ok\n";
        } else if (path == "/readyz") {
            const bool ready = probe_.ready();
            res.result(ready ? http::status::ok : http::status::service_unavailable);
            res.body() = ready ? "ready\n" : "not ready\n";
        } else if (path == "/metrics") {
            res.set(boost::beast::http::field::content_type, "text/plain; version=0.0.4");
            res.body() = probe_.registry().expose();
        } else {
            res.result(http::status::not_found);
            res.body() = "not found\n";
        }
        if (req.method() == boost::beast::http::verb::head) res.body().clear();
        res.prepare_payload();
        return res;
    }

    enrich_probe& probe_;
};

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int serve_enrich(const enrich_service_options& o, common::logger& log) {
    // Start-up: data files (throw with the file named; caught by run()).
    const enrich::ua_parser user_agents({o.data.uap_regexes});
    const auto referrers = enrich::referrer_parser::load(o.data.referrers);
    const enrich::bot_filter bots(o.bots);
    const auto countries = enrich::open_country_lookup(o.data.geoip_v4, o.data.geoip_v6);
    log.info("data_loaded", {{"crawler_patterns", bots.crawler_pattern_count()},
                             {"ip_ranges", bots.ip_range_count()},
                             {"referrer_domains", referrers.domain_count()},
                             {"uap_regexes", o.data.uap_regexes.string()}});
    const enrich::enrich_data data{user_agents, referrers, bots, *countries};
    enrich::event_enricher enricher(data, o.enricher);

    common::metrics::registry registry;
    enrich_probe probe(registry);
    boost::asio::io_context io(1);
    admin_handler admin(probe);
    http::server server(io, {}, admin, log);
    auto bound = server.listen(o.http_address, o.http_port, nullptr);
    if (!bound) {
        log.error("startup_failed",
                  {{"step", "listen"}, {"port", o.http_port}, {"error", bound.error().message()}});
        return 1;
    }

    auto io_ready = kafka_io::create(o.consumer, o.producer, log);
    if (!io_ready) {
        log.error("startup_failed", {{"step", "kafka"}, {"error", io_ready.error().message()}});
        return 1;
    }
    kafka_io& kafka = **io_ready;
    probe.watch_lag([&kafka] { return static_cast<double>(kafka.lag()); });

    enrich_stage stage(o.stage, kafka, kafka, enricher, probe, log, wall_ms);
    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        log.info("stopping", {{"signal", signal}});
        stage.stop();
    });
    std::thread http_thread([&] { io.run(); });
    log.info("enrich_started", {{"http_port", bound->port()},
                                {"raw", o.stage.topics.raw},
                                {"clean", o.stage.topics.clean},
                                {"bots", o.stage.topics.bots},
                                {"dlq", o.stage.topics.dlq},
                                {"group_id", o.consumer.group_id},
                                {"transactional_id", o.producer.transactional_id}});
    stage.run();
    kafka.close();
    server.stop_accepting();
    io.stop();
    http_thread.join();
    log.info("stopped", {{"commits", probe.commits_total()},
                         {"user_agent_cache_hits", enricher.user_agent_cache().hits()}});
    return 0;
}

}  // namespace

int run(int argc, char** argv) {
    std::string command, config_file;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage;
            return 0;
        }
        if (arg == "--config" && i + 1 < argc) {
            config_file = argv[++i];
        } else if (command.empty() && arg == "enrich") {
            command = arg;
        } else {
            std::cerr << "clickstream-processor: unknown argument '" << arg << "' (see --help)\n";
            return 2;
        }
    }
    if (command.empty()) {
        std::cerr << "clickstream-processor: which stage? (see --help)\n";
        return 2;
    }
    common::logger startup(std::cerr, "processor");
    enrich_service_options options;
    try {
        options = parse_options(common::load_config(default_config(CLICKSTREAM_DEFAULT_ROOT),
                                                    config_file, common::process_environment()));
    } catch (const std::exception& e) {
        startup.error("config_invalid", {{"error", e.what()}});
        return 2;
    }
    common::logger log(std::cerr, "enrich", options.log_level);
    try {
        return serve_enrich(options, log);
    } catch (const std::exception& e) {  // start-up only: data files
        log.error("startup_failed", {{"error", e.what()}});
        return 1;
    }
}

}  // namespace clickstream::processor
