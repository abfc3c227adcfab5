// The dashboard process: consumes the clean and bots topics (starting an
// hour back on every assignment, so a restart rebuilds the state), feeds
// live_aggregate, and serves the page, live polls, history and the ops
// endpoints. Threads: the Kafka loop (main), the HTTP io thread, the live
// thread (answers waiting polls), the history thread (ClickHouse queries).
#include "processor/dashboard/service.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/config.h"
#include "common/http/server.h"
#include "processor/analysis/api.h"
#include "processor/dashboard/handle_request.h"
#include "processor/dashboard/probe.h"

#ifndef CLICKSTREAM_DEFAULT_ROOT
#define CLICKSTREAM_DEFAULT_ROOT "."
#endif

namespace clickstream::dashboard {
namespace {

constexpr const char* usage =
    R"(clickstream-dashboard: the live dashboard. Consumes the clean and bots topics,
keeps the last hour per site in memory, and serves a page that updates live,
with history pages over ClickHouse's sessions table.

Usage: clickstream-dashboard [--config FILE]

  --config FILE   JSON config (see examples/demo/dashboard.json and
                  docs/dashboard.md); without it the defaults apply.
  --help          this text.

The dashboard shows user data: every /api/ request needs the bearer token,
read from the file auth.token_file or else the environment variable named by
auth.token_env (CLICKSTREAM_DASHBOARD_TOKEN by default). It is never logged.

Every config key can be overridden from the environment: CLICKSTREAM_ plus the
key path upper-cased and joined by "__", e.g. CLICKSTREAM_KAFKA__BROKERS,
CLICKSTREAM_HTTP__PORT, CLICKSTREAM_CLICKHOUSE__URL. Logs are JSON lines on
stderr. SIGTERM or SIGINT: answer waiting polls, leave the group, exit 0.
)";

std::int64_t wall_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The page and uPlot, read once at start-up.
std::map<std::string, static_file> load_files(const service_options& o) {
    std::map<std::string, static_file> files;
    files["/index.html"] = {"text/html; charset=utf-8", read_file(o.web_dir + "/index.html")};
    files["/app.js"] = {"text/javascript; charset=utf-8", read_file(o.web_dir + "/app.js")};
    files["/app.css"] = {"text/css; charset=utf-8", read_file(o.web_dir + "/app.css")};
    files["/analysis.js"] = {"text/javascript; charset=utf-8",
                             read_file(o.web_dir + "/analysis.js")};
    files["/vendor/uPlot.iife.min.js"] = {"text/javascript; charset=utf-8",
                                          read_file(o.uplot_dir + "/uPlot.iife.min.js")};
    files["/vendor/uPlot.min.css"] = {"text/css; charset=utf-8",
                                      read_file(o.uplot_dir + "/uPlot.min.css")};
    return files;
}

std::string route_name(std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    if (path.substr(0, 5) == "/api/") {
        const auto end = path.find('/', 5);
        return std::string(path.substr(0, end));
    }
    if (path == "/healthz" || path == "/readyz" || path == "/metrics") return std::string(path);
    return "static";
}

// The state and who waits for it.
class hub {
public:
    hub(aggregate_options a, probe& metrics) : aggregate_(a), probe_(metrics) {}

    void add(std::string_view value, bool bot, std::int64_t now_ms, std::string_view kind) {
        add_result r;
        {
            std::lock_guard lock(mutex_);
            r = aggregate_.add(value, bot, now_ms);
            version_ = aggregate_.version();
        }
        { std::lock_guard lock(changed_mutex_); }  // a waiter is either waiting or sees it
        changed_.notify_all();
        probe_.message(kind, to_string(r));
    }

    // Waits up to `tick` for the state to move on (or `stop`), so a change
    // reaches waiting polls at once rather than at the next tick.
    void await_change(std::chrono::milliseconds tick, const std::atomic<bool>& stop) {
        std::unique_lock lock(changed_mutex_);
        const std::uint64_t seen = version_;
        changed_.wait_for(lock, tick, [&] { return version_ != seen || stop; });
    }

    struct waiter {
        live_request query;
        unsigned version = 11;
        bool keep_alive = true;
        std::chrono::steady_clock::time_point deadline;
        common::http::responder respond;
    };

    void wait(waiter w) {
        std::lock_guard lock(waiters_mutex_);
        waiters_.push_back(std::move(w));
    }

    // Answers the polls whose version is behind, or whose wait is over.
    void release(bool all) {
        const auto now = std::chrono::steady_clock::now();
        const std::uint64_t version = version_;
        std::vector<waiter> due;
        {
            std::lock_guard lock(waiters_mutex_);
            for (auto it = waiters_.begin(); it != waiters_.end();) {
                if (all || it->query.after != version || it->deadline <= now) {
                    due.push_back(std::move(*it));
                    it = waiters_.erase(it);
                } else {
                    ++it;
                }
            }
        }
        if (due.empty()) return;
        const std::int64_t now_ms = wall_now_ms();
        std::map<std::pair<std::string, std::int64_t>, std::string> built;
        for (auto& w : due) {
            auto& body = built[{w.query.site, w.query.range_ms}];
            if (body.empty()) {
                std::lock_guard lock(mutex_);
                std::string site = w.query.site;
                if (site.empty()) {
                    const auto sites = aggregate_.sites();
                    if (!sites.empty()) site = sites.front();
                }
                body = aggregate_.snapshot(site, w.query.range_ms, now_ms).dump();
            }
            probe_.live_answer(w.query.after != version ? "changed" : "waited");
            common::http::request req;
            req.version(w.version);
            req.keep_alive(w.keep_alive);
            w.respond(json_response(req, common::http::status::ok, body));
        }
    }

    std::size_t waiting() {
        std::lock_guard lock(waiters_mutex_);
        return waiters_.size();
    }
    void publish_state() {
        std::lock_guard lock(mutex_);
        probe_.state(static_cast<double>(aggregate_.sites().size()),
                     static_cast<double>(aggregate_.held_keys()));
    }

private:
    std::mutex mutex_;
    live_aggregate aggregate_;
    std::atomic<std::uint64_t> version_{0};
    std::mutex changed_mutex_;
    std::condition_variable changed_;
    probe& probe_;
    std::mutex waiters_mutex_;
    std::deque<waiter> waiters_;
};

// Runs ClickHouse queries (history, analysis) one at a time on a thread of
// its own (the client is one blocking curl handle), at most `limit` queued.
class query_worker {
public:
    explicit query_worker(std::size_t limit) : limit_(limit), thread_([this] { run(); }) {}
    ~query_worker() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }

    struct job {
        std::function<common::http::response()> work;
        common::http::responder respond;
    };

    // False when the queue is full (the caller answers 503).
    bool submit(job j) {
        {
            std::lock_guard lock(mutex_);
            if (jobs_.size() >= limit_ || stop_) return false;
            jobs_.push_back(std::move(j));
        }
        wake_.notify_one();
        return true;
    }

private:
    void run() {
        while (true) {
            job j;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                j = std::move(jobs_.front());
                jobs_.pop_front();
            }
            j.respond(j.work());
        }
    }

    std::size_t limit_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<job> jobs_;
    bool stop_ = false;
    std::thread thread_;
};

// The History tab's query: sessions per hour from ClickHouse.
common::http::response history_answer(sessionize::clickhouse_client& client,
                                      const history_request& q, const common::http::request& shape,
                                      probe& metrics) {
    const auto started = std::chrono::steady_clock::now();
    auto answer = client.execute(history_sql(q, wall_now_ms()));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::optional<std::string> body;
    if (answer) body = history_json(q, *answer);
    if (!body) {
        metrics.history("failed", seconds);
        return text_response(shape, common::http::status::bad_gateway, "ClickHouse did not answer");
    }
    metrics.history("ok", seconds);
    return json_response(shape, common::http::status::ok, std::move(*body));
}

// The Analysis tab's queries: the analysis API (docs/analysis.md), mounted
// under /api/analysis/ behind the same token.
common::http::response analysis_answer(sessionize::clickhouse_client& client,
                                       const std::string& method, const std::string& target,
                                       const common::http::request& shape) {
    analysis::clickhouse_runner runner(client);
    const auto a = analysis::handle_request(method, target, runner, wall_now_ms());
    auto res = json_response(shape, static_cast<common::http::status>(a.status), a.body);
    res.set(boost::beast::http::field::content_type, a.content_type);
    return res;
}

class endpoints final : public common::http::handler {
public:
    endpoints(const service_options& o, handler_context ctx, hub& state, probe& metrics,
              sessionize::clickhouse_client* clickhouse, query_worker* queries)
        : options_(o),
          ctx_(std::move(ctx)),
          hub_(state),
          probe_(metrics),
          clickhouse_(clickhouse),
          queries_(queries) {}

    std::atomic<bool> ready{false};

    void on_request(common::http::request&& req, const common::http::peer&,
                    common::http::responder respond) noexcept override {
        handler_context ctx = ctx_;
        ctx.ready = ready;
        route r = handle_request(req, ctx);
        const std::string name = route_name(req.target());
        auto counted = [this, name, respond = std::move(respond)](common::http::response&& res) {
            probe_.request(name, res.result_int());
            respond(std::move(res));
        };
        if (r.answer) return counted(std::move(*r.answer));
        common::http::request shape;
        shape.version(req.version());
        shape.keep_alive(req.keep_alive());
        if (r.live) {
            hub::waiter w;
            w.query = std::move(*r.live);
            w.version = req.version();
            w.keep_alive = req.keep_alive();
            w.deadline = std::chrono::steady_clock::now() + options_.live_max_wait;
            w.respond = std::move(counted);
            return hub_.wait(std::move(w));
        }
        if (r.history && queries_ != nullptr && clickhouse_ != nullptr) {
            auto fallback = counted;
            auto work = [this, q = std::move(*r.history), shape] {
                return history_answer(*clickhouse_, q, shape, probe_);
            };
            if (!queries_->submit({std::move(work), std::move(counted)})) {
                probe_.history("busy", 0);
                auto res = text_response(shape, common::http::status::service_unavailable,
                                         "too many queries waiting");
                res.set(boost::beast::http::field::retry_after, "1");
                fallback(std::move(res));
            }
            return;
        }
        if (r.analysis && queries_ != nullptr && clickhouse_ != nullptr) {
            auto fallback = counted;
            auto work = [this, method = std::string(req.method_string()),
                         target = std::string(req.target()),
                         shape] { return analysis_answer(*clickhouse_, method, target, shape); };
            if (!queries_->submit({std::move(work), std::move(counted)})) {
                auto res = text_response(shape, common::http::status::service_unavailable,
                                         "too many queries waiting");
                res.set(boost::beast::http::field::retry_after, "1");
                fallback(std::move(res));
            }
            return;
        }
        counted(text_response(shape, common::http::status::not_found, "not found"));
    }

    common::http::response on_refused(common::http::status code, std::string_view reason,
                                      const common::http::request& req) noexcept override {
        probe_.request(route_name(req.target()), static_cast<unsigned>(code));
        common::http::response res{code, 11};
        res.body() = std::string(reason) + "\n";
        res.prepare_payload();
        return res;
    }

private:
    const service_options& options_;
    handler_context ctx_;
    hub& hub_;
    probe& probe_;
    sessionize::clickhouse_client* clickhouse_;
    query_worker* queries_;
};

int serve(const service_options& o, const std::string& token, common::logger& log) {
    common::metrics::registry registry;
    probe metrics(registry);
    const auto files = load_files(o);
    hub state(o.aggregate, metrics);
    registry.gauge_callback("dashboard_live_waiting", "Live polls waiting for a change",
                            [&] { return static_cast<double>(state.waiting()); });

    std::unique_ptr<sessionize::clickhouse_client> clickhouse;
    std::unique_ptr<query_worker> queries;
    if (!o.clickhouse.url.empty()) {
        clickhouse = std::make_unique<sessionize::clickhouse_client>(o.clickhouse, log);
        queries = std::make_unique<query_worker>(o.history_queue);
    }

    auto made = common::kafka::consumer::create(o.kafka, log);
    if (!made) {
        log.error("startup_failed", {{"step", "kafka"}, {"error", made.error().message()}});
        return 1;
    }
    common::kafka::consumer& consumer = **made;

    handler_context ctx;
    ctx.token = token;
    ctx.files = &files;
    ctx.metrics = [&registry] { return registry.expose(); };
    ctx.history_enabled = clickhouse != nullptr;
    ctx.analysis_enabled = clickhouse != nullptr;
    boost::asio::io_context io(1);
    endpoints app(o, ctx, state, metrics, clickhouse.get(), queries.get());
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
    std::thread live_thread([&] {
        while (!stop) {
            state.release(false);
            state.await_change(o.live_tick, stop);
        }
    });
    log.info("listening", {{"http_port", bound->port()},
                           {"topics", o.kafka.topics},
                           {"group_id", o.kafka.group_id},
                           {"window_s", o.aggregate.window_ms / 1000},
                           {"history", clickhouse != nullptr}});

    // Ready once partitions are held and a poll found nothing more to read:
    // the last hour is rebuilt.
    auto last_state = std::chrono::steady_clock::now();
    replay_guard guard;
    const auto guard_first = [&](const common::kafka::consumed_message& msg) {
        return guard.first_time(msg.msg.topic, msg.partition, msg.offset);
    };
    while (!stop) {
        auto m = consumer.poll(std::chrono::milliseconds(100));
        if (!m) {
            metrics.consume_error();
            app.ready = false;
            for (int i = 0; i < 10 && !stop; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            continue;
        }
        const std::int64_t now = wall_now_ms();
        if (*m) {
            const auto& msg = **m;
            const bool bot = msg.msg.topic == o.bots_topic && !o.bots_topic.empty();
            const std::string_view kind = bot ? "bots" : "clean";
            if (!guard_first(msg)) {
                metrics.message(kind, "replayed");
            } else {
                state.add(msg.msg.value, bot, now, kind);
                if (msg.timestamp_ms > 0) metrics.apply_lag((now - msg.timestamp_ms) / 1000.0);
            }
        } else if (!app.ready && !consumer.assignment().empty()) {
            app.ready = true;
            log.info("caught_up", {{"partitions", consumer.assignment().size()}});
        }
        if (std::chrono::steady_clock::now() - last_state >= std::chrono::seconds(1)) {
            state.publish_state();
            last_state = std::chrono::steady_clock::now();
        }
    }
    server.stop_accepting();
    live_thread.join();
    state.release(true);
    consumer.close();
    // The answers just given are written by the io thread.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    io.stop();
    io_thread.join();
    log.info("stopped", {});
    return 0;
}

}  // namespace
}  // namespace clickstream::dashboard

int dashboard_main(int argc, char** argv) {
    using namespace clickstream;
    std::string config_file;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << dashboard::usage;
            return 0;
        }
        if (arg == "--config" && i + 1 < argc) {
            config_file = argv[++i];
        } else {
            std::cerr << "clickstream-dashboard: unknown argument '" << arg << "' (see --help)\n";
            return 2;
        }
    }
    common::logger startup(std::cerr, "dashboard");
    const char* root_env = std::getenv("CLICKSTREAM_ROOT");
    const std::string root = root_env != nullptr ? root_env : CLICKSTREAM_DEFAULT_ROOT;
    dashboard::service_options options;
    std::string token;
    try {
        const auto environment = common::process_environment();
        options = dashboard::parse_options(
            common::load_config(dashboard::default_config(root), config_file, environment));
        token = dashboard::read_token(options, environment);
    } catch (const std::exception& e) {
        startup.error("config_invalid", {{"error", e.what()}});
        return 2;
    }
    common::logger log(std::cerr, "dashboard", options.log_level);
    try {
        return dashboard::serve(options, token, log);
    } catch (const std::exception& e) {  // start-up only
        log.error("startup_failed", {{"error", e.what()}});
        return 1;
    }
}
