// handle_request: the collector's whole decision for one request, as a pure
// function. Request and what the session knows about it in; the answer, and
// the raw message to make durable before sending that answer, out. No socket,
// no clock, no randomness, no Kafka: every path is testable from a built
// request (tests/unit/collector/handle_request_test.cpp).
//
// Public paths live under the configured prefix P:
//   POST    P/v1/batch?site=K   a batch (JSON or text/plain, optionally gzip)
//   GET     P/v1/p.gif?site=K&… one event in the query string (a 1×1 GIF back)
//   GET     P/v1/config?site=K  the site's SDK settings
//   OPTIONS on any of them      CORS preflight
//   GET     P/sdk/<file>        the beacon's files
// Operational paths, never prefixed: GET /healthz, /readyz (for load
// balancers: they reveal nothing). /metrics only on the admin listener.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "collector/client_ip.h"
#include "collector/options.h"
#include "collector/static_files.h"
#include "common/http/server.h"
#include "common/kafka/message.h"

namespace clickstream::collector {

// What the session layer adds to a request.
struct request_context {
    common::http::peer from;
    std::int64_t received_at_ms = 0;
    std::string request_id;
    std::string new_anonymous_id;  // used when a cookie must be set and none is known
};

// The service's state as /readyz and /metrics report it.
struct service_status {
    bool ready = true;
    std::string not_ready_reason;
    std::function<std::string()> metrics;  // Prometheus text
};

// What handle_request reads besides the request.
struct collector_config {
    const collector_options& options;
    const trusted_proxies& proxies;
    const static_files& files;
};

struct handled {
    common::http::response res;
    // When set: produce it, and send `res` only once it is durable.
    std::optional<common::kafka::message> msg;
    std::string_view route;  // metric label: batch, pixel, config, preflight, sdk, healthz, readyz,
                             // metrics, other
    std::string_view
        reject;  // metric label when refused: unknown_site, origin_refused, ...; else ""
};

handled handle_request(const common::http::request& req, const request_context& ctx,
                       const collector_config& config, const service_status& status);
// The same decision for a request given away: an accepted batch's body is
// moved into the raw message instead of copied (req.body() is then left
// unspecified; everything else of `req` is untouched).
handled handle_request(common::http::request&& req, const request_context& ctx,
                       const collector_config& config, const service_status& status);

// The admin listener's handler: GET /healthz, /readyz, /metrics; 404 else.
handled handle_admin_request(const common::http::request& req, const service_status& status);

// The answer once a message went to the spool instead of Kafka (still 2xx:
// it is durable on disk): 202 in place of 204.
common::http::response spooled_answer(common::http::response ok);
// The answer when neither Kafka nor the spool took it: 503 with Retry-After,
// keeping the CORS and request id headers of `ok`.
common::http::response unavailable_answer(const common::http::response& ok,
                                          std::chrono::seconds retry_after);
// A short JSON error answer: {"error":"<reason>"}.
common::http::response error_answer(common::http::status code, std::string_view reason,
                                    unsigned version = 11);

}  // namespace clickstream::collector
