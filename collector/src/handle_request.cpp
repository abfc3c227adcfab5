#include "collector/handle_request.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "collector/errc.h"
#include "collector/inflate.h"
#include "collector/raw_message.h"

namespace clickstream::collector {
namespace {

namespace http = common::http;
using field = boost::beast::http::field;
using verb = boost::beast::http::verb;
using status = http::status;

// A transparent 1×1 GIF.
constexpr unsigned char pixel_gif[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

struct target_parts {
    std::string_view path;
    std::string_view query;
};

target_parts split_target(std::string_view target) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return {target, {}};
    return {target.substr(0, q), target.substr(q + 1)};
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
                   hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// The first value of a query parameter, decoded; nullopt if absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            return eq == std::string_view::npos ? std::string{}
                                                : percent_decode(pair.substr(eq + 1));
        }
    }
    return std::nullopt;
}

// Anonymous ids, cookie values and request ids we echo into headers: a
// conservative alphabet, so nothing read from a client can split a header.
bool is_token(std::string_view s) {
    return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
    });
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const auto semi = header.find(';');
        std::string_view pair = header.substr(0, semi);
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
            const auto value = pair.substr(eq + 1);
            if (is_token(value)) return std::string(value);
        }
    }
    return std::nullopt;
}

// Reads a batch only as far as needed for `site` (top level) and
// `context.anonymous_id`, and stops once both are seen. Events are skipped,
// not interpreted.
class batch_scan final : public nlohmann::json_sax<nlohmann::json> {
public:
    std::optional<std::string> site;
    std::optional<std::string> anonymous_id;

    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool string(string_t& s) override {
        if (depth_ == 1 && key_ == "site") site = s;
        if (depth_ == 2 && in_context_ && key_ == "anonymous_id") anonymous_id = s;
        return value();
    }
    bool start_object(std::size_t) override {
        in_context_ = (depth_ == 1 && key_ == "context") || (in_context_ && depth_ >= 2);
        ++depth_;
        key_.clear();
        return true;
    }
    bool end_object() override {
        --depth_;
        if (depth_ <= 1) in_context_ = false;
        return !(site && anonymous_id);
    }
    bool start_array(std::size_t) override {
        ++depth_;
        key_.clear();
        return true;
    }
    bool end_array() override {
        --depth_;
        return true;
    }
    bool key(string_t& k) override {
        key_ = k;
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        return false;
    }

private:
    bool value() { return !(site && anonymous_id); }
    int depth_ = 0;
    bool in_context_ = false;
    std::string key_;
};

batch_scan scan_batch(const std::string& body) {
    batch_scan scan;
    nlohmann::json::sax_parse(body, &scan, nlohmann::json::input_format_t::json, false);
    return scan;
}

// "application/json; charset=utf-8" → "application/json" (as sent: compare
// it case-insensitively)
std::string_view media_type(std::string_view content_type) {
    const auto semi = content_type.find(';');
    std::string_view t = content_type.substr(0, semi);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    return t;
}

using boost::beast::iequals;

bool origin_allowed(const site_options& site, std::string_view origin) {
    return std::any_of(site.origins.begin(), site.origins.end(), [&](const std::string& allowed) {
        return allowed == "*" || iequals(allowed, origin);
    });
}

void allow_origin(http::response& res, std::string_view origin) {
    res.set(field::access_control_allow_origin, origin);
    res.set(field::access_control_allow_credentials, "true");
    res.set(field::vary, "Origin");
}

http::response json_answer(status code, const nlohmann::json& body, unsigned version) {
    http::response res{code, version};
    res.set(field::content_type, "application/json");
    res.set(field::cache_control, "no-store");
    res.body() = body.dump();
    res.prepare_payload();
    return res;
}

// The request as the public endpoints see it, with the checks they share.
class public_request {
public:
    public_request(const http::request& req, const request_context& ctx, const collector_config& c,
                   std::string_view route)
        : req_(req), ctx_(ctx), config_(c), route_(route) {}

    // Checks the site and origin; on refusal returns the answer to send.
    std::optional<handled> check_site() {
        const auto key = query_param(split_target(req_.target()).query, "site");
        if (!key || key->empty())
            return refuse(status::bad_request, "missing site", "missing_site");
        const auto it = config_.options.sites.find(*key);
        if (it == config_.options.sites.end()) {
            return refuse(status::forbidden, "unknown site", "unknown_site");
        }
        site_ = &it->second;
        const auto origin = req_[field::origin];
        if (origin.empty()) {
            if (!site_->allow_no_origin) {
                return refuse(status::forbidden, "origin required", "origin_missing");
            }
        } else if (!origin_allowed(*site_, origin)) {
            return refuse(status::forbidden, "origin not allowed", "origin_refused");
        } else {
            origin_ = std::string(origin);
        }
        return std::nullopt;
    }

    handled refuse(status code, std::string_view reason, std::string_view metric_reason) const {
        handled h{decorate(error_answer(code, reason, req_.version())), std::nullopt, route_,
                  metric_reason};
        return h;
    }

    // CORS for an allowed origin and the request id, on every answer.
    http::response decorate(http::response res) const {
        if (!origin_.empty()) allow_origin(res, origin_);
        res.set("X-Request-Id", ctx_.request_id);
        return res;
    }

    const site_options& site() const { return *site_; }

    // For a site with respect_dnt, the metric reason when the request says
    // Do-Not-Track (`DNT: 1`) or Global Privacy Control (`Sec-GPC: 1`); "" to
    // go on. Such a request is answered as taken (so the client does not
    // retry) and nothing of it is produced, spooled or echoed as a cookie.
    std::string_view opted_out() const {
        if (!site_->respect_dnt) return {};
        if (req_["DNT"] == "1") return "do_not_track";
        if (req_["Sec-GPC"] == "1") return "global_privacy_control";
        return {};
    }

    // The raw message with the headers of the contract.
    common::kafka::message message(std::string value, std::string content_type,
                                   std::string_view encoding, std::string_view source) const {
        using namespace raw_header;
        common::kafka::message m;
        m.topic = config_.options.topic;
        m.value = std::move(value);
        m.headers.reserve(9);  // the contract's headers, at most: one allocation, not four
        m.headers.push_back({std::string(received_at), std::to_string(ctx_.received_at_ms)});
        m.headers.push_back(
            {std::string(client_ip),
             config_.proxies.client_ip(ctx_.from.address, std::string(req_["X-Forwarded-For"]))});
        const auto agent = req_[field::user_agent];
        if (!agent.empty()) m.headers.push_back({std::string(user_agent), std::string(agent)});
        const auto sent_origin = req_[field::origin];
        if (!sent_origin.empty())
            m.headers.push_back({std::string(origin), std::string(sent_origin)});
        m.headers.push_back({std::string(raw_header::content_type), std::move(content_type)});
        m.headers.push_back({std::string(content_encoding), std::string(encoding)});
        m.headers.push_back({std::string(request_id), ctx_.request_id});
        m.headers.push_back({std::string(raw_header::site), site_->key});
        m.headers.push_back({std::string(raw_header::source), std::string(source)});
        return m;
    }

    // The anonymous id from our cookie, if the client sent a valid one.
    std::optional<std::string> cookie_id() const {
        return cookie_value(req_[field::cookie], config_.options.cookie_name);
    }

    // First-party serving: (re)sets the anonymous id cookie, so that it
    // outlives script-set cookies (Safari caps those at 7 days).
    void set_cookie(http::response& res, const std::optional<std::string>& known_id) const {
        if (!site_->set_cookie) return;
        std::string id = known_id && is_token(*known_id) ? *known_id : ctx_.new_anonymous_id;
        if (!is_token(id)) return;
        const auto& o = config_.options;
        std::string c = o.cookie_name + "=" + id +
                        "; Max-Age=" + std::to_string(o.cookie_max_age.count()) +
                        "; Path=/; SameSite=Lax";
        if (!o.cookie_domain.empty()) c += "; Domain=" + o.cookie_domain;
        if (secure()) c += "; Secure";
        res.set(field::set_cookie, c);
    }

private:
    bool secure() const {
        if (ctx_.from.tls) return true;
        return config_.proxies.contains(ctx_.from.address) &&
               iequals(req_["X-Forwarded-Proto"], "https");
    }

    const http::request& req_;
    const request_context& ctx_;
    const collector_config& config_;
    std::string_view route_;
    const site_options* site_ = nullptr;
    std::string origin_;
};

handled method_not_allowed(const http::request& req, std::string_view route,
                           std::string_view allow) {
    auto res = error_answer(status::method_not_allowed, "method not allowed", req.version());
    res.set(field::allow, allow);
    return {std::move(res), std::nullopt, route, "method_not_allowed"};
}

handled preflight(const http::request& req, const request_context& ctx, const collector_config& c,
                  std::string_view route) {
    public_request p(req, ctx, c, route);
    if (auto refused = p.check_site()) return std::move(*refused);
    http::response res{status::no_content, req.version()};
    res = p.decorate(std::move(res));
    res.set(field::access_control_allow_methods, "POST, GET, OPTIONS");
    res.set(field::access_control_allow_headers, "Content-Type, Content-Encoding");
    res.set(field::access_control_max_age, "600");
    res.prepare_payload();
    return {std::move(res), std::nullopt, route, {}};
}

// `owned_body`, when given, is req.body() and may be moved from once the
// batch is accepted (the caller gave the request away); otherwise it is copied.
handled batch(const http::request& req, std::string* owned_body, const request_context& ctx,
              const collector_config& c) {
    constexpr std::string_view route = "batch";
    if (req.method() == verb::options) return preflight(req, ctx, c, route);
    if (req.method() != verb::post) return method_not_allowed(req, route, "POST, OPTIONS");
    public_request p(req, ctx, c, route);
    if (auto refused = p.check_site()) return std::move(*refused);
    if (const auto reason = p.opted_out(); !reason.empty()) {
        http::response res{status::no_content, req.version()};
        res = p.decorate(std::move(res));
        res.prepare_payload();
        return {std::move(res), std::nullopt, route, reason};
    }

    const std::string_view type = media_type(req[field::content_type]);
    if (!iequals(type, "application/json") && !iequals(type, "text/plain")) {
        return p.refuse(status::unsupported_media_type,
                        "content type must be application/json or text/plain",
                        "unsupported_media_type");
    }
    const std::string_view encoding = req[field::content_encoding];
    const bool gzip = iequals(encoding, "gzip") || iequals(encoding, "x-gzip");
    if (!gzip && !encoding.empty() && !iequals(encoding, "identity")) {
        return p.refuse(status::unsupported_media_type, "content encoding must be gzip or identity",
                        "unsupported_encoding");
    }
    if (req.body().empty()) return p.refuse(status::bad_request, "empty body", "empty_body");

    std::string body;
    std::optional<std::string> known_id = p.cookie_id();
    if (gzip) {
        auto inflated = inflate_gzip(req.body(), c.options.inflated_limit);
        if (!inflated) {
            if (inflated.error() == errc::inflated_too_large) {
                return p.refuse(status::payload_too_large, "inflated body too large",
                                "inflated_too_large");
            }
            return p.refuse(status::bad_request, "bad gzip body", "bad_gzip");
        }
        body = std::move(*inflated);
        // Inflated anyway: check the site it claims, and learn the anonymous id.
        const auto scan = scan_batch(body);
        if (scan.site && *scan.site != p.site().key) {
            return p.refuse(status::bad_request, "site in body does not match the URL",
                            "site_mismatch");
        }
        if (!known_id && scan.anonymous_id && is_token(*scan.anonymous_id))
            known_id = scan.anonymous_id;
    } else {
        if (!known_id && p.site().set_cookie) {
            if (auto scanned = scan_batch(req.body()).anonymous_id; scanned && is_token(*scanned)) {
                known_id = scanned;
            }
        }
        // The body goes to Kafka as sent: moved when the request is ours to take.
        body = owned_body != nullptr ? std::move(*owned_body) : req.body();
    }
    if (body.empty()) return p.refuse(status::bad_request, "empty body", "empty_body");

    http::response res{status::no_content, req.version()};
    res = p.decorate(std::move(res));
    p.set_cookie(res, known_id);
    res.prepare_payload();
    auto msg = p.message(std::move(body), std::string(req[field::content_type]),
                         gzip ? "gzip" : "identity", "batch");
    msg.key = known_id;
    return {std::move(res), std::move(msg), route, {}};
}

handled pixel(const http::request& req, const request_context& ctx, const collector_config& c) {
    constexpr std::string_view route = "pixel";
    if (req.method() != verb::get && req.method() != verb::head) {
        return method_not_allowed(req, route, "GET, HEAD");
    }
    public_request p(req, ctx, c, route);
    if (auto refused = p.check_site()) return std::move(*refused);
    http::response res{status::ok, req.version()};
    res = p.decorate(std::move(res));
    res.set(field::content_type, "image/gif");
    res.set(field::cache_control, "no-store, max-age=0");
    const auto known_id = p.cookie_id();
    res.body().assign(reinterpret_cast<const char*>(pixel_gif), sizeof pixel_gif);
    const auto opted_out = p.opted_out();
    if (opted_out.empty()) p.set_cookie(res, known_id);
    res.prepare_payload();
    if (req.method() == verb::head) res.body().clear();
    if (!opted_out.empty()) return {std::move(res), std::nullopt, route, opted_out};
    auto msg = p.message(std::string(split_target(req.target()).query),
                         std::string(raw_header::pixel_content_type), "identity", "pixel");
    msg.key = known_id;
    return {std::move(res), std::move(msg), route, {}};
}

handled site_config(const http::request& req, const request_context& ctx,
                    const collector_config& c) {
    constexpr std::string_view route = "config";
    if (req.method() == verb::options) return preflight(req, ctx, c, route);
    if (req.method() != verb::get && req.method() != verb::head) {
        return method_not_allowed(req, route, "GET, HEAD, OPTIONS");
    }
    public_request p(req, ctx, c, route);
    if (auto refused = p.check_site()) return std::move(*refused);
    const auto& s = p.site();
    auto res = p.decorate(json_answer(status::ok,
                                      {{"site", s.key},
                                       {"session_timeout_s", s.session_timeout.count()},
                                       {"flush_interval_ms", s.flush_interval.count()},
                                       {"respect_dnt", s.respect_dnt}},
                                      req.version()));
    res.set(field::cache_control,
            "public, max-age=" + std::to_string(c.options.config_max_age.count()));
    if (req.method() == verb::head) res.body().clear();
    return {std::move(res), std::nullopt, route, {}};
}

// Whether an Accept-Encoding value accepts gzip (RFC 9110, 12.5.3): an
// explicit gzip or x-gzip entry decides by its weight, else a "*" entry
// does; a weight of zero refuses. A header that does not parse accepts
// nothing more than it spelled out before the fault.
bool accepts_gzip(std::string_view header) {
    const auto zero_weight = [](boost::beast::string_view q) {
        return !q.empty() && q[0] == '0' && q.find_first_not_of("0.") == q.npos;
    };
    std::optional<bool> named, any;
    for (const auto& [coding, params] :
         boost::beast::http::ext_list{boost::beast::string_view(header.data(), header.size())}) {
        bool refused = false;
        for (const auto& [name, value] : params) {
            if (iequals(name, "q")) refused = zero_weight(value);
        }
        if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) {
            named = !refused;
        } else if (coding == "*") {
            any = !refused;
        }
    }
    return named.value_or(any.value_or(false));
}

handled sdk_file(const http::request& req, std::string_view name, const collector_config& c) {
    constexpr std::string_view route = "sdk";
    if (req.method() != verb::get && req.method() != verb::head) {
        return method_not_allowed(req, route, "GET, HEAD");
    }
    const static_file* f = c.files.find(name);
    if (f == nullptr) {
        return {error_answer(status::not_found, "not found", req.version()), std::nullopt, route,
                "not_found"};
    }
    const bool has_gzip = !f->gzip_body.empty();
    const bool gzip = has_gzip && accepts_gzip(req[field::accept_encoding]);
    const std::string& etag = gzip ? f->gzip_etag : f->etag;
    const bool fresh = req[field::if_none_match] == etag;
    http::response res{fresh ? status::not_modified : status::ok, req.version()};
    res.set(field::etag, etag);
    res.set(field::cache_control, c.options.sdk_cache_control);
    res.set(field::access_control_allow_origin, "*");       // public files, no credentials
    if (has_gzip) res.set(field::vary, "Accept-Encoding");  // caches keep both variants
    if (fresh) return {std::move(res), std::nullopt, route, {}};
    res.set(field::content_type, f->content_type);
    if (gzip) res.set(field::content_encoding, "gzip");
    res.body() = gzip ? f->gzip_body : f->body;
    res.prepare_payload();
    if (req.method() == verb::head) res.body().clear();
    return {std::move(res), std::nullopt, route, {}};
}

handled operational(const http::request& req, std::string_view route, const service_status& state) {
    if (req.method() != verb::get && req.method() != verb::head) {
        return method_not_allowed(req, route, "GET, HEAD");
    }
    http::response res;
    if (route == "metrics") {
        res = http::response{status::ok, req.version()};
        res.set(field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        res.body() = state.metrics ? state.metrics() : std::string{};
        res.prepare_payload();
    } else if (route == "readyz" && !state.ready) {
        res = json_answer(status::service_unavailable,
                          {{"status", "not ready"}, {"reason", state.not_ready_reason}},
                          req.version());
    } else {
        res = json_answer(status::ok, {{"status", "ok"}}, req.version());
    }
    if (req.method() == verb::head) res.body().clear();
    return {std::move(res), std::nullopt, route, {}};
}

handled route_request(const http::request& req, std::string* owned_body, const request_context& ctx,
                      const collector_config& config, const service_status& state) {
    const std::string_view path = split_target(req.target()).path;
    // /metrics only on the admin listener (handle_admin_request).
    if (path == "/healthz") return operational(req, "healthz", state);
    if (path == "/readyz") return operational(req, "readyz", state);

    const std::string& prefix = config.options.path_prefix;
    if (path.substr(0, prefix.size()) == prefix) {
        const std::string_view rest = path.substr(prefix.size());
        if (rest == "/v1/batch") return batch(req, owned_body, ctx, config);
        if (rest == "/v1/p.gif") return pixel(req, ctx, config);
        if (rest == "/v1/config") return site_config(req, ctx, config);
        constexpr std::string_view sdk = "/sdk/";
        if (rest.substr(0, sdk.size()) == sdk)
            return sdk_file(req, rest.substr(sdk.size()), config);
    }
    return {error_answer(status::not_found, "not found", req.version()), std::nullopt, "other",
            "not_found"};
}

}  // namespace

handled handle_request(const http::request& req, const request_context& ctx,
                       const collector_config& config, const service_status& state) {
    return route_request(req, nullptr, ctx, config, state);
}

handled handle_request(http::request&& req, const request_context& ctx,
                       const collector_config& config, const service_status& state) {
    return route_request(req, &req.body(), ctx, config, state);
}

handled handle_admin_request(const http::request& req, const service_status& state) {
    const std::string_view path = split_target(req.target()).path;
    if (path == "/healthz") return operational(req, "healthz", state);
    if (path == "/readyz") return operational(req, "readyz", state);
    if (path == "/metrics") return operational(req, "metrics", state);
    return {error_answer(status::not_found, "not found", req.version()), std::nullopt, "other",
            "not_found"};
}

http::response spooled_answer(http::response ok) {
    if (ok.result() == status::no_content) ok.result(status::accepted);
    return ok;
}

http::response unavailable_answer(const http::response& ok, std::chrono::seconds retry_after) {
    auto res = error_answer(status::service_unavailable, "overloaded: retry later", ok.version());
    for (const auto name : {field::access_control_allow_origin,
                            field::access_control_allow_credentials, field::vary}) {
        if (ok.count(name) > 0) res.set(name, ok[name]);
    }
    if (ok.count("X-Request-Id") > 0) res.set("X-Request-Id", ok["X-Request-Id"]);
    res.set(field::retry_after, std::to_string(retry_after.count()));
    return res;
}

http::response error_answer(status code, std::string_view reason, unsigned version) {
    return json_answer(code, {{"error", reason}}, version);
}

}  // namespace clickstream::collector
