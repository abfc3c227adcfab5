#include "processor/dashboard/live_aggregate.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/stack.h"

namespace clickstream::dashboard {
namespace {

using nlohmann::json;

constexpr std::int64_t minute = 60'000;
// A whole minute, so bucket arithmetic in the tests reads plainly.
constexpr std::int64_t t0 = 1'764'100'000'000 / minute * minute;

std::vector<json> golden(const std::string& name) {
    std::ifstream in(test::contracts_dir() / "clean-event" / name);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str()).get<std::vector<json>>();
}

// A clean event of the golden web session, moved to `at` and given ids.
json event(std::int64_t at, const std::string& visitor, const std::string& type = "page_view",
           const std::string& path = "/") {
    static const json first = golden("web_session.json").front();
    json e = first;
    e["event_time_ms"] = at;
    e["anonymous_id"] = visitor;
    e["type"] = type;
    e["url_path"] = path;
    return e;
}

TEST(live_aggregate, golden_web_session_counts_views_dimensions_and_feed) {
    live_aggregate agg;
    const auto events = golden("web_session.json");
    const std::int64_t now = events.back()["event_time_ms"].get<std::int64_t>() + 1000;
    for (const auto& e : events) EXPECT_EQ(agg.add(e.dump(), false, now), add_result::applied);
    const json s = agg.snapshot("demo-shop", 3'600'000, now);
    EXPECT_EQ(s["totals"]["events"], 4);
    EXPECT_EQ(s["totals"]["views"], 1);
    EXPECT_EQ(s["totals"]["bots"], 0);
    EXPECT_EQ(s["totals"]["active_visitors"], 1);
    EXPECT_EQ(s["top"]["pages"], json::parse(R"([["/products/blue-mug", 1]])"));
    EXPECT_EQ(s["top"]["referrers"], json::parse(R"([["www.google.com", 1]])"));
    EXPECT_EQ(s["top"]["campaigns"], json::parse(R"([["winter", 1]])"));
    EXPECT_EQ(s["top"]["channels"], json::parse(R"([["email", 1]])"));
    EXPECT_EQ(s["top"]["devices"], json::parse(R"([["desktop", 1]])"));
    EXPECT_EQ(s["top"]["browsers"], json::parse(R"([["Chrome", 1]])"));
    ASSERT_EQ(s["feed"].size(), 4u);
    EXPECT_EQ(s["feed"][0]["type"], "hover");  // newest first
    EXPECT_EQ(s["feed"][3]["type"], "page_view");
    EXPECT_EQ(s["sites"], json::parse(R"(["demo-shop"])"));
}

TEST(live_aggregate, golden_app_purchase_counts_screen_views_conversions_and_revenue) {
    live_aggregate agg;
    const auto events = golden("app_purchase.json");
    const std::int64_t now = events.back()["event_time_ms"].get<std::int64_t>();
    for (const auto& e : events) ASSERT_EQ(agg.add(e.dump(), false, now), add_result::applied);
    const json s = agg.snapshot("demo-app", 3'600'000, now);
    EXPECT_EQ(s["totals"]["views"], 1);
    EXPECT_EQ(s["totals"]["conversions"], 1);
    EXPECT_DOUBLE_EQ(s["totals"]["revenue"]["EUR"].get<double>(), 49.9);
    EXPECT_EQ(s["top"]["referrers"], json::array());  // direct: no referrer
    EXPECT_EQ(s["top"]["channels"], json::parse(R"([["direct", 1]])"));
}

TEST(live_aggregate, bots_count_apart_and_give_the_share) {
    live_aggregate agg;
    const std::int64_t now = t0 + 30'000;
    for (int i = 0; i < 3; ++i) agg.add(event(now, "v" + std::to_string(i)).dump(), false, now);
    json bot = event(now, "crawler");
    bot["is_bot"] = true;
    bot["bot_rule"] = "crawler_user_agent";
    agg.add(bot.dump(), true, now);
    const json s = agg.snapshot("demo-shop", 3'600'000, now);
    EXPECT_EQ(s["totals"]["events"], 3);
    EXPECT_EQ(s["totals"]["views"], 3);
    EXPECT_EQ(s["totals"]["bots"], 1);
    EXPECT_DOUBLE_EQ(s["totals"]["bot_share"].get<double>(), 0.25);
    EXPECT_EQ(s["totals"]["active_visitors"], 3);  // the bot is no visitor
    EXPECT_EQ(s["feed"][0]["bot"], true);
    EXPECT_EQ(s["feed"][0]["bot_rule"], "crawler_user_agent");
}

TEST(live_aggregate, active_visitors_are_those_seen_in_the_last_five_minutes) {
    live_aggregate agg;
    const std::int64_t now = t0 + 10 * minute + 5'000;
    agg.add(event(now - 10 * minute, "old").dump(), false, now);    // minute -10
    agg.add(event(now - 4 * minute, "recent").dump(), false, now);  // minute -4
    agg.add(event(now - 4 * minute, "recent").dump(), false, now);  // the same visitor
    agg.add(event(now, "now").dump(), false, now);
    const json s = agg.snapshot("demo-shop", 15 * minute, now);
    EXPECT_EQ(s["totals"]["active_visitors"], 2);
    // The trend: minute -10 sees "old" for five minutes (-10 … -6).
    const auto& v = s["active_trend"]["v"];
    ASSERT_EQ(v.size(), 15u);
    EXPECT_EQ(v[14 - 10], 1);
    EXPECT_EQ(v[14 - 6], 1);
    EXPECT_EQ(v[14 - 5], 0);
    EXPECT_EQ(v[14 - 4], 1);
    EXPECT_EQ(v[14], 2);
}

TEST(live_aggregate, series_hold_one_point_per_second_and_per_minute_of_the_range) {
    live_aggregate agg;
    const std::int64_t now = t0 + 2 * minute + 10'500;  // 10 s into the third minute
    agg.add(event(now - 1000, "a").dump(), false, now);
    agg.add(event(now - 1000, "b", "click").dump(), false, now);
    agg.add(event(now - 2 * minute, "c").dump(), false, now);
    const json s = agg.snapshot("demo-shop", 3 * minute, now);
    const auto& eps = s["events_per_second"];
    ASSERT_EQ(eps["t"].size(), 2u * 60 + 11);  // two whole minutes and 0…10 s of this one
    EXPECT_EQ(eps["t"].front(), t0 / 1000);
    EXPECT_EQ(eps["v"][2 * 60 + 9], 2);
    EXPECT_EQ(eps["v"][10], 1);
    EXPECT_EQ(s["views_per_minute"]["v"], json::parse("[1, 0, 1]"));
    EXPECT_EQ(s["views_per_minute"]["t"][0], t0);
}

TEST(live_aggregate, a_shorter_range_counts_only_its_minutes) {
    live_aggregate agg;
    const std::int64_t now = t0 + 30 * minute;
    agg.add(event(now - 20 * minute, "a").dump(), false, now);
    agg.add(event(now - 1 * minute, "b").dump(), false, now);
    EXPECT_EQ(agg.snapshot("demo-shop", 60 * minute, now)["totals"]["views"], 2);
    EXPECT_EQ(agg.snapshot("demo-shop", 15 * minute, now)["totals"]["views"], 1);
    EXPECT_EQ(agg.snapshot("demo-shop", 15 * minute, now)["feed"].size(), 1u);
}

TEST(live_aggregate, events_age_out_of_the_window_as_time_moves_on) {
    live_aggregate agg;
    agg.add(event(t0, "a").dump(), false, t0);
    EXPECT_EQ(agg.snapshot("demo-shop", 60 * minute, t0 + 59 * minute)["totals"]["views"], 1);
    EXPECT_EQ(agg.snapshot("demo-shop", 60 * minute, t0 + 60 * minute)["totals"]["views"], 0);
    // A later event reusing the old minute's bucket starts it afresh.
    agg.add(event(t0 + 60 * minute, "b").dump(), false, t0 + 60 * minute);
    const json s = agg.snapshot("demo-shop", 60 * minute, t0 + 60 * minute);
    EXPECT_EQ(s["totals"]["views"], 1);
    EXPECT_EQ(s["top"]["pages"], json::parse(R"([["/", 1]])"));
}

TEST(live_aggregate, refuses_old_far_future_and_malformed_events) {
    live_aggregate agg;
    const std::int64_t now = t0 + 90 * minute;
    EXPECT_EQ(agg.add(event(now - 60 * minute, "a").dump(), false, now), add_result::out_of_window);
    EXPECT_EQ(agg.add(event(now + 2 * minute, "a").dump(), false, now), add_result::out_of_window);
    EXPECT_EQ(agg.add("not json", false, now), add_result::unparseable);
    EXPECT_EQ(agg.add(R"({"site":"x"})", false, now), add_result::unparseable);
    EXPECT_EQ(agg.add(R"({"site":1,"event_time_ms":1})", false, now), add_result::unparseable);
    EXPECT_EQ(agg.version(), 0u);
    // Slightly ahead (clock skew): counted now.
    EXPECT_EQ(agg.add(event(now + 30'000, "a").dump(), false, now), add_result::applied);
    EXPECT_EQ(agg.snapshot("demo-shop", minute, now)["totals"]["views"], 1);
    EXPECT_EQ(agg.version(), 1u);
}

TEST(live_aggregate, state_is_bounded_by_sites_keys_visitors_and_feed) {
    aggregate_options o;
    o.max_sites = 2;
    o.max_keys = 3;
    o.max_visitors = 4;
    o.feed_size = 5;
    live_aggregate agg(o);
    const std::int64_t now = t0;
    for (int i = 0; i < 10; ++i) {
        agg.add(event(now, "v" + std::to_string(i), "page_view", "/p" + std::to_string(i)).dump(),
                false, now);
    }
    json other = event(now, "x");
    other["site"] = "second";
    EXPECT_EQ(agg.add(other.dump(), false, now), add_result::applied);
    other["site"] = "third";
    EXPECT_EQ(agg.add(other.dump(), false, now), add_result::site_limit);
    const json s = agg.snapshot("demo-shop", minute, now);
    EXPECT_EQ(s["totals"]["views"], 10);
    EXPECT_EQ(s["top"]["pages"][0], json::parse(R"j(["(other)", 7])j"));
    EXPECT_EQ(s["top"]["pages"].size(), 4u);
    EXPECT_EQ(s["totals"]["active_visitors"], 4);
    EXPECT_EQ(s["totals"]["visitors_capped"], true);
    EXPECT_EQ(s["feed"].size(), 5u);
    EXPECT_EQ(agg.sites(), (std::vector<std::string>{"demo-shop", "second"}));
}

TEST(live_aggregate, the_feed_keeps_the_newest_by_event_time) {
    aggregate_options o;
    o.feed_size = 2;
    live_aggregate agg(o);
    const std::int64_t now = t0 + 5 * minute;
    agg.add(event(now - 1000, "a", "page_view", "/new").dump(), false, now);
    agg.add(event(now - 3000, "b", "page_view", "/older").dump(), false, now);
    agg.add(event(now - 9000, "c", "page_view", "/oldest").dump(), false, now);  // replayed late
    const json s = agg.snapshot("demo-shop", 60 * minute, now);
    ASSERT_EQ(s["feed"].size(), 2u);
    EXPECT_EQ(s["feed"][0]["path"], "/new");
    EXPECT_EQ(s["feed"][1]["path"], "/older");
}

TEST(live_aggregate, an_unknown_site_gives_zeros) {
    live_aggregate agg;
    const json s = agg.snapshot("nobody", 5 * minute, t0);
    EXPECT_EQ(s["totals"]["events"], 0);
    EXPECT_EQ(s["totals"]["active_visitors"], 0);
    EXPECT_EQ(s["views_per_minute"]["v"], json::parse("[0,0,0,0,0]"));
    EXPECT_EQ(s["feed"], json::array());
}

TEST(live_aggregate, a_replay_in_any_order_rebuilds_the_same_snapshot) {
    std::vector<std::string> events;
    const std::int64_t now = t0 + 45 * minute;
    for (int i = 0; i < 200; ++i) {
        const std::string type = i % 3 == 0 ? "page_view" : (i % 7 == 0 ? "conversion" : "click");
        json e = event(now - (i * 13'457) % (44 * minute), "v" + std::to_string(i % 17), type,
                       "/p" + std::to_string(i % 5));
        e["value"] = 2.5;
        e["currency"] = "USD";
        events.push_back(e.dump());
    }
    live_aggregate forward, backward;
    for (const auto& e : events) forward.add(e, false, now);
    for (auto it = events.rbegin(); it != events.rend(); ++it) backward.add(*it, false, now);
    auto a = forward.snapshot("demo-shop", 60 * minute, now);
    auto b = backward.snapshot("demo-shop", 60 * minute, now);
    EXPECT_EQ(a["totals"], b["totals"]);
    EXPECT_EQ(a["top"], b["top"]);
    EXPECT_EQ(a["events_per_second"], b["events_per_second"]);
    EXPECT_EQ(a["active_trend"], b["active_trend"]);
    EXPECT_EQ(a["totals"]["events"], 200);
}

TEST(replay_guard, skips_offsets_already_applied_per_partition) {
    replay_guard g;
    EXPECT_TRUE(g.first_time("clean", 0, 0));
    EXPECT_TRUE(g.first_time("clean", 0, 1));
    EXPECT_TRUE(g.first_time("clean", 1, 0));
    EXPECT_TRUE(g.first_time("bots", 0, 0));
    // A rebalance rewinds the consumer: the same offsets come again.
    EXPECT_FALSE(g.first_time("clean", 0, 0));
    EXPECT_FALSE(g.first_time("clean", 0, 1));
    EXPECT_TRUE(g.first_time("clean", 0, 2));
    EXPECT_TRUE(g.first_time("clean", 0, 10));  // a gap (compaction, aborted transactions)
    EXPECT_FALSE(g.first_time("clean", 0, 5));
}

}  // namespace
}  // namespace clickstream::dashboard
