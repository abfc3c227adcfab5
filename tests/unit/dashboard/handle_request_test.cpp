#include "processor/dashboard/handle_request.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace clickstream::dashboard {
namespace {

namespace bhttp = boost::beast::http;
using common::http::status;

const std::string token = "s3cret-token-for-tests";

common::http::request get(const std::string& target, bool with_token = true,
                          bhttp::verb method = bhttp::verb::get) {
    common::http::request req{method, target, 11};
    if (with_token) req.set(bhttp::field::authorization, "Bearer " + token);
    return req;
}

struct fixture : ::testing::Test {
    std::map<std::string, static_file> files = {
        {"/index.html", {"text/html; charset=utf-8", "<html>page</html>"}},
        {"/vendor/uPlot.iife.min.js", {"text/javascript; charset=utf-8", "uplot"}}};
    handler_context ctx;
    fixture() {
        ctx.token = token;
        ctx.files = &files;
        ctx.metrics = [] { return std::string("dashboard_x 1\n"); };
        ctx.history_enabled = true;
    }
};

TEST_F(fixture, serves_the_page_and_uplot_without_a_token) {
    auto r = handle_request(get("/", false), ctx);
    ASSERT_TRUE(r.answer);
    EXPECT_EQ(r.answer->result(), status::ok);
    EXPECT_EQ(r.answer->body(), "<html>page</html>");
    EXPECT_EQ((*r.answer)[bhttp::field::content_type], "text/html; charset=utf-8");
    r = handle_request(get("/vendor/uPlot.iife.min.js", false), ctx);
    ASSERT_TRUE(r.answer);
    EXPECT_EQ(r.answer->body(), "uplot");
    r = handle_request(get("/vendor/../etc/passwd", false), ctx);
    EXPECT_EQ(r.answer->result(), status::not_found);
}

TEST_F(fixture, ops_endpoints_need_no_token) {
    EXPECT_EQ(handle_request(get("/healthz", false), ctx).answer->result(), status::ok);
    EXPECT_EQ(handle_request(get("/readyz", false), ctx).answer->result(),
              status::service_unavailable);
    ctx.ready = true;
    EXPECT_EQ(handle_request(get("/readyz", false), ctx).answer->result(), status::ok);
}

TEST_F(fixture, metrics_need_the_bearer_token) {
    EXPECT_EQ(handle_request(get("/metrics", false), ctx).answer->result(), status::unauthorized);
    auto m = handle_request(get("/metrics", true), ctx);
    EXPECT_EQ(m.answer->result(), status::ok);
    EXPECT_EQ(m.answer->body(), "dashboard_x 1\n");
    EXPECT_EQ((*m.answer)[bhttp::field::content_type], "text/plain; version=0.0.4");
}

TEST_F(fixture, api_needs_the_bearer_token) {
    const std::vector<std::string> headers = {
        "", "Bearer", "Bearer wrong", "Bearer " + token + "x", "Basic " + token, "bearer " + token};
    for (const auto& header : headers) {
        auto req = get("/api/live?site=a", false);
        if (!header.empty()) req.set(bhttp::field::authorization, header);
        auto r = handle_request(req, ctx);
        ASSERT_TRUE(r.answer) << header;
        EXPECT_EQ(r.answer->result(), status::unauthorized) << header;
        EXPECT_EQ((*r.answer)[bhttp::field::www_authenticate],
                  "Bearer realm=\"clickstream-dashboard\"");
        EXPECT_EQ(r.answer->body().find(token), std::string::npos);
    }
    EXPECT_TRUE(handle_request(get("/api/live?site=a"), ctx).live);
}

TEST_F(fixture, an_empty_configured_token_lets_nobody_in) {
    ctx.token.clear();
    auto req = get("/api/live", false);
    req.set(bhttp::field::authorization, "Bearer ");
    EXPECT_EQ(handle_request(req, ctx).answer->result(), status::unauthorized);
}

TEST_F(fixture, live_reads_site_range_and_version) {
    auto r = handle_request(get("/api/live?site=demo%20shop&range=15&after=42"), ctx);
    ASSERT_TRUE(r.live);
    EXPECT_EQ(r.live->site, "demo shop");
    EXPECT_EQ(r.live->range_ms, 15 * 60'000);
    EXPECT_EQ(r.live->after, 42u);
    r = handle_request(get("/api/live"), ctx);
    ASSERT_TRUE(r.live);
    EXPECT_EQ(r.live->site, "");
    EXPECT_EQ(r.live->range_ms, 60 * 60'000);
    EXPECT_EQ(r.live->after, 0u);
    for (const char* bad :
         {"/api/live?range=0", "/api/live?range=61", "/api/live?range=x", "/api/live?after=-1"}) {
        r = handle_request(get(bad), ctx);
        ASSERT_TRUE(r.answer) << bad;
        EXPECT_EQ(r.answer->result(), status::bad_request) << bad;
    }
}

TEST_F(fixture, history_needs_a_site_and_a_clickhouse) {
    auto r = handle_request(get("/api/history?site=demo&hours=48"), ctx);
    ASSERT_TRUE(r.history);
    EXPECT_EQ(r.history->site, "demo");
    EXPECT_EQ(r.history->hours, 48);
    EXPECT_EQ(handle_request(get("/api/history?hours=2"), ctx).answer->result(),
              status::bad_request);
    EXPECT_EQ(handle_request(get("/api/history?site=a&hours=169"), ctx).answer->result(),
              status::bad_request);
    ctx.history_enabled = false;
    EXPECT_EQ(handle_request(get("/api/history?site=demo"), ctx).answer->result(),
              status::not_found);
}

TEST_F(fixture, analysis_goes_to_its_handler_only_when_mounted) {
    EXPECT_EQ(handle_request(get("/api/analysis/funnel"), ctx).answer->result(), status::not_found);
    ctx.analysis_enabled = true;
    EXPECT_TRUE(handle_request(get("/api/analysis/funnel"), ctx).analysis);
    EXPECT_EQ(handle_request(get("/api/analysis/funnel", false), ctx).answer->result(),
              status::unauthorized);
}

TEST_F(fixture, config_says_which_tabs_have_a_backend) {
    auto r = handle_request(get("/api/config"), ctx);
    ASSERT_TRUE(r.answer);
    EXPECT_EQ(nlohmann::json::parse(r.answer->body()),
              nlohmann::json::parse(R"({"history": true, "analysis": false})"));
    EXPECT_EQ(handle_request(get("/api/config", false), ctx).answer->result(),
              status::unauthorized);
}

TEST_F(fixture, other_methods_and_paths) {
    auto r = handle_request(get("/api/live", true, bhttp::verb::post), ctx);
    EXPECT_EQ(r.answer->result(), status::method_not_allowed);
    EXPECT_EQ((*r.answer)[bhttp::field::allow], "GET, HEAD");
    EXPECT_EQ(handle_request(get("/api/nothing"), ctx).answer->result(), status::not_found);
    EXPECT_EQ(handle_request(get("/nothing"), ctx).answer->result(), status::not_found);
}

TEST(history, sql_quotes_the_site_and_starts_at_a_whole_hour) {
    history_request q{"it's\\", 3};
    const std::string sql = history_sql(q, 10 * 3'600'000 + 1234);
    EXPECT_NE(sql.find("site = 'it\\'s\\\\'"), std::string::npos) << sql;
    EXPECT_NE(sql.find("start_ms >= " + std::to_string(8 * 3'600'000)), std::string::npos) << sql;
    EXPECT_NE(sql.find("FROM sessions FINAL"), std::string::npos);
}

TEST(history, reads_clickhouse_json_with_quoted_64_bit_numbers) {
    const auto body = history_json(
        {"demo", 24},
        R"({"meta":[],"data":[{"hour_ms":"3600000","sessions":"4","bounces":"1","avg_duration_ms":1500.5}],"rows":1})");
    ASSERT_TRUE(body);
    const auto j = nlohmann::json::parse(*body);
    EXPECT_EQ(j["site"], "demo");
    ASSERT_EQ(j["hours"].size(), 1u);
    EXPECT_EQ(j["hours"][0]["hour_ms"], 3'600'000);
    EXPECT_EQ(j["hours"][0]["sessions"], 4);
    EXPECT_DOUBLE_EQ(j["hours"][0]["bounce_rate"].get<double>(), 0.25);
    EXPECT_DOUBLE_EQ(j["hours"][0]["avg_duration_ms"].get<double>(), 1500.5);
    EXPECT_FALSE(history_json({"demo", 24}, "Code: 60. DB::Exception: Table doesn't exist"));
}

TEST(authorized, compares_the_whole_token) {
    EXPECT_TRUE(authorized("Bearer abc", "abc"));
    EXPECT_FALSE(authorized("Bearer abd", "abc"));
    EXPECT_FALSE(authorized("Bearer ab", "abc"));
    EXPECT_FALSE(authorized("Bearer ", ""));
}

}  // namespace
}  // namespace clickstream::dashboard
