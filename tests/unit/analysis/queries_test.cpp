// What the query builders send and how their answers are read, on the fake
// runner. (What the SQL computes is checked against ClickHouse in
// tests/integration/analysis_test.cpp.)
#include <gtest/gtest.h>

#include "processor/analysis/attribution.h"
#include "processor/analysis/funnel.h"
#include "processor/analysis/paths.h"
#include "processor/analysis/sessions.h"
#include "support/fake_query_runner.h"

namespace clickstream::analysis {
namespace {

using json = nlohmann::json;
constexpr std::int64_t now = 1'795'000'000'000;

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

funnel_options funnel(params p) {
    p.push_back({"step", "page:/"});
    p.push_back({"step", "page:/p/*"});
    p.push_back({"step", "event:buy"});
    auto o = parse_funnel_params(p, now);
    EXPECT_TRUE(o) << o.error().message;
    return *o;
}

TEST(analysis_queries, funnel_counts_become_rates_drop_offs_and_medians) {
    const auto o = funnel({{"by", "channel"}});
    test::fake_query_runner db;
    db.answer({json::array({"", "2"})});  // no sessions: no split point
    db.answer({json::array({"email", "8", "4", "1", 1500.0, 60000.0}),
               json::array({"direct", "2", "0", "0", 0, 0})},
              json::array({"", "10", "4", "1", 1500.0, 60000.0}));
    auto r = run_funnel(o, db);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->total.steps.size(), 3u);
    EXPECT_EQ(r->total.steps[0].count, 10u);
    EXPECT_EQ(r->total.steps[1].drop_off, 6u);
    EXPECT_DOUBLE_EQ(r->total.steps[1].conversion, 0.4);
    EXPECT_DOUBLE_EQ(r->total.steps[2].step_conversion, 0.25);
    EXPECT_DOUBLE_EQ(r->total.steps[2].conversion, 0.1);
    EXPECT_FALSE(r->total.steps[0].median_ms);
    EXPECT_DOUBLE_EQ(*r->total.steps[1].median_ms, 1500);
    ASSERT_EQ(r->groups.size(), 2u);
    EXPECT_EQ(r->groups[1].value, "direct");
    EXPECT_FALSE(r->groups[1].steps[1].median_ms);  // nobody reached it
    EXPECT_DOUBLE_EQ(r->groups[1].steps[1].step_conversion, 0);
    ASSERT_EQ(db.queries.size(), 2u);
    EXPECT_TRUE(has(db.queries[0], "quantileDeterministic(0.5)"));
    EXPECT_TRUE(has(db.queries[1], "GROUP BY g WITH TOTALS"));
    // A session's own rows give its value, grouped with its events: no join.
    EXPECT_TRUE(has(db.queries[1],
                    "argMinIf(v, t, sess) AS b FROM (SELECT site, session_id, "
                    "event_time_ms AS t, "));
    EXPECT_TRUE(has(db.queries[1],
                    " UNION ALL SELECT site, session_id, start_ms, materialize(0), "
                    "materialize(0), materialize(0), materialize(1), channel FROM sessions "
                    "FINAL WHERE events > 0"));
    EXPECT_FALSE(has(db.queries[1], "JOIN"));
    EXPECT_FALSE(has(db.queries[1], "unhex"));
    // Per person, the entry session's value is joined.
    const auto user = funnel_sql(funnel({{"scope", "user"}, {"by", "device"}}));
    EXPECT_TRUE(has(user, "argMin(device_type, start_ms) AS b FROM sessions FINAL"));
}

TEST(analysis_queries, a_session_funnel_reads_in_two_key_ranges_sharing_the_threads) {
    // The query ahead answers the split point and the server's max_threads:
    // each range's work is counted apart, on half the threads, and summed.
    const auto o = funnel({{"by", "channel"}});
    test::fake_query_runner db;
    db.answer({json::array({"7335353500000000", "4"})});
    db.answer({json::array({"email", "8", "4", "1", 1500.0, 60000.0})},
              json::array({"", "8", "4", "1", 1500.0, 60000.0}));
    auto r = run_funnel(o, db);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->total.steps[1].count, 4u);
    EXPECT_DOUBLE_EQ(*r->groups[0].steps[2].median_ms, 60000);
    ASSERT_EQ(db.queries.size(), 2u);
    const auto& sql = db.queries[1];
    EXPECT_TRUE(has(sql, "FROM events WHERE event_time_ms >= "));
    EXPECT_TRUE(has(sql, " AND session_id < unhex('73353535') AND "));
    EXPECT_TRUE(has(sql, " AND session_id >= unhex('73353535') AND "));
    EXPECT_TRUE(has(sql, "medianStateIf(t2 - t1, level >= 2) AS m2"));
    EXPECT_TRUE(has(sql,
                    "WHERE level >= 1 GROUP BY g SETTINGS max_threads = 2 UNION ALL SELECT "
                    "if(b = '', '(none)', b) AS g, countIf(level >= 1) AS n1"));
    EXPECT_TRUE(has(sql,
                    "SELECT g, sum(n1), sum(n2), sum(n3), medianMerge(m2), medianMerge(m3) FROM "
                    "("));
    EXPECT_TRUE(has(sql, ") GROUP BY g WITH TOTALS ORDER BY sum(n1) DESC, g"));
    // Without the server's threads, each range takes the server's setting.
    EXPECT_FALSE(has(funnel_sql(o, "73"), "SETTINGS"));
    EXPECT_TRUE(has(funnel_sql(o, "73", 1), "SETTINGS max_threads = 1 UNION ALL"));
    // A person's sessions fall in both ranges: a person funnel reads once.
    test::fake_query_runner people;
    ASSERT_TRUE(run_funnel(funnel({{"scope", "user"}}), people));
    ASSERT_EQ(people.queries.size(), 1u);
    EXPECT_FALSE(has(people.queries[0], "unhex"));
    EXPECT_FALSE(has(funnel_sql(funnel({{"scope", "user"}}), "73"), "unhex"));
}

TEST(analysis_queries, strict_funnel_packs_later_steps_into_one_array) {
    // Steps 2..k: one array of time * 2^(k-1) + the steps' mask, each step's
    // time read from it after the grouping without an array of its own
    // (what it computes: the integration tests).
    const auto three = funnel_sql(funnel({}));
    EXPECT_TRUE(has(three, "groupArrayIf(event_time_ms * 4 + ("));
    EXPECT_TRUE(has(three,
                    "if(t1 > 0, intDiv(arrayReduce('min', arrayFilter(x -> bitAnd(x, 1) "
                    "!= 0 AND x >= t1 * 4, p)), 4), 0) AS t2"));
    EXPECT_TRUE(has(three,
                    "if(t2 > 0, intDiv(arrayReduce('min', arrayFilter(x -> bitAnd(x, 2) "
                    "!= 0 AND x >= t2 * 4, p)), 4), 0) AS t3"));
    EXPECT_FALSE(has(three, "AS a1"));
    EXPECT_FALSE(has(three, "AS a2"));
    params ten;
    for (int i = 0; i < 10; ++i) ten.push_back({"step", "page:/" + std::to_string(i)});
    const auto o = parse_funnel_params(ten, now);
    ASSERT_TRUE(o) << o.error().message;
    const auto sql = funnel_sql(*o);
    EXPECT_TRUE(has(sql, "groupArrayIf(event_time_ms * 512 + ("));
    EXPECT_TRUE(has(sql, "bitAnd(x, 256) != 0 AND x >= t9 * 512, p)), 512), 0) AS t10"));
    // Any order keeps an array per step.
    const auto any = funnel_sql(funnel({{"order", "any"}}));
    EXPECT_TRUE(has(any, "AS a1"));
    EXPECT_FALSE(has(any, "AS p"));
}

TEST(analysis_queries, an_empty_funnel_is_all_zeros) {
    const auto o = funnel({});
    test::fake_query_runner db;
    db.answer({});
    auto r = run_funnel(o, db);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->total.steps[0].count, 0u);
    EXPECT_EQ(r->total.steps[2].conversion, 0);
    const auto j = to_json(o, *r);
    EXPECT_EQ(j["steps"][1]["median_ms_from_previous"], nullptr);
    EXPECT_EQ(j["unit"], "sessions");
}

TEST(analysis_queries, funnel_scope_and_order_shape_the_sql) {
    const auto session = funnel_sql(funnel({}));
    EXPECT_TRUE(has(session, "SELECT site, session_id AS unit"));
    EXPECT_FALSE(has(session, "known_user_id"));
    EXPECT_TRUE(has(session, "minIf(event_time_ms, ((type IN"));
    EXPECT_TRUE(has(session, "HAVING t1 > 0"));
    EXPECT_TRUE(has(session, "arrayFilter(x -> bitAnd(x, 1) != 0 AND x >= t1 * 4, p)"));
    const auto user = funnel_sql(funnel({{"scope", "user"}, {"window", "2d"}}));
    EXPECT_TRUE(has(user, "ANY LEFT JOIN (SELECT site, anonymous_id, argMax(user_id, end_ms)"));
    EXPECT_TRUE(has(user,
                    "arrayFilter(x -> bitAnd(x, 1) != 0 AND x >= t1 * 4 AND x < (t1 + "
                    "172800000 + 1) * 4, p)"));
    const auto any = funnel_sql(funnel({{"order", "any"}}));
    EXPECT_TRUE(has(any, "if(r1, if(r2, if(r3, 3, 2), 1), 0) AS level"));
    EXPECT_FALSE(has(any, "medianIf"));
    EXPECT_EQ(parse_funnel_params({{"step", "page:/"}, {"step", "page:/a"}, {"window", "1d"}}, now)
                  .error()
                  .message,
              "window applies to scope=user (a session is its own window)");
    EXPECT_EQ(parse_funnel_params({{"step", "page:/"}, {"step", "page:/a"}, {"by", "os"}}, now)
                  .error()
                  .message,
              "bad by 'os': expected channel, device, campaign or landing_page");
}

TEST(analysis_queries, path_sequences_slice_from_a_start_or_into_an_end) {
    auto o = *parse_paths_params({{"start", "/a"}, {"depth", "3"}}, now);
    EXPECT_EQ(path_expression(o), "arraySlice(p, toInt64(indexOf(p, '/a')), 3)");
    o.exits = true;
    EXPECT_EQ(path_expression(o),
              "if(toInt64(indexOf(p, '/a')) + 3 - 1 >= length(p), "
              "arrayPushBack(arraySlice(p, toInt64(indexOf(p, '/a')), 3), '(exit)'), "
              "arraySlice(p, toInt64(indexOf(p, '/a')), 3))");
    const auto e = *parse_paths_params({{"end", "/z"}, {"depth", "2"}}, now);
    EXPECT_EQ(path_expression(e),
              "arraySlice(p, greatest(1, toInt64(indexOf(p, '/z')) - 2 + 1), "
              "toInt64(indexOf(p, '/z')) - greatest(1, toInt64(indexOf(p, '/z')) - 2 + 1) + 1)");
    const auto c = *parse_paths_params({{"collapse", "1"}}, now);
    EXPECT_TRUE(has(paths_sql(c), "arrayFilter((x, i) -> i = 1 OR x != pages[i - 1]"));
    EXPECT_EQ(parse_paths_params({{"start", "/a"}, {"end", "/b"}}, now).error().message,
              "give a start page or an end page, not both");
    EXPECT_EQ(parse_paths_params({{"start", "a"}}, now).error().message,
              "bad page 'a': a page path starts with '/'");
}

TEST(analysis_queries, paths_read_sequences_shares_and_transitions) {
    auto o = *parse_paths_params({{"start", "/"}, {"limit", "2"}}, now);
    test::fake_query_runner db;
    // One answer: the count (i = -1), sequences (i = 0), transitions (i >= 1),
    // each i cut by ClickHouse at the larger limit (here transitions_limit 50).
    db.answer({json::array({"-1", json::array(), "4"}),
               json::array({"0", json::array({"/", "/a"}), "3"}),
               json::array({"0", json::array({"/"}), "1"}),
               json::array({"0", json::array({"/", "/b"}), "1"}),
               json::array({"1", json::array({"/", "/a"}), "3"}),
               json::array({"2", json::array({"/a", "/c"}), "2"})});
    auto r = run_paths(o, db);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->sessions, 4u);
    ASSERT_EQ(r->sequences.size(), 2u) << "the third sequence is past the limit of 2";
    EXPECT_EQ(r->sequences[0].pages, (std::vector<std::string>{"/", "/a"}));
    EXPECT_DOUBLE_EQ(r->sequences[0].share, 0.75);
    EXPECT_EQ(r->sequences[1].pages, (std::vector<std::string>{"/"}));
    ASSERT_EQ(r->transitions.size(), 2u);
    EXPECT_EQ(r->transitions[0].step, 1);
    EXPECT_EQ(r->transitions[0].from, "/");
    EXPECT_EQ(r->transitions[0].to, "/a");
    EXPECT_EQ(r->transitions[0].sessions, 3u);
    EXPECT_EQ(r->transitions[1].step, 2);
    EXPECT_EQ(r->transitions[1].to, "/c");
    ASSERT_EQ(db.queries.size(), 1u);
    EXPECT_TRUE(has(db.queries[0],
                    "ARRAY JOIN arrayConcat([-1, 0], "
                    "arrayEnumerate(arrayPopBack(path))) AS i"));
    EXPECT_TRUE(has(db.queries[0], "LIMIT 50 BY i"));
    // A transition limit below the sequence limit: each i is cut at the larger,
    // the transitions in C++.
    o.limit = 20;
    o.transitions_limit = 1;
    db.answer({json::array({"-1", json::array(), "4"}),
               json::array({"1", json::array({"/", "/a"}), "3"}),
               json::array({"1", json::array({"/", "/b"}), "1"})});
    r = run_paths(o, db);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->transitions.size(), 1u);
    EXPECT_EQ(r->transitions[0].to, "/a");
    EXPECT_TRUE(has(db.queries[1], "LIMIT 20 BY i"));
    // No matching session: no rows at all.
    r = run_paths(o, db);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->sessions, 0u);
    EXPECT_TRUE(r->sequences.empty());
}

TEST(analysis_queries, attribution_reads_journeys_and_null_path_steps) {
    const auto o = *parse_attribution_params({{"lookback", "2d"}, {"half_life", "1d"}}, now);
    test::fake_query_runner db;
    const std::int64_t t = 1'794'000'000'000;
    // The sessions' median id, "s554560" and zero padding: where the read
    // splits in two.
    db.answer({json::array({"7335353435363000"})});
    // One journey, and the non-converting path (email) of three people, as
    // the steps of its chain: start → email → null.
    db.answer(
        {json::array({0, json::array({"email", "direct"}), json::array({0, 1}),
                      json::array({std::to_string(t - 86'400'000), std::to_string(t)}),
                      std::to_string(t), 2, 10.5, "1"}),
         json::array({1, json::array({"", "email"}), json::array(), json::array(), 0, 0, 0, "3"}),
         json::array({1, json::array({"email", ""}), json::array(), json::array(), 0, 0, 0, "3"})});
    auto r = run_attribution(o, db);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->conversions, 2);
    EXPECT_EQ(r->revenue, 10.5);
    EXPECT_EQ(r->null_paths, 3u);
    // Last non-direct skips the direct visit after the email one.
    for (const auto& row : r->rows) {
        const auto lnd = row.by_model[static_cast<std::size_t>(model::last_non_direct)];
        EXPECT_EQ(lnd.conversions, row.value == "email" ? 2 : 0) << row.value;
    }
    // The same as the path itself: the chain is what the steps say.
    journey j{{{"email", false, t - 86'400'000}, {"direct", true, t}}, t, 2, 10.5};
    const auto from_paths = markov_shares({j}, transitions_of({{{"email"}, 3}}));
    const auto markov = static_cast<std::size_t>(model::markov);
    for (const auto& [value, share] : from_paths) {
        for (const auto& row : r->rows) {
            if (row.value == value) {
                EXPECT_DOUBLE_EQ(row.by_model[markov].conversions, 2 * share);
            }
        }
    }
    ASSERT_EQ(db.queries.size(), 2u);
    EXPECT_TRUE(has(db.queries[0], "quantileDeterministic(0.5)"));
    EXPECT_TRUE(has(db.queries[0], "start_ms >= " + std::to_string(o.where.from_ms() - 172800000)));
    EXPECT_TRUE(has(db.queries[1], "arrayFirstIndex(x -> x + 172800000 >= at, s)"));
    EXPECT_TRUE(has(db.queries[1], "start_ms >= " + std::to_string(o.where.from_ms() - 172800000)));
    EXPECT_TRUE(has(db.queries[1], " AND session_id < unhex('73353534353630') UNION ALL "));
    EXPECT_TRUE(has(db.queries[1], " AND session_id >= unhex('73353534353630')"));
    const auto j2 = to_json(o, *r);
    EXPECT_EQ(j2["models"].size(), 7u);
    EXPECT_EQ(j2["totals"]["markov"]["conversions"], 2.0);
    // A step that is not a pair is a bad answer.
    db.answer({json::array({"7335353435363000"})});
    db.answer(
        {json::array({1, json::array({"email"}), json::array(), json::array(), 0, 0, 0, "3"})});
    EXPECT_EQ(run_attribution(o, db).error().code, errc::bad_answer);
}

TEST(analysis_queries, attribution_credits_do_not_depend_on_the_order_of_the_answer) {
    const auto o = *parse_attribution_params({{"lookback", "2d"}}, now);
    const std::int64_t t = 1'794'000'000'000;
    // Revenues whose sum depends on the order it is taken in: (0.1 + 0.2) +
    // 0.3 and (0.3 + 0.2) + 0.1 differ in their last bit.
    auto row = [&](const char* value, std::int64_t at, double revenue) {
        return json::array({0, json::array({value}), json::array({0}),
                            json::array({std::to_string(at)}), std::to_string(at), 1, revenue,
                            "1"});
    };
    std::vector<json> rows = {
        row("email", t - 3000, 0.1),
        row("email", t - 2000, 0.2),
        row("email", t - 1000, 0.3),
        row("ads", t - 500, 0.7),
        json::array({1, json::array({"", "ads"}), json::array(), json::array(), 0, 0, 0, "2"}),
        json::array({1, json::array({"ads", ""}), json::array(), json::array(), 0, 0, 0, "2"})};
    std::string first;
    for (int order = 0; order < 2; ++order) {
        test::fake_query_runner db;
        db.answer({});  // no split point
        db.answer(rows);
        auto r = run_attribution(o, db);
        ASSERT_TRUE(r) << r.error().message;
        const auto text = to_json(o, *r).dump();
        if (order == 0) first = text;
        EXPECT_EQ(text, first) << "the answer reversed";
        std::reverse(rows.begin(), rows.end());
    }
}

TEST(analysis_queries, attribution_reads_in_one_piece_without_a_split_point) {
    const auto o = *parse_attribution_params({}, now);
    test::fake_query_runner db;
    db.answer({});  // no sessions in the range: no median
    ASSERT_TRUE(run_attribution(o, db));
    ASSERT_EQ(db.queries.size(), 2u);
    EXPECT_FALSE(has(db.queries[1], "UNION ALL"));
    EXPECT_FALSE(has(db.queries[1], "unhex"));
    // The first query failing is passed on, and nothing else is asked.
    test::fake_query_runner down;
    down.fail(errc::database, "ClickHouse: unreachable");
    EXPECT_EQ(run_attribution(o, down).error().code, errc::database);
    EXPECT_EQ(down.queries.size(), 1u);
}

TEST(analysis_queries, attribution_split_point_is_the_median_without_its_padding) {
    EXPECT_EQ(split_point_hex("7335353435363000"), "73353534353630");
    EXPECT_EQ(split_point_hex("3F2A00B100000000"), "3F2A00B1") << "inner zero bytes stay";
    EXPECT_EQ(split_point_hex("0000000000000000"), "") << "no ids: no split";
    EXPECT_EQ(split_point_hex(""), "");
    EXPECT_EQ(split_point_hex("7G"), "") << "not hex";
    EXPECT_EQ(split_point_hex("735"), "") << "not whole bytes";
    EXPECT_EQ(split_point_hex("'); DROP"), "");
}

TEST(analysis_queries, a_database_failure_is_passed_on) {
    test::fake_query_runner db;
    db.fail(errc::database, "ClickHouse: unreachable");
    auto r = run_sessions(*parse_sessions_params({}, now), db);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::database);
    test::fake_query_runner bad;
    bad.answer({json::array({1})});
    bad.answer({json::array({"only one cell"})});
    auto s = run_sessions(*parse_sessions_params({}, now), bad);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, errc::bad_answer);
}

}  // namespace
}  // namespace clickstream::analysis
