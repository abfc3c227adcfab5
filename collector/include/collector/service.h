// service: the collector behind the HTTP server. For each request it calls
// the pure handle_request, makes the raw message durable through `delivery`
// when there is one, and only then answers; it counts everything in the probe
// and writes a sampled access log.
#pragma once

#include <atomic>
#include <functional>

#include "collector/client_ip.h"
#include "collector/delivery.h"
#include "collector/handle_request.h"
#include "collector/options.h"
#include "collector/probe.h"
#include "collector/static_files.h"
#include "common/http/server.h"
#include "common/log.h"

namespace clickstream::collector {

class service final : public common::http::handler {
public:
    // Everything passed in must outlive the service.
    service(const collector_options& options, const trusted_proxies& proxies,
            const static_files& files, delivery& durable, probe& metrics, common::logger& log);

    void on_request(common::http::request&& req, const common::http::peer& from,
                    common::http::responder respond) noexcept override;
    common::http::response on_refused(common::http::status code, std::string_view reason,
                                      const common::http::request& req) noexcept override;

    // /readyz answers 503 from now on (the process is stopping).
    void set_draining() noexcept { draining_ = true; }
    std::size_t in_flight() const noexcept { return in_flight_; }
    service_status status() const;

private:
    void answered(std::string_view route, const common::http::response& res,
                  std::chrono::steady_clock::time_point start, const std::string& request_id);

    const collector_options& options_;
    collector_config config_;
    delivery& delivery_;
    probe& probe_;
    common::logger& log_;
    bool set_cookies_ = false;  // some site sets the anonymous id cookie
    std::atomic<bool> draining_{false};
    std::atomic<std::size_t> in_flight_{0};
    std::atomic<std::uint64_t> served_{0};
};

// The admin listener: /healthz, /readyz and /metrics of `app`, nothing
// else. Its requests count in the probe like the public ones.
class admin_service final : public common::http::handler {
public:
    admin_service(const service& app, probe& metrics) : app_(app), probe_(metrics) {}

    void on_request(common::http::request&& req, const common::http::peer& from,
                    common::http::responder respond) noexcept override;
    common::http::response on_refused(common::http::status code, std::string_view reason,
                                      const common::http::request& req) noexcept override;

private:
    const service& app_;
    probe& probe_;
};

// A random id: 32 hex digits (request ids).
std::string random_hex_id();
// A random UUIDv4 (anonymous ids the collector makes for its cookie).
std::string random_uuid();

// The collector's command line: --help, --config FILE. Returns the exit code.
int run(int argc, char** argv);

}  // namespace clickstream::collector
