// handle_request from built requests: every reply path, and the raw message
// it asks to produce (body bytes and contract headers), without sockets.
#include "collector/handle_request.h"

#include <gtest/gtest.h>

#include "collector/inflate.h"
#include "collector/raw_message.h"
#include "support/gzip.h"

namespace {

using namespace clickstream::collector;
namespace http = clickstream::common::http;
using field = boost::beast::http::field;
using verb = boost::beast::http::verb;

class collector_handle_request : public ::testing::Test {
protected:
    collector_handle_request() : proxies_({"10.0.0.0/8"}) {
        options_.topic = "raw-topic";
        options_.inflated_limit = 10000;
        options_.sites["demo"] = site_options{"demo",
                                              {"https://shop.example"},
                                              true,
                                              std::chrono::seconds(900),
                                              std::chrono::milliseconds(2000),
                                              false};
        options_.sites["strict"] = site_options{"strict",
                                                {"https://strict.example"},
                                                false,
                                                std::chrono::seconds(1800),
                                                std::chrono::milliseconds(3000),
                                                true};
        files_.add("beacon.wasm", std::string("\0asm\1\0\0\0", 8));
        files_.add("loader.js", "console.log(1)");
        files_.add("main.js", main_js);
    }

    // Large and repetitive enough that gzip is smaller.
    inline static const std::string main_js = [] {
        std::string js;
        for (int i = 0; i < 200; ++i) js += "window.cs.track('event_" + std::to_string(i) + "');\n";
        return js;
    }();

    static http::request make(verb method, const std::string& target, std::string body = {},
                              std::vector<std::pair<field, std::string>> headers = {}) {
        http::request req{method, target, 11};
        for (const auto& [name, value] : headers) req.set(name, value);
        req.body() = std::move(body);
        req.prepare_payload();
        return req;
    }

    handled run(const http::request& req, bool tls = false) {
        request_context ctx{{"203.0.113.5", 5555, tls}, 1700000000123, "req-1", "new-anon-id"};
        return handle_request(req, ctx, {options_, proxies_, files_}, status_);
    }

    static std::string header(const clickstream::common::kafka::message& m, std::string_view name) {
        const auto* h = m.find_header(name);
        return h == nullptr ? "<absent>" : h->value;
    }

    collector_options options_;
    trusted_proxies proxies_;
    static_files files_;
    service_status status_{true, "", [] { return std::string("metric_a 1\n"); }};
};

const std::string batch_body =
    R"({"v":1,"site":"demo","context":{"anonymous_id":"a-1"},"events":[]})";

TEST_F(collector_handle_request, batch_from_allowed_origin_is_produced_as_sent) {
    auto h = run(make(verb::post, "/v1/batch?site=demo", batch_body,
                      {{field::content_type, "text/plain;charset=UTF-8"},
                       {field::origin, "https://shop.example"},
                       {field::user_agent, "Mozilla/5.0 test"}}));
    ASSERT_TRUE(h.msg);
    EXPECT_EQ(h.res.result(), http::status::no_content);
    EXPECT_EQ(h.res[field::access_control_allow_origin], "https://shop.example");
    EXPECT_EQ(h.res[field::access_control_allow_credentials], "true");
    EXPECT_EQ(h.route, "batch");
    const auto& m = *h.msg;
    EXPECT_EQ(m.topic, "raw-topic");
    EXPECT_EQ(m.value, batch_body);
    EXPECT_FALSE(m.key) << "plain bodies are not read for the anonymous id";
    EXPECT_EQ(header(m, raw_header::received_at), "1700000000123");
    EXPECT_EQ(header(m, raw_header::client_ip), "203.0.113.5");
    EXPECT_EQ(header(m, raw_header::user_agent), "Mozilla/5.0 test");
    EXPECT_EQ(header(m, raw_header::origin), "https://shop.example");
    EXPECT_EQ(header(m, raw_header::content_type), "text/plain;charset=UTF-8");
    EXPECT_EQ(header(m, raw_header::content_encoding), "identity");
    EXPECT_EQ(header(m, raw_header::request_id), "req-1");
    EXPECT_EQ(header(m, raw_header::site), "demo");
    EXPECT_EQ(header(m, raw_header::source), "batch");
}

TEST_F(collector_handle_request, given_away_request_moves_its_body_and_decides_the_same) {
    // A first-party site (the strict one sets the cookie) reads the plain body
    // for its anonymous id before the body moves into the message.
    const auto build = [] {
        return make(verb::post, "/v1/batch?site=strict",
                    R"({"v":1,"site":"strict","context":{"anonymous_id":"a-7"},"events":[]})",
                    {{field::content_type, "Application/JSON"},
                     {field::content_encoding, "Identity"},
                     {field::origin, "https://STRICT.example"}});
    };
    const http::request kept = build();
    const handled copied = run(kept);
    request_context ctx{{"203.0.113.5", 5555, false}, 1700000000123, "req-1", "new-anon-id"};
    const handled moved = handle_request(build(), ctx, {options_, proxies_, files_}, status_);
    ASSERT_TRUE(copied.msg);
    ASSERT_TRUE(moved.msg);
    EXPECT_EQ(kept.body(), copied.msg->value) << "a request lent is left whole";
    EXPECT_EQ(moved.msg->value, kept.body());
    EXPECT_EQ(moved.msg->key, std::optional<std::string>("a-7"));
    EXPECT_EQ(moved.res.result(), copied.res.result());
    EXPECT_EQ(moved.res[field::set_cookie], copied.res[field::set_cookie]);
    EXPECT_EQ(moved.res[field::access_control_allow_origin], "https://STRICT.example");
    EXPECT_EQ(header(*moved.msg, raw_header::content_type), "Application/JSON");
    EXPECT_EQ(header(*moved.msg, raw_header::content_encoding), "identity");
}

TEST_F(collector_handle_request, gzip_batch_is_inflated_and_keyed_by_its_anonymous_id) {
    auto h =
        run(make(verb::post, "/v1/batch?site=demo", clickstream::test::gzip(batch_body),
                 {{field::content_type, "application/json"}, {field::content_encoding, "gzip"}}));
    ASSERT_TRUE(h.msg);
    EXPECT_EQ(h.msg->value, batch_body);
    EXPECT_EQ(h.msg->key, "a-1");
    EXPECT_EQ(header(*h.msg, raw_header::content_encoding), "gzip");
    EXPECT_EQ(header(*h.msg, raw_header::origin), "<absent>");
}

TEST_F(collector_handle_request, refusals_have_their_status_a_json_reason_and_no_message) {
    struct refusal {
        http::request req;
        http::status status;
        std::string_view reason;
    };
    const auto json_type = std::pair{field::content_type, std::string("application/json")};
    std::vector<refusal> cases = {
        {make(verb::post, "/v1/batch", batch_body, {json_type}), http::status::bad_request,
         "missing_site"},
        {make(verb::post, "/v1/batch?site=nope", batch_body, {json_type}), http::status::forbidden,
         "unknown_site"},
        {make(verb::post, "/v1/batch?site=demo", batch_body,
              {json_type, {field::origin, "https://evil.example"}}),
         http::status::forbidden, "origin_refused"},
        {make(verb::post, "/v1/batch?site=strict", batch_body, {json_type}),
         http::status::forbidden, "origin_missing"},
        {make(verb::get, "/v1/batch?site=demo"), http::status::method_not_allowed,
         "method_not_allowed"},
        {make(verb::post, "/v1/batch?site=demo", batch_body,
              {{field::content_type, "application/xml"}}),
         http::status::unsupported_media_type, "unsupported_media_type"},
        {make(verb::post, "/v1/batch?site=demo", batch_body), http::status::unsupported_media_type,
         "unsupported_media_type"},
        {make(verb::post, "/v1/batch?site=demo", batch_body,
              {json_type, {field::content_encoding, "br"}}),
         http::status::unsupported_media_type, "unsupported_encoding"},
        {make(verb::post, "/v1/batch?site=demo", "", {json_type}), http::status::bad_request,
         "empty_body"},
        {make(verb::post, "/v1/batch?site=demo", "not gzip",
              {json_type, {field::content_encoding, "gzip"}}),
         http::status::bad_request, "bad_gzip"},
        {make(verb::post, "/v1/batch?site=demo", clickstream::test::gzip(std::string(20000, ' ')),
              {json_type, {field::content_encoding, "gzip"}}),
         http::status::payload_too_large, "inflated_too_large"},
        {make(verb::post, "/v1/batch?site=demo", clickstream::test::gzip(R"({"site":"other"})"),
              {json_type, {field::content_encoding, "gzip"}}),
         http::status::bad_request, "site_mismatch"},
        {make(verb::get, "/nothing/here"), http::status::not_found, "not_found"},
        {make(verb::get, "/sdk/missing.js"), http::status::not_found, "not_found"},
    };
    for (const auto& c : cases) {
        auto h = run(c.req);
        SCOPED_TRACE(std::string(c.req.target()) + " " + std::string(c.reason));
        EXPECT_EQ(h.res.result(), c.status);
        EXPECT_EQ(h.reject, c.reason);
        EXPECT_FALSE(h.msg);
        EXPECT_EQ(h.res[field::content_type], "application/json");
        auto body = nlohmann::json::parse(h.res.body());
        EXPECT_TRUE(body["error"].is_string() && !body["error"].get<std::string>().empty());
        EXPECT_EQ(h.res[field::access_control_allow_origin], "") << "no CORS grant on refusals";
    }
}

TEST_F(collector_handle_request, wrong_method_says_what_is_allowed) {
    auto h = run(make(verb::put, "/v1/p.gif?site=demo"));
    EXPECT_EQ(h.res.result(), http::status::method_not_allowed);
    EXPECT_EQ(h.res[field::allow], "GET, HEAD");
}

TEST_F(collector_handle_request, preflight_grants_allowed_origins_only) {
    auto ok = run(make(
        verb::options, "/v1/batch?site=demo", {},
        {{field::origin, "https://shop.example"}, {field::access_control_request_method, "POST"}}));
    EXPECT_EQ(ok.res.result(), http::status::no_content);
    EXPECT_EQ(ok.res[field::access_control_allow_origin], "https://shop.example");
    EXPECT_NE(ok.res[field::access_control_allow_methods].find("POST"), std::string::npos);
    EXPECT_NE(ok.res[field::access_control_allow_headers].find("Content-Encoding"),
              std::string::npos);
    EXPECT_EQ(ok.route, "batch");
    EXPECT_FALSE(ok.msg);

    auto refused = run(
        make(verb::options, "/v1/batch?site=demo", {}, {{field::origin, "https://evil.example"}}));
    EXPECT_EQ(refused.res.result(), http::status::forbidden);
    EXPECT_EQ(refused.res[field::access_control_allow_origin], "");
}

TEST_F(collector_handle_request, pixel_produces_its_query_string_and_answers_a_gif) {
    auto h =
        run(make(verb::get, "/v1/p.gif?site=demo&e=page_view&u=https%3A%2F%2Fshop.example%2F"));
    ASSERT_TRUE(h.msg);
    EXPECT_EQ(h.res.result(), http::status::ok);
    EXPECT_EQ(h.res[field::content_type], "image/gif");
    EXPECT_EQ(h.res.body().size(), 43U);
    EXPECT_EQ(h.res.body().substr(0, 6), "GIF89a");
    EXPECT_EQ(h.msg->value, "site=demo&e=page_view&u=https%3A%2F%2Fshop.example%2F");
    EXPECT_EQ(header(*h.msg, raw_header::content_type), raw_header::pixel_content_type);
    EXPECT_EQ(header(*h.msg, raw_header::source), "pixel");
}

TEST_F(collector_handle_request, config_answers_the_site_settings_cacheably) {
    auto h =
        run(make(verb::get, "/v1/config?site=demo", {}, {{field::origin, "https://shop.example"}}));
    EXPECT_EQ(h.res.result(), http::status::ok);
    auto body = nlohmann::json::parse(h.res.body());
    EXPECT_EQ(body["session_timeout_s"], 900);
    EXPECT_EQ(body["flush_interval_ms"], 2000);
    EXPECT_EQ(h.res[field::cache_control], "public, max-age=300");
    EXPECT_EQ(h.res[field::access_control_allow_origin], "https://shop.example");
}

TEST_F(collector_handle_request, prefix_moves_every_public_path) {
    options_.path_prefix = "/t9";
    EXPECT_EQ(run(make(verb::get, "/v1/config?site=demo")).res.result(), http::status::not_found);
    EXPECT_EQ(run(make(verb::get, "/t9/v1/config?site=demo")).res.result(), http::status::ok);
    EXPECT_TRUE(run(make(verb::get, "/t9/v1/p.gif?site=demo")).msg);
    EXPECT_EQ(run(make(verb::get, "/t9/sdk/loader.js")).res.result(), http::status::ok);
    EXPECT_EQ(run(make(verb::get, "/healthz")).res.result(), http::status::ok) << "not prefixed";
}

TEST_F(collector_handle_request, sdk_files_have_mime_etag_and_revalidate) {
    auto h = run(make(verb::get, "/sdk/beacon.wasm"));
    EXPECT_EQ(h.res.result(), http::status::ok);
    EXPECT_EQ(h.res[field::content_type], "application/wasm");
    EXPECT_EQ(h.res.body(), std::string("\0asm\1\0\0\0", 8));
    const std::string etag(h.res[field::etag]);
    EXPECT_FALSE(etag.empty());
    EXPECT_FALSE(h.res[field::cache_control].empty());
    auto again = run(make(verb::get, "/sdk/beacon.wasm", {}, {{field::if_none_match, etag}}));
    EXPECT_EQ(again.res.result(), http::status::not_modified);
    EXPECT_TRUE(again.res.body().empty());
    EXPECT_EQ(run(make(verb::get, "/sdk/loader.js")).res[field::content_type],
              "text/javascript; charset=utf-8");
}

TEST_F(collector_handle_request, sdk_files_go_gzipped_to_clients_that_accept_gzip) {
    const auto get = [&](std::string accept) {
        std::vector<std::pair<field, std::string>> headers;
        if (!accept.empty()) headers.emplace_back(field::accept_encoding, std::move(accept));
        return run(make(verb::get, "/sdk/main.js", {}, std::move(headers)));
    };
    auto plain = get("");
    EXPECT_EQ(plain.res.result(), http::status::ok);
    EXPECT_EQ(plain.res[field::content_encoding], "");
    EXPECT_EQ(plain.res.body(), main_js);
    EXPECT_EQ(plain.res[field::vary], "Accept-Encoding");

    auto zipped = get("gzip, deflate, br");
    EXPECT_EQ(zipped.res.result(), http::status::ok);
    EXPECT_EQ(zipped.res[field::content_encoding], "gzip");
    EXPECT_EQ(zipped.res[field::content_type], "text/javascript; charset=utf-8");
    EXPECT_EQ(zipped.res[field::vary], "Accept-Encoding");
    EXPECT_LT(zipped.res.body().size(), main_js.size() / 4);
    auto inflated = clickstream::collector::inflate_gzip(zipped.res.body(), 1 << 20);
    ASSERT_TRUE(inflated);
    EXPECT_EQ(*inflated, main_js);
    EXPECT_EQ(zipped.res[field::content_length], std::to_string(zipped.res.body().size()));
    // Two representations, two validators; each revalidates as itself.
    const std::string etag(zipped.res[field::etag]);
    EXPECT_NE(etag, std::string(plain.res[field::etag]));
    auto again = run(make(verb::get, "/sdk/main.js", {},
                          {{field::accept_encoding, "gzip"}, {field::if_none_match, etag}}));
    EXPECT_EQ(again.res.result(), http::status::not_modified);
    EXPECT_EQ(run(make(verb::get, "/sdk/main.js", {}, {{field::if_none_match, etag}})).res.result(),
              http::status::ok)
        << "the gzip validator does not match the identity representation";

    // Weights: zero refuses, an explicit entry outranks "*".
    for (const char* accept :
         {"gzip;q=0", "br", "identity", "*;q=0", "gzip;q=0.000, *", "x-gzip; q=0, br;q=1"}) {
        EXPECT_EQ(get(accept).res[field::content_encoding], "") << accept;
    }
    for (const char* accept :
         {"GZIP", "x-gzip", "*", "br;q=1.0, gzip;q=0.5", "gzip ; q=0.01", "br, *;q=0.1"}) {
        EXPECT_EQ(get(accept).res[field::content_encoding], "gzip") << accept;
    }
}

TEST_F(collector_handle_request, sdk_files_gzip_would_not_shrink_go_as_they_are) {
    // 14 bytes of script, 8 bytes of wasm header: gzip's own framing is larger.
    for (const char* target : {"/sdk/loader.js", "/sdk/beacon.wasm"}) {
        auto h = run(make(verb::get, target, {}, {{field::accept_encoding, "gzip"}}));
        EXPECT_EQ(h.res.result(), http::status::ok) << target;
        EXPECT_EQ(h.res[field::content_encoding], "") << target;
        EXPECT_EQ(h.res[field::vary], "") << target;
    }
}

TEST_F(collector_handle_request, first_party_site_sets_the_anonymous_id_cookie) {
    const auto origin = std::pair{field::origin, std::string("https://strict.example")};
    const auto type = std::pair{field::content_type, std::string("application/json")};
    // A known id (from the body here) becomes the cookie and the key.
    auto h = run(make(verb::post, "/v1/batch?site=strict", batch_body, {origin, type}), true);
    ASSERT_TRUE(h.msg);
    EXPECT_EQ(h.msg->key, "a-1");
    const std::string cookie(h.res[field::set_cookie]);
    EXPECT_EQ(cookie.rfind("cs_aid=a-1; Max-Age=", 0), 0U) << cookie;
    EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos);
    EXPECT_NE(cookie.find("Secure"), std::string::npos) << "came over TLS";
    // The cookie the browser sends wins and is refreshed.
    auto again = run(make(verb::post, "/v1/batch?site=strict", batch_body,
                          {origin, type, {field::cookie, "x=1; cs_aid=a-9"}}));
    EXPECT_EQ(again.msg->key, "a-9");
    EXPECT_EQ(std::string(again.res[field::set_cookie]).rfind("cs_aid=a-9;", 0), 0U);
    // Nothing known: a new id; a sites without set_cookie sets none.
    auto fresh = run(make(verb::get, "/v1/p.gif?site=strict", {}, {origin}));
    EXPECT_EQ(std::string(fresh.res[field::set_cookie]).rfind("cs_aid=new-anon-id;", 0), 0U);
    EXPECT_EQ(run(make(verb::get, "/v1/p.gif?site=demo")).res[field::set_cookie], "");
}

TEST_F(collector_handle_request, forwarded_for_counts_only_from_trusted_proxies) {
    auto req = make(verb::get, "/v1/p.gif?site=demo");
    req.set("X-Forwarded-For", "198.51.100.1");
    EXPECT_EQ(header(*run(req).msg, raw_header::client_ip), "203.0.113.5");
    request_context ctx{{"10.0.0.2", 1, false}, 1, "r", "n"};
    auto h = handle_request(req, ctx, {options_, proxies_, files_}, status_);
    EXPECT_EQ(header(*h.msg, raw_header::client_ip), "198.51.100.1");
}

TEST_F(collector_handle_request, operational_endpoints) {
    EXPECT_EQ(run(make(verb::get, "/healthz")).res.result(), http::status::ok);
    EXPECT_EQ(run(make(verb::get, "/readyz")).res.result(), http::status::ok);
    status_.ready = false;
    status_.not_ready_reason = "kafka unreachable";
    auto not_ready = run(make(verb::get, "/readyz"));
    EXPECT_EQ(not_ready.res.result(), http::status::service_unavailable);
    EXPECT_EQ(nlohmann::json::parse(not_ready.res.body())["reason"], "kafka unreachable");
}

TEST_F(collector_handle_request, metrics_only_on_the_admin_listener) {
    auto public_metrics = run(make(verb::get, "/metrics"));
    EXPECT_EQ(public_metrics.res.result(), http::status::not_found);
    EXPECT_EQ(public_metrics.res.body().find("metric_a"), std::string::npos);
    EXPECT_EQ(public_metrics.reject, "not_found");

    auto metrics = handle_admin_request(make(verb::get, "/metrics"), status_);
    EXPECT_EQ(metrics.res.result(), http::status::ok);
    EXPECT_EQ(metrics.res.body(), "metric_a 1\n");
    EXPECT_EQ(metrics.route, "metrics");
    EXPECT_NE(std::string(metrics.res[field::content_type]).find("text/plain"), std::string::npos);
    EXPECT_EQ(handle_admin_request(make(verb::get, "/healthz"), status_).res.result(),
              http::status::ok);
    EXPECT_EQ(handle_admin_request(make(verb::get, "/readyz"), status_).res.result(),
              http::status::ok);
    EXPECT_EQ(handle_admin_request(make(verb::post, "/metrics"), status_).res.result(),
              http::status::method_not_allowed);
    for (const char* target : {"/v1/batch?site=demo", "/v1/config?site=demo", "/sdk/loader.js"}) {
        auto h = handle_admin_request(make(verb::get, target), status_);
        EXPECT_EQ(h.res.result(), http::status::not_found) << target;
        EXPECT_FALSE(h.msg);
    }
}

TEST_F(collector_handle_request,
       do_not_track_and_gpc_are_answered_and_dropped_where_the_site_asks) {
    options_.sites["demo"].respect_dnt = true;
    options_.sites["demo"].set_cookie = true;
    const std::vector<std::pair<field, std::string>> json_from_shop = {
        {field::content_type, "application/json"}, {field::origin, "https://shop.example"}};
    for (const auto& [name, reason] :
         {std::pair<std::string, std::string>{"DNT", "do_not_track"},
          std::pair<std::string, std::string>{"Sec-GPC", "global_privacy_control"}}) {
        auto req = make(verb::post, "/v1/batch?site=demo", batch_body, json_from_shop);
        req.set(name, "1");
        auto h = run(req);
        EXPECT_FALSE(h.msg) << name;
        EXPECT_EQ(h.res.result(), http::status::no_content) << name;
        EXPECT_EQ(h.res.body(), "");
        EXPECT_EQ(h.res[field::access_control_allow_origin], "https://shop.example");
        EXPECT_EQ(h.res.count(field::set_cookie), 0U) << name;
        EXPECT_EQ(h.reject, reason);

        auto pixel = make(verb::get, "/v1/p.gif?site=demo&e=pv");
        pixel.set(name, "1");
        auto p = run(pixel);
        EXPECT_FALSE(p.msg) << name;
        EXPECT_EQ(p.res.result(), http::status::ok);
        EXPECT_EQ(p.res[field::content_type], "image/gif");
        EXPECT_EQ(p.res.count(field::set_cookie), 0U);
        EXPECT_EQ(p.reject, reason);

        // A site that does not ask for it keeps what it is sent.
        auto other = make(verb::get, "/v1/p.gif?site=strict", {},
                          {{field::origin, "https://strict.example"}});
        other.set(name, "1");
        EXPECT_TRUE(run(other).msg) << name;
    }
    // "0", or anything but "1", is no opt-out; nor is a refused origin let through.
    auto zero = make(verb::post, "/v1/batch?site=demo", batch_body, json_from_shop);
    zero.set("DNT", "0");
    zero.set("Sec-GPC", "0");
    EXPECT_TRUE(run(zero).msg);
    auto bad_origin =
        make(verb::post, "/v1/batch?site=demo", batch_body,
             {{field::content_type, "application/json"}, {field::origin, "https://evil.example"}});
    bad_origin.set("DNT", "1");
    EXPECT_EQ(run(bad_origin).res.result(), http::status::forbidden);
}

TEST_F(collector_handle_request, site_config_carries_respect_dnt) {
    auto off = nlohmann::json::parse(run(make(verb::get, "/v1/config?site=demo")).res.body());
    EXPECT_EQ(off["respect_dnt"], false);
    options_.sites["demo"].respect_dnt = true;
    auto on = nlohmann::json::parse(run(make(verb::get, "/v1/config?site=demo")).res.body());
    EXPECT_EQ(on["respect_dnt"], true);
}

TEST_F(collector_handle_request, spooled_and_unavailable_answers_keep_cors) {
    auto h = run(
        make(verb::post, "/v1/batch?site=demo", batch_body,
             {{field::content_type, "application/json"}, {field::origin, "https://shop.example"}}));
    EXPECT_EQ(spooled_answer(h.res).result(), http::status::accepted);
    auto busy = unavailable_answer(h.res, std::chrono::seconds(7));
    EXPECT_EQ(busy.result(), http::status::service_unavailable);
    EXPECT_EQ(busy[field::retry_after], "7");
    EXPECT_EQ(busy[field::access_control_allow_origin], "https://shop.example");
    EXPECT_EQ(busy["X-Request-Id"], "req-1");
}

}  // namespace
