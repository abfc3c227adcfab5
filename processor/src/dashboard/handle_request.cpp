#include "processor/dashboard/handle_request.h"

#include <boost/beast/http/field.hpp>
#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace clickstream::dashboard {

namespace bhttp = boost::beast::http;
using common::http::status;

namespace {

template <class T>
std::optional<T> number(std::string_view s) {
    T v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A query string's value, percent-decoded ('+' is a space); malformed
// escapes are kept as written.
std::string decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// The first value of `name` in the query string, decoded.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view piece = query.substr(0, amp);
        const auto eq = piece.find('=');
        if (decode(piece.substr(0, eq)) == name) {
            return eq == std::string_view::npos ? std::string() : decode(piece.substr(eq + 1));
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

route answer(common::http::response res) {
    route r;
    r.answer = std::move(res);
    return r;
}

}  // namespace

common::http::response text_response(const common::http::request& req, status code,
                                     std::string_view body) {
    common::http::response res{code, req.version()};
    res.keep_alive(req.keep_alive());
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.set(bhttp::field::cache_control, "no-store");
    res.body() = std::string(body) + "\n";
    res.prepare_payload();
    return res;
}

common::http::response json_response(const common::http::request& req, status code,
                                     std::string body) {
    common::http::response res{code, req.version()};
    res.keep_alive(req.keep_alive());
    res.set(bhttp::field::content_type, "application/json");
    res.set(bhttp::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

bool authorized(std::string_view header, std::string_view token) noexcept {
    constexpr std::string_view scheme = "Bearer ";
    if (token.empty() || header.size() != scheme.size() + token.size() ||
        header.substr(0, scheme.size()) != scheme) {
        return false;
    }
    unsigned char diff = 0;
    for (std::size_t i = 0; i < token.size(); ++i) {
        diff |= static_cast<unsigned char>(header[scheme.size() + i] ^ token[i]);
    }
    return diff == 0;
}

route handle_request(const common::http::request& req, const handler_context& ctx) {
    const std::string_view target = req.target();
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query =
        q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    const auto param = [&](std::string_view name) { return query_param(query, name); };

    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
        auto res = text_response(req, status::method_not_allowed, "only GET");
        res.set(bhttp::field::allow, "GET, HEAD");
        return answer(std::move(res));
    }
    if (path == "/healthz") return answer(text_response(req, status::ok, "ok"));
    if (path == "/readyz") {
        return answer(ctx.ready ? text_response(req, status::ok, "ready")
                                : text_response(req, status::service_unavailable, "catching up"));
    }
    if (path.substr(0, 5) != "/api/" && path != "/metrics") {
        const std::string file = path == "/" ? "/index.html" : std::string(path);
        if (ctx.files != nullptr) {
            const auto it = ctx.files->find(file);
            if (it != ctx.files->end()) {
                common::http::response res{status::ok, req.version()};
                res.keep_alive(req.keep_alive());
                res.set(bhttp::field::content_type, it->second.content_type);
                res.set(bhttp::field::cache_control, "no-cache");
                res.set("X-Content-Type-Options", "nosniff");
                res.set("Content-Security-Policy",
                        "default-src 'self'; style-src 'self' 'unsafe-inline'");
                res.body() = it->second.body;
                res.prepare_payload();
                return answer(std::move(res));
            }
        }
        return answer(text_response(req, status::not_found, "not found"));
    }
    if (!authorized(req[bhttp::field::authorization], ctx.token)) {
        auto res = text_response(req, status::unauthorized, "a bearer token is required");
        res.set(bhttp::field::www_authenticate, "Bearer realm=\"clickstream-dashboard\"");
        return answer(std::move(res));
    }
    // Behind the token like the API: the metrics name sites and volumes, and
    // the dashboard's one listener may be reachable beyond the machine
    // (Prometheus sends it with `authorization: credentials_file`).
    if (path == "/metrics") {
        auto res = text_response(req, status::ok, "");
        res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
        res.body() = ctx.metrics ? ctx.metrics() : std::string();
        res.prepare_payload();
        return answer(std::move(res));
    }
    if (path == "/api/config") {
        return answer(json_response(
            req, status::ok,
            nlohmann::json{{"history", ctx.history_enabled}, {"analysis", ctx.analysis_enabled}}
                .dump()));
    }
    if (path == "/api/live") {
        live_request live;
        live.site = param("site").value_or("");
        const auto range = number<std::int64_t>(param("range").value_or("60"));
        const auto after = number<std::uint64_t>(param("after").value_or("0"));
        if (!range || *range < 1 || *range > 60 || !after) {
            return answer(text_response(req, status::bad_request,
                                        "range: minutes from 1 to 60; after: a version"));
        }
        live.range_ms = *range * 60'000;
        live.after = *after;
        route r;
        r.live = std::move(live);
        return r;
    }
    if (path == "/api/history") {
        if (!ctx.history_enabled) {
            return answer(text_response(req, status::not_found, "no ClickHouse configured"));
        }
        history_request h;
        h.site = param("site").value_or("");
        const auto hours = number<int>(param("hours").value_or("24"));
        if (h.site.empty() || !hours || *hours < 1 || *hours > 168) {
            return answer(text_response(req, status::bad_request, "site, and hours from 1 to 168"));
        }
        h.hours = *hours;
        route r;
        r.history = std::move(h);
        return r;
    }
    if (path.substr(0, 14) == "/api/analysis/" && ctx.analysis_enabled) {
        route r;
        r.analysis = true;
        return r;
    }
    return answer(text_response(req, status::not_found, "not found"));
}

std::string sql_quote(std::string_view s) {
    std::string out = "'";
    for (const char c : s) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    out += '\'';
    return out;
}

std::string history_sql(const history_request& q, std::int64_t now_ms) {
    const std::int64_t hour = 3'600'000;
    const std::int64_t from = (now_ms / hour - q.hours + 1) * hour;
    // One row per session: the chain's first segment (segment_index 0);
    // FINAL so a provisional row that was rewritten counts once; merged rows
    // (events = 0) are no sessions (docs/sessions.md).
    return "SELECT intDiv(start_ms, 3600000) * 3600000 AS hour_ms, count() AS sessions, "
           "sum(bounce) AS bounces, avg(duration_ms) AS avg_duration_ms "
           "FROM sessions FINAL WHERE site = " +
           sql_quote(q.site) +
           " AND segment_index = 0 AND events > 0 AND start_ms >= " + std::to_string(from) +
           " GROUP BY hour_ms ORDER BY hour_ms FORMAT JSON";
}

std::optional<std::string> history_json(const history_request& q, std::string_view clickhouse) {
    const auto j = nlohmann::json::parse(clickhouse, nullptr, false);
    if (!j.is_object() || !j.contains("data") || !j["data"].is_array()) return std::nullopt;
    // ClickHouse quotes 64-bit integers in JSON; read both forms.
    const auto num = [](const nlohmann::json& v) -> double {
        if (v.is_number()) return v.get<double>();
        if (v.is_string()) return std::strtod(v.get<std::string>().c_str(), nullptr);
        return 0;
    };
    nlohmann::json hours = nlohmann::json::array();
    for (const auto& row : j["data"]) {
        const double sessions = num(row.value("sessions", nlohmann::json()));
        const double bounces = num(row.value("bounces", nlohmann::json()));
        hours.push_back(
            {{"hour_ms", static_cast<std::int64_t>(num(row.value("hour_ms", nlohmann::json())))},
             {"sessions", static_cast<std::int64_t>(sessions)},
             {"bounce_rate", sessions > 0 ? bounces / sessions : 0.0},
             {"avg_duration_ms", num(row.value("avg_duration_ms", nlohmann::json()))}});
    }
    return nlohmann::json{{"site", q.site}, {"hours", std::move(hours)}}.dump();
}

}  // namespace clickstream::dashboard
