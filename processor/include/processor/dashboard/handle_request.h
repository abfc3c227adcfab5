// The dashboard's HTTP routes as a pure function: a request in, and either a
// response or the work the service must do to answer it (hold a live poll,
// run a history query, pass it to the analysis handler). No socket, no
// state, no clock: every reply path is testable from a built request.
//
// Routes (GET only; anything else 405):
//   /healthz, /readyz, /metrics          no token (they carry no user data)
//   /, /app.js, /analysis.js, /app.css,
//   /vendor/uPlot.*                      the page and uPlot, no token (no data in them)
//   /api/config                          token; {history: bool, analysis: bool}
//   /api/live?site=S&range=MIN&after=V   token; a snapshot once the state's version differs from V
//   /api/history?site=S&hours=H          token; sessions per hour from ClickHouse
//   /api/analysis/...                    token; the analysis handler, when one is mounted
// The token goes in `Authorization: Bearer <token>`; a missing or wrong one
// is 401 with `WWW-Authenticate: Bearer`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/http/server.h"

namespace clickstream::dashboard {

struct static_file {
    std::string content_type;
    std::string body;
};

struct live_request {
    std::string site;           // "" : the first site the state knows
    std::int64_t range_ms = 0;  // 60 s … 1 h
    std::uint64_t after = 0;    // answer once the version is past this (0: at once)
};

struct history_request {
    std::string site;
    int hours = 24;  // 1 … 168
};

struct handler_context {
    std::string token;                                          // required on /api/
    const std::map<std::string, static_file>* files = nullptr;  // by path
    bool ready = false;
    std::function<std::string()> metrics;  // the Prometheus text
    bool history_enabled = false;          // a ClickHouse is configured
    bool analysis_enabled = false;         // an analysis handler is mounted
};

// What the service does with a request: exactly one is set.
struct route {
    std::optional<common::http::response> answer;
    std::optional<live_request> live;
    std::optional<history_request> history;
    bool analysis = false;  // pass the request on to the analysis handler
};

route handle_request(const common::http::request& req, const handler_context& ctx);

// A JSON answer (status, body), and a plain-text error, shaped alike.
common::http::response json_response(const common::http::request& req, common::http::status code,
                                     std::string body);
common::http::response text_response(const common::http::request& req, common::http::status code,
                                     std::string_view body);

// True when `header` is "Bearer <token>" (compared in constant time).
bool authorized(std::string_view header, std::string_view token) noexcept;

// The ClickHouse query behind /api/history, and its answer (FORMAT JSON) as
// the page reads it: {site, hours: [{hour_ms, sessions, bounce_rate,
// avg_duration_ms}...]}. nullopt if the answer is not ClickHouse's JSON.
std::string history_sql(const history_request& q, std::int64_t now_ms);
std::optional<std::string> history_json(const history_request& q, std::string_view clickhouse);

// Escapes a string for a single-quoted ClickHouse literal.
std::string sql_quote(std::string_view s);

}  // namespace clickstream::dashboard
