#include "processor/analysis/api.h"

#include "processor/analysis/attribution.h"
#include "processor/analysis/funnel.h"
#include "processor/analysis/paths.h"
#include "processor/analysis/sessions.h"
#include "processor/enrich/url.h"

namespace clickstream::analysis {
namespace {

template <class Options, class Parse, class Run>
result<nlohmann::json> answer(const params& p, std::int64_t now_ms, query_runner& db, Parse parse,
                              Run run) {
    auto o = parse(p, now_ms);
    if (!o) return failure<error>{o.error()};
    auto r = run(*o, db);
    if (!r) return failure<error>{r.error()};
    return to_json(*o, *r);
}

api_response error_response(int status, std::string_view message) {
    return {status, nlohmann::json{{"error", message}}.dump(
                        -1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace

params parse_query_string(std::string_view query) {
    params out;
    for (auto& q : enrich::parse_query(query))
        out.push_back({std::move(q.name), std::move(q.value)});
    return out;
}

int http_status(errc e) noexcept {
    switch (e) {
        case errc::bad_request:
            return 400;
        case errc::not_found:
            return 404;
        case errc::database:
        case errc::bad_answer:
            return 502;
    }
    return 500;
}

result<nlohmann::json> run_route(std::string_view route, const params& p, query_runner& db,
                                 std::int64_t now_ms) {
    if (route == "funnel") {
        return answer<funnel_options>(p, now_ms, db, parse_funnel_params, run_funnel);
    }
    if (route == "paths") {
        return answer<paths_options>(p, now_ms, db, parse_paths_params, run_paths);
    }
    if (route == "attribution") {
        return answer<attribution_options>(p, now_ms, db, parse_attribution_params,
                                           run_attribution);
    }
    if (route == "sessions") {
        return answer<sessions_options>(p, now_ms, db, parse_sessions_params, run_sessions);
    }
    return failure<error>{{errc::not_found, "no analysis route '" + std::string(route) +
                                                "' (funnel, paths, attribution, sessions)"}};
}

api_response handle_request(std::string_view method, std::string_view target, query_runner& db,
                            std::int64_t now_ms) {
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    if (path.substr(0, api_prefix.size()) != api_prefix) {
        return error_response(404, "not under " + std::string(api_prefix));
    }
    std::string_view route = path.substr(api_prefix.size());
    if (!route.empty() && route.back() == '/') route.remove_suffix(1);
    if (route != "funnel" && route != "paths" && route != "attribution" && route != "sessions") {
        return error_response(404, "no analysis route '" + std::string(route) +
                                       "' (funnel, paths, attribution, sessions)");
    }
    if (method != "GET" && method != "HEAD") {
        api_response r = error_response(405, "use GET");
        return r;
    }
    try {
        auto r = run_route(route, parse_query_string(query), db, now_ms);
        if (!r) return error_response(http_status(r.error().code), r.error().message);
        return {200, r->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
    } catch (const std::exception& e) {  // allocation failure, a bug: not a crash of the server
        return error_response(500, e.what());
    }
}

}  // namespace clickstream::analysis
