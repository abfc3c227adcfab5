#include "processor/analysis/api.h"

#include <gtest/gtest.h>

#include "support/fake_query_runner.h"

namespace clickstream::analysis {
namespace {

using json = nlohmann::json;
constexpr std::int64_t now = 1'795'000'000'000;

json body(const api_response& r) {
    return json::parse(r.body);
}

TEST(analysis_api, a_funnel_request_answers_json) {
    test::fake_query_runner db;
    db.answer({});  // the split point: no sessions
    db.answer({json::array({"", "5", "2", 1000.0})}, json::array({"", "5", "2", 1000.0}));
    const auto r = handle_request(
        "GET",
        "/api/analysis/"
        "funnel?step=page%3A%2F&step=event:buy%7Bplan%3Dpro%7D&from=2026-11-01&to=2026-11-02",
        db, now);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    const auto j = body(r);
    EXPECT_EQ(j["query"]["steps"], json::array({"page:/", "event:buy{plan=pro}"}));
    EXPECT_EQ(j["query"]["from"], "2026-11-01");
    EXPECT_EQ(j["steps"][1]["count"], 2);
    EXPECT_EQ(j["steps"][1]["drop_off"], 3);
    EXPECT_EQ(j["steps"][1]["median_ms_from_previous"], 1000.0);
    ASSERT_EQ(db.queries.size(), 2u);
    EXPECT_NE(db.queries[1].find("visitParamExtractString(props, 'plan') = 'pro'"),
              std::string::npos);
}

TEST(analysis_api, each_route_runs_its_queries) {
    for (const auto& [target, queries] :
         std::vector<std::pair<std::string, std::size_t>>{{"/api/analysis/paths?start=/", 1},
                                                          {"/api/analysis/attribution", 2},
                                                          {"/api/analysis/sessions/", 2}}) {
        test::fake_query_runner db;
        const auto r = handle_request("GET", target, db, now);
        EXPECT_EQ(r.status, 200) << target << r.body;
        EXPECT_EQ(db.queries.size(), queries) << target;
        EXPECT_TRUE(body(r).contains("query")) << target;
    }
}

TEST(analysis_api, bad_parameters_are_400_with_the_reason) {
    test::fake_query_runner db;
    auto r = handle_request("GET", "/api/analysis/funnel?step=pag:/&step=page:/a", db, now);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body(r)["error"].get<std::string>().rfind("bad step 'pag:/': unknown kind 'pag'", 0),
              0u);
    r = handle_request("GET", "/api/analysis/paths?from=2026-02-30", db, now);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body(r)["error"], "bad date '2026-02-30': that month has days 01 to 28");
    r = handle_request("GET", "/api/analysis/attribution?lookback=30", db, now);
    EXPECT_EQ(r.status, 400);
    r = handle_request("GET", "/api/analysis/sessions?colour=red", db, now);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body(r)["error"],
              "unknown parameter 'colour' (known: person, channel, converted, limit, site, from, "
              "to)");
    EXPECT_TRUE(db.queries.empty());  // nothing reached the database
}

TEST(analysis_api, unknown_routes_methods_and_database_failures) {
    test::fake_query_runner db;
    EXPECT_EQ(handle_request("GET", "/api/analysis/cohorts", db, now).status, 404);
    EXPECT_EQ(handle_request("GET", "/api/other/funnel", db, now).status, 404);
    EXPECT_EQ(handle_request("POST", "/api/analysis/paths", db, now).status, 405);
    db.fail(errc::database, "ClickHouse: clickhouse_unreachable");
    const auto r = handle_request("GET", "/api/analysis/paths", db, now);
    EXPECT_EQ(r.status, 502);
    EXPECT_EQ(body(r)["error"], "ClickHouse: clickhouse_unreachable");
}

TEST(analysis_api, query_strings_are_decoded) {
    const auto p = parse_query_string("step=page%3A%2Fa+b&step=event%3Ax&exits");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0].value, "page:/a b");
    EXPECT_EQ(p[1].value, "event:x");
    EXPECT_EQ(p[2].name, "exits");
    EXPECT_EQ(p[2].value, "");
}

}  // namespace
}  // namespace clickstream::analysis
