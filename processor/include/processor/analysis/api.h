// The HTTP JSON API as a pure handler: a request target in, a status and a
// JSON body out; no sockets, no Beast. The dashboard service mounts it under
// /api/analysis/ (docs/analysis.md lists routes and parameters):
//
//   GET /api/analysis/funnel?step=page:/&step=event:signup&by=channel
//   GET /api/analysis/paths?start=/&depth=4&exits=1
//   GET /api/analysis/attribution?by=channel&lookback=30d
//   GET /api/analysis/sessions?person=u-42
//
// Every answer is `application/json`; errors are {"error": "..."} with 400
// (bad parameter: the message says which and why), 404 (unknown route), 405
// (not GET/HEAD) or 502 (ClickHouse failed; its message is in the log).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "processor/analysis/params.h"
#include "processor/analysis/query_runner.h"

namespace clickstream::analysis {

inline constexpr std::string_view api_prefix = "/api/analysis/";

struct api_response {
    int status = 200;
    std::string body;  // JSON
    std::string content_type = "application/json";
};

// `target` is the request target as sent ("/api/analysis/funnel?step=..."),
// percent-encoded; `now_ms` (wall clock) sets the default date range.
api_response handle_request(std::string_view method, std::string_view target, query_runner& db,
                            std::int64_t now_ms);

// The same for a route name and parsed parameters (the command line's way in).
// On success the JSON document, else the error.
result<nlohmann::json> run_route(std::string_view route, const params& p, query_runner& db,
                                 std::int64_t now_ms);

// Splits a query string into decoded parameters ('+' is a space).
params parse_query_string(std::string_view query);
int http_status(errc e) noexcept;

}  // namespace clickstream::analysis
