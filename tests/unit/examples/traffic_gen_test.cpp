// The traffic generator without a network: its model (bots, channels, user
// agents, returns), and whole runs through the real SDK on an in-memory
// transport, checked through the ground truth they write.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/scripted_transport.h"
#include "support/stack.h"
#include "traffic_gen/generator.h"
#include "traffic_gen/model.h"

namespace {

namespace tg = clickstream::traffic_gen;
using json = nlohmann::json;

const tg::catalog& data() {
    static const tg::catalog c = tg::load_catalog(
        tg::default_data_paths(clickstream::test::project_root() / "node_modules"));
    return c;
}

constexpr std::int64_t jan_1_2025 = 1735689600000;

tg::generator_options small_run(std::uint64_t seed) {
    tg::generator_options o;
    o.collector = "http://collector.invalid";
    o.seed = seed;
    o.visitors = 40;
    o.days = 5;
    o.start_ms = jan_1_2025;
    o.session_timeout_s = 600;
    o.bot_share = 0.15;
    o.progress = false;
    return o;
}

struct run_output {
    std::string truth;
    tg::run_report report;
    std::vector<clickstream::test::recorded_request> requests;
};

run_output run(const tg::generator_options& o,
               std::shared_ptr<clickstream::test::scripted_transport> t = nullptr) {
    if (!t) t = std::make_shared<clickstream::test::scripted_transport>();
    std::ostringstream truth;
    tg::run_environment env;
    env.transport = t;
    env.ground_truth = &truth;
    auto ran = tg::run(o, data(), env);
    EXPECT_TRUE(ran) << (ran ? "" : ran.error());
    run_output out{truth.str(), ran ? *ran : tg::run_report{}, t->requests()};
    return out;
}

std::vector<json> lines_of_kind(const std::string& truth, const std::string& kind) {
    std::vector<json> out;
    std::istringstream in(truth);
    for (std::string line; std::getline(in, line);) {
        json j = json::parse(line);
        if (j["kind"] == kind) out.push_back(std::move(j));
    }
    return out;
}

TEST(traffic_gen, the_same_seed_gives_the_same_ground_truth) {
    const auto a = run(small_run(7));
    const auto b = run(small_run(7));
    ASSERT_GT(lines_of_kind(a.truth, "event").size(), 200U) << "too little traffic to compare";
    EXPECT_EQ(a.truth, b.truth);
}

TEST(traffic_gen, different_seeds_give_different_traffic) {
    const auto a = lines_of_kind(run(small_run(7)).truth, "event");
    const auto b = lines_of_kind(run(small_run(8)).truth, "event");
    std::set<std::string> ids_a, ids_b;
    for (const auto& e : a) ids_a.insert(e["anonymous_id"].get<std::string>());
    for (const auto& e : b) ids_b.insert(e["anonymous_id"].get<std::string>());
    std::vector<std::string> common;
    std::set_intersection(ids_a.begin(), ids_a.end(), ids_b.begin(), ids_b.end(),
                          std::back_inserter(common));
    EXPECT_TRUE(common.empty()) << "visitors of seed 7 reappear with seed 8";
    EXPECT_NE(a.size(), b.size());
}

TEST(traffic_gen, the_ground_truth_lists_exactly_what_the_sdk_sent) {
    const auto out = run(small_run(11));
    std::map<std::string, json> sent;  // id -> event as sent
    for (const auto& r : out.requests) {
        const json batch = json::parse(r.body);
        for (const auto& e : batch["events"]) {
            sent.emplace(e["id"].get<std::string>(), e);  // a retry may repeat an id
        }
    }
    const auto events = lines_of_kind(out.truth, "event");
    std::set<std::string> listed;
    for (const auto& e : events) {
        const auto id = e["id"].get<std::string>();
        EXPECT_TRUE(listed.insert(id).second) << "listed twice: " << id;
        const auto it = sent.find(id);
        ASSERT_NE(it, sent.end()) << "never sent: " << e.dump();
        EXPECT_EQ(it->second["session_id"], e["session_id"]);
        EXPECT_EQ(it->second["type"], e["type"]);
        EXPECT_EQ(it->second["ts"], e["ts"]);
        // Historical mode: every event carries its true time, sign-ins
        // (identify) included.
        EXPECT_EQ(it->second["true_ts"], e["true_ts"]) << e.dump();
    }
    EXPECT_EQ(listed.size(), sent.size());
    const auto totals = lines_of_kind(out.truth, "totals");
    ASSERT_EQ(totals.size(), 1U);
    EXPECT_EQ(totals[0]["events"], events.size());
    EXPECT_EQ(out.report.sent_events, events.size());
}

TEST(traffic_gen, sessions_rotate_exactly_when_the_gap_reaches_the_timeout) {
    auto o = small_run(21);
    o.visitors = 120;
    o.session_timeout_s = 300;
    const auto events = lines_of_kind(run(o).truth, "event");
    std::map<std::string, std::vector<json>> by_visitor;
    for (const auto& e : events) by_visitor[e["anonymous_id"].get<std::string>()].push_back(e);
    const std::int64_t timeout_ms = 300 * 1000;
    int rotations_in_a_visit = 0, long_pauses_kept = 0, returns = 0;
    for (auto& [id, list] : by_visitor) {
        std::sort(list.begin(), list.end(),
                  [](const json& a, const json& b) { return a["true_ts"] < b["true_ts"]; });
        for (std::size_t i = 1; i < list.size(); ++i) {
            const std::int64_t gap =
                list[i]["true_ts"].get<std::int64_t>() - list[i - 1]["true_ts"].get<std::int64_t>();
            const bool new_session = list[i]["session_id"] != list[i - 1]["session_id"];
            EXPECT_EQ(new_session, gap >= timeout_ms)
                << id << " gap " << gap << " ms at " << list[i]["true_ts"];
            EXPECT_EQ(new_session, list[i]["session"] != list[i - 1]["session"])
                << "the SDK's sessions are the model's";
            if (new_session && list[i]["visit"] == list[i - 1]["visit"]) ++rotations_in_a_visit;
            if (new_session && list[i]["visit"] != list[i - 1]["visit"]) ++returns;
            if (!new_session && gap >= timeout_ms / 2) ++long_pauses_kept;
        }
    }
    // The boundary was tried from both sides.
    EXPECT_GT(rotations_in_a_visit, 0);
    EXPECT_GT(long_pauses_kept, 0);
    EXPECT_GT(returns, 0);
}

TEST(traffic_gen, returning_visitors_keep_their_id_and_sign_in_sticks) {
    auto o = small_run(5);
    o.visitors = 150;
    o.days = 20;
    const auto sessions = lines_of_kind(run(o).truth, "session");
    std::map<std::string, std::vector<json>> by_visitor;
    for (const auto& s : sessions) by_visitor[s["anonymous_id"].get<std::string>()].push_back(s);
    int returning = 0, signed_in_later = 0;
    for (const auto& [id, list] : by_visitor) {
        for (std::size_t i = 1; i < list.size(); ++i) {
            EXPECT_EQ(list[i]["session_index"], list[i - 1]["session_index"].get<int>() + 1) << id;
            EXPECT_NE(list[i]["session_id"], list[i - 1]["session_id"]);
            if (list[i]["visit"] != list[i - 1]["visit"]) ++returning;
            if (!list[i - 1]["user_id"].is_null()) {
                EXPECT_EQ(list[i]["user_id"], list[i - 1]["user_id"]) << id;
                ++signed_in_later;
            }
        }
    }
    EXPECT_GT(returning, 0);
    EXPECT_GT(signed_in_later, 0);
}

TEST(traffic_gen, conversions_carry_revenue_and_sessions_sum_it) {
    auto o = small_run(9);
    o.visitors = 200;
    const auto out = run(o);
    std::map<std::string, double> revenue;
    int purchases = 0;
    for (const auto& e : lines_of_kind(out.truth, "event")) {
        if (e["type"] != "conversion") continue;
        ++purchases;
        EXPECT_EQ(e["name"], "purchase");
        EXPECT_EQ(e["currency"], "EUR");
        EXPECT_GT(e["value"].get<double>(), 0);
        EXPECT_EQ(e["path"], "/thanks");
        revenue[e["session_id"].get<std::string>()] += e["value"].get<double>();
    }
    ASSERT_GT(purchases, 0);
    int converted = 0;
    for (const auto& s : lines_of_kind(out.truth, "session")) {
        const auto it = revenue.find(s["session_id"].get<std::string>());
        EXPECT_EQ(s["converted"], it != revenue.end());
        if (it == revenue.end()) continue;
        ++converted;
        EXPECT_NEAR(s["revenue"].get<double>(), it->second, 1e-9);
        EXPECT_FALSE(s["is_bot"].get<bool>()) << "bots do not buy";
    }
    EXPECT_EQ(converted, static_cast<int>(revenue.size()));
}

TEST(traffic_gen, bot_share_matches_the_configured_share) {
    for (const double share : {0.0, 0.1, 0.3}) {
        tg::model_options mo;
        mo.bot_share = share;
        const tg::visitor_model model(data(), tg::demo_shop(), mo);
        constexpr int n = 20000;
        int bots = 0;
        std::map<tg::visitor_kind, int> kinds;
        for (int i = 0; i < n; ++i) {
            const auto v = model.make_visitor(99, static_cast<std::uint64_t>(i));
            bots += tg::is_bot(v.kind) ? 1 : 0;
            ++kinds[v.kind];
        }
        // Binomial: within 4.5 standard deviations (a false alarm is ~1 in 150,000).
        const double sd = std::sqrt(share * (1 - share) / n);
        EXPECT_LE(std::abs(static_cast<double>(bots) / n - share), 4.5 * sd + 1e-12)
            << "share " << share << ": " << bots << " bots of " << n;
        if (share > 0) {
            EXPECT_GT(kinds[tg::visitor_kind::crawler], 0);
            EXPECT_GT(kinds[tg::visitor_kind::headless], 0);
            EXPECT_GT(kinds[tg::visitor_kind::too_fast], 0);
        }
    }
}

TEST(traffic_gen, bots_carry_the_signs_the_filter_looks_for) {
    tg::model_options mo;
    mo.bot_share = 1.0;
    const tg::visitor_model model(data(), tg::demo_shop(), mo);
    const std::set<std::string> crawlers(data().crawler_agents.begin(),
                                         data().crawler_agents.end());
    std::map<tg::visitor_kind, int> seen;
    for (std::uint64_t i = 0; i < 300; ++i) {
        auto v = model.make_visitor(3, i);
        ++seen[v.kind];
        const auto plan = model.plan_visit(v, jan_1_2025);
        switch (v.kind) {
            case tg::visitor_kind::crawler:
                EXPECT_EQ(crawlers.count(v.user_agent), 1U) << v.user_agent;
                break;
            case tg::visitor_kind::headless:
                EXPECT_NE(v.user_agent.find("HeadlessChrome/"), std::string::npos);
                EXPECT_TRUE(v.webdriver);
                break;
            case tg::visitor_kind::too_fast: {
                EXPECT_FALSE(v.webdriver);
                // The processor's behaviour rule: a bucket of 30, refilled at
                // 10 events/s on event time. This visit must run it dry.
                double tokens = 30;
                std::int64_t last = plan.events.front().t;
                bool ran_out = false;
                for (const auto& e : plan.events) {
                    tokens = std::min(30.0, tokens + static_cast<double>(e.t - last) / 100.0);
                    last = e.t;
                    if (tokens < 1) ran_out = true;
                    tokens -= 1;
                }
                EXPECT_TRUE(ran_out) << plan.events.size() << " events";
                break;
            }
            case tg::visitor_kind::human:
                ADD_FAILURE() << "bot share 1 made a person";
                break;
        }
    }
    EXPECT_EQ(seen.size(), 3U);
}

TEST(traffic_gen, every_channel_arrives_as_intended) {
    tg::model_options mo;
    mo.bot_share = 0;
    const tg::visitor_model model(data(), tg::demo_shop(), mo);
    std::map<std::string, int> count;
    for (std::uint64_t i = 0; i < 3000; ++i) {
        auto v = model.make_visitor(17, i);
        const auto plan = model.plan_visit(v, jan_1_2025);
        ASSERT_FALSE(plan.sessions.empty());
        const std::string via = tg::to_string(plan.sessions.front().via);
        ++count[via];
        const auto& first = plan.events.front().ev;
        ASSERT_EQ(first.type, clickstream::event_type::page_view);
        const auto has = [&](const std::string& s) {
            return first.url.find(s) != std::string::npos;
        };
        if (via == "direct") {
            EXPECT_TRUE(first.referrer.empty()) << first.referrer;
            EXPECT_FALSE(has("?")) << first.url;
        } else if (via == "organic_search") {
            EXPECT_FALSE(first.referrer.empty());
            EXPECT_FALSE(has("utm_")) << first.url;
        } else if (via == "social") {
            EXPECT_FALSE(first.referrer.empty());
            EXPECT_FALSE(has("utm_")) << first.url;
        } else if (via == "paid_search") {
            EXPECT_TRUE(has("utm_medium=cpc")) << first.url;
            EXPECT_TRUE(has("gclid=") || has("msclkid=")) << first.url;
        } else if (via == "paid_social") {
            EXPECT_TRUE(has("utm_medium=paid_social") && has("fbclid=")) << first.url;
        } else if (via == "email") {
            EXPECT_TRUE(has("utm_medium=email")) << first.url;
        }
    }
    for (const auto c : tg::all_channels) {
        EXPECT_GT(count[tg::to_string(c)], 50) << tg::to_string(c);
    }
}

TEST(traffic_gen, user_agents_are_drawn_by_their_weights) {
    const auto& c = data();
    // The 30 heaviest entries one by one, the rest together: a chi-square
    // test with 30 degrees of freedom; 59.7 is its 0.1 % critical value.
    std::vector<std::size_t> order(c.user_agents.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return c.user_agents[a].weight > c.user_agents[b].weight;
    });
    // By entry, not by string: the list has the same user agent with
    // different screens.
    std::vector<std::size_t> bucket_of(order.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        bucket_of[order[i]] = std::min<std::size_t>(i, 30);
    const auto index_of = [&](const tg::user_agent_entry& e) {
        return static_cast<std::size_t>(&e - c.user_agents.data());
    };
    std::vector<double> expected(31, 0);
    const double total = c.user_agent_sums.back();
    for (std::size_t i = 0; i < order.size(); ++i) {
        expected[std::min<std::size_t>(i, 30)] += c.user_agents[order[i]].weight / total;
    }
    constexpr int n = 200000;
    std::vector<double> observed(31, 0);
    tg::rng r(12345);
    for (int i = 0; i < n; ++i) observed[bucket_of[index_of(c.draw_user_agent(r))]] += 1;
    double chi2 = 0;
    for (std::size_t b = 0; b < 31; ++b) {
        const double e = expected[b] * n;
        chi2 += (observed[b] - e) * (observed[b] - e) / e;
    }
    EXPECT_LT(chi2, 59.7);
    // And a draw that ignored the weights fails it by far.
    std::vector<double> uniform(31, 0);
    for (int i = 0; i < n; ++i) {
        uniform[bucket_of[r.below(c.user_agents.size())]] += 1;
    }
    double chi2_uniform = 0;
    for (std::size_t b = 0; b < 31; ++b) {
        const double e = expected[b] * n;
        chi2_uniform += (uniform[b] - e) * (uniform[b] - e) / e;
    }
    EXPECT_GT(chi2_uniform, 59.7);
}

TEST(traffic_gen, a_refusing_collector_fails_the_run_with_the_reason) {
    auto t = std::make_shared<clickstream::test::scripted_transport>();
    t->otherwise(clickstream::send_result::drop("HTTP 403", 403));
    std::ostringstream truth;
    tg::run_environment env;
    env.transport = t;
    env.ground_truth = &truth;
    const auto ran = tg::run(small_run(1), data(), env);
    ASSERT_FALSE(ran);
    EXPECT_NE(ran.error().find("refused"), std::string::npos) << ran.error();
    EXPECT_NE(ran.error().find("HTTP 403"), std::string::npos) << ran.error();
}

TEST(traffic_gen, the_session_timeout_comes_from_the_collector_unless_given) {
    auto t = std::make_shared<clickstream::test::scripted_transport>();
    t->serve_config(R"({"session_timeout_s":900})");
    auto o = small_run(2);
    o.visitors = 3;
    o.session_timeout_s.reset();
    const auto out = run(o, t);
    EXPECT_EQ(out.report.session_timeout_s, 900);
    ASSERT_EQ(t->fetched().size(), 1U);
    EXPECT_EQ(t->fetched()[0], "http://collector.invalid/v1/config?site=demo");
    EXPECT_EQ(lines_of_kind(out.truth, "run").at(0)["session_timeout_s"], 900);
}

TEST(traffic_gen, command_line) {
    const auto parse = [](std::vector<std::string> args) { return tg::parse_arguments(args); };
    auto ok = parse({"--collector", "http://127.0.0.1:8080", "--mode", "live", "--rate", "12",
                     "--bot-share", "0.25", "--seed", "42", "--session-timeout", "120", "--start",
                     "2025-01-01", "--ground-truth", "gt.jsonl"});
    ASSERT_TRUE(ok) << ok.error();
    EXPECT_EQ(ok->mode, tg::run_mode::live);
    EXPECT_EQ(ok->rate, 12);
    EXPECT_EQ(ok->bot_share, 0.25);
    EXPECT_EQ(ok->seed, 42U);
    EXPECT_EQ(ok->session_timeout_s, 120);
    EXPECT_EQ(ok->start_ms, jan_1_2025);
    EXPECT_EQ(ok->ground_truth, "gt.jsonl");
    EXPECT_EQ(parse({"--help"}).error(), "help");
    EXPECT_FALSE(parse({}));  // no collector
    EXPECT_FALSE(parse({"--collector", "x", "--bot-share", "1.5"}));
    EXPECT_FALSE(parse({"--collector", "x", "--mode", "fast"}));
    EXPECT_FALSE(parse({"--collector", "x", "--days"}));
    EXPECT_FALSE(parse({"--collector", "x", "--start", "2025-13-01"}));
    EXPECT_FALSE(parse({"--collector", "x", "--frobnicate", "1"}));
    EXPECT_NE(tg::usage().find("--ground-truth"), std::string::npos);
}

}  // namespace
