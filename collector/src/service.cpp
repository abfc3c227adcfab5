#include "collector/service.h"

#include <cstdio>
#include <random>

namespace clickstream::collector {
namespace {

std::uint64_t random_u64() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return engine();
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::string random_hex_id() {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(random_u64()),
                  static_cast<unsigned long long>(random_u64()));
    return buf;
}

std::string random_uuid() {
    std::uint64_t hi = random_u64(), lo = random_u64();
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                  static_cast<unsigned long long>(hi >> 32),
                  static_cast<unsigned long long>((hi >> 16) & 0xffff),
                  static_cast<unsigned long long>(hi & 0xffff),
                  static_cast<unsigned long long>(lo >> 48),
                  static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return buf;
}

service::service(const collector_options& options, const trusted_proxies& proxies,
                 const static_files& files, delivery& durable, probe& metrics, common::logger& log)
    : options_(options),
      config_{options, proxies, files},
      delivery_(durable),
      probe_(metrics),
      log_(log) {
    for (const auto& [key, site] : options.sites) set_cookies_ = set_cookies_ || site.set_cookie;
}

service_status service::status() const {
    service_status s;
    s.ready = !draining_ && delivery_.ready();
    s.not_ready_reason = draining_ ? "shutting down" : (s.ready ? "" : "kafka unreachable");
    s.metrics = [this] { return probe_.registry().expose(); };
    return s;
}

void service::answered(std::string_view route, const common::http::response& res,
                       std::chrono::steady_clock::time_point start, const std::string& request_id) {
    probe_.request(route, res.result_int());
    const auto every = options_.access_log_every;
    if (every > 0 && served_++ % every == 0) {
        log_.info("request", {{"route", route},
                              {"status", res.result_int()},
                              {"request_id", request_id},
                              {"ms", std::chrono::duration<double, std::milli>(
                                         std::chrono::steady_clock::now() - start)
                                         .count()}});
    }
}

void service::on_request(common::http::request&& req, const common::http::peer& from,
                         common::http::responder respond) noexcept {
    const auto start = std::chrono::steady_clock::now();
    // A fresh anonymous id only where a site may need one for its cookie.
    request_context ctx{from, now_ms(), random_hex_id(),
                        set_cookies_ ? random_uuid() : std::string()};
    const std::size_t received = req.body().size();
    // Given away: an accepted batch's body moves into the raw message.
    handled h = handle_request(std::move(req), ctx, config_, status());
    probe_.received_bytes(h.route, received);
    if (!h.reject.empty()) probe_.rejected(h.reject);
    if (!h.msg) {
        answered(h.route, h.res, start, ctx.request_id);
        respond(std::move(h.res));
        return;
    }
    ++in_flight_;
    probe_.in_flight(1);
    delivery_.deliver(
        std::move(*h.msg), [this, start, respond = std::move(respond), ok = std::move(h.res),
                            route = h.route, id = ctx.request_id](outcome o) mutable {
            common::http::response res = o == outcome::acked ? std::move(ok)
                                         : o == outcome::spooled
                                             ? spooled_answer(std::move(ok))
                                             : unavailable_answer(ok, options_.retry_after);
            if (o == outcome::refused) probe_.rejected("spool_full");
            answered(route, res, start, id);
            respond(std::move(res));
            probe_.in_flight(-1);
            --in_flight_;
        });
}

common::http::response service::on_refused(common::http::status code, std::string_view reason,
                                           const common::http::request& req) noexcept {
    probe_.rejected(code == common::http::status::payload_too_large ? "body_too_large"
                    : code == common::http::status::request_header_fields_too_large
                        ? "header_too_large"
                        : "malformed");
    probe_.request("other", static_cast<unsigned>(code));
    return error_answer(code, reason, req.version() == 0 ? 11 : req.version());
}

void admin_service::on_request(common::http::request&& req, const common::http::peer&,
                               common::http::responder respond) noexcept {
    handled h = handle_admin_request(req, app_.status());
    probe_.request(h.route, h.res.result_int());
    respond(std::move(h.res));
}

common::http::response admin_service::on_refused(common::http::status code, std::string_view reason,
                                                 const common::http::request& req) noexcept {
    probe_.request("other", static_cast<unsigned>(code));
    return error_answer(code, reason, req.version() == 0 ? 11 : req.version());
}

}  // namespace clickstream::collector
