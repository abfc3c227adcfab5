// The enrich stage's loop on in-memory fakes (support/memory_stage_io.h):
// outputs and input positions are committed together, a failed or
// indeterminate commit never makes an output appear twice or vanish, and
// dedup, bots and dead letters go where they belong.
#include "processor/stage/enrich_stage.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "../enrich/enrich_test_data.h"
#include "processor/enrich/geoip.h"
#include "support/memory_stage_io.h"
#include "support/stack.h"

namespace clickstream::processor {
namespace {

using json = nlohmann::json;
using enrich::test_data::paths;

constexpr const char* browser_ua =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36";
constexpr const char* googlebot_ua =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

const enrich::bot_filter& bots() {
    static const enrich::bot_filter filter([] {
        enrich::bot_filter_options o;
        o.crawler_user_agents = paths().crawler_user_agents;
        return o;
    }());
    return filter;
}

std::vector<record_header> headers(const std::string& ua, const std::string& source = "batch") {
    return {{"received_at", "1764100004000"},
            {"client_ip", "203.0.113.77"},
            {"user_agent", ua},
            {"content_type", "text/plain"},
            {"content_encoding", "identity"},
            {"request_id", "r-1"},
            {"site", "demo-shop"},
            {"source", source}};
}

// A valid batch with `n` page views whose ids are derived from `first`.
std::string batch_of(int first, int n, const std::string& session = "s-1") {
    json b =
        json::parse(test::read_file(test::contracts_dir() / "batch-v1/valid/web_session.json"));
    json one = b["events"][0];
    b["events"] = json::array();
    for (int i = 0; i < n; ++i) {
        char id[40];
        std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", first + i);
        one["id"] = id;
        one["seq"] = first + i + 1;
        one["session_id"] = session;
        b["events"].push_back(one);
    }
    return b.dump();
}

struct harness {
    test::memory_stage_io io;
    common::metrics::registry registry;
    enrich_probe probe{registry};
    std::ostringstream log_text;
    common::logger log{log_text, "test", common::log_level::debug};
    enrich::no_country_lookup countries;
    enrich::enrich_data data{enrich::test_data::uap(), enrich::test_data::referrers(), bots(),
                             countries};
    enrich::event_enricher enricher;
    enrich_stage stage;

    explicit harness(std::size_t max_records = 3, enrich::enricher_options enricher_options = {})
        : enricher(data, std::move(enricher_options)),
          stage(options(max_records), io, io, enricher, probe, log, [] { return 1764100005000; }) {}

    static enrich_stage_options options(std::size_t max_records) {
        enrich_stage_options o;
        o.topics = {"raw", "clean", "bots", "dlq"};
        o.max_records = max_records;
        o.commit_interval = std::chrono::hours(1);  // commits by count only
        o.retry_backoff = std::chrono::milliseconds(0);
        return o;
    }

    // Steps until every input is read and committed (bounded).
    void drain() {
        for (int i = 0; i < 1000 && (io.read < io.input.size() || stage.transaction_open()); ++i) {
            stage.step(io.read >= io.input.size());
        }
    }

    std::vector<output_record> visible(const std::string& topic) const {
        std::vector<output_record> out;
        for (const auto& r : io.visible) {
            if (r.topic == topic) out.push_back(r);
        }
        return out;
    }

    std::multiset<std::string> visible_ids(const std::string& topic) const {
        std::multiset<std::string> ids;
        for (const auto& r : visible(topic)) ids.insert(json::parse(r.value)["event_id"]);
        return ids;
    }
};

TEST(enrich_stage, outputs_become_visible_only_with_their_offsets) {
    harness h(2);
    h.io.add(batch_of(0, 2), headers(browser_ua));
    h.io.add(batch_of(2, 1), headers(browser_ua));
    h.io.add(batch_of(3, 1), headers(browser_ua));
    h.stage.step();
    EXPECT_TRUE(h.io.visible.empty());
    EXPECT_EQ(h.io.open.size(), 2U);
    EXPECT_EQ(h.io.committed, 0);
    h.stage.step();  // the second record: max_records reached, commit
    EXPECT_EQ(h.io.visible.size(), 3U);
    EXPECT_EQ(h.io.committed, 2);
    h.stage.step(true);
    EXPECT_EQ(h.io.visible.size(), 4U);
    EXPECT_EQ(h.io.committed, 3);
    EXPECT_EQ(h.probe.events_out_total("clean"), 4);
    EXPECT_EQ(h.probe.commits_total(), 2);
}

TEST(enrich_stage, clean_event_is_keyed_by_session_and_carries_derived_fields) {
    harness h(1);
    h.io.add(batch_of(0, 1, "sess-42"), headers(browser_ua));
    h.drain();
    const auto clean = h.visible("clean");
    ASSERT_EQ(clean.size(), 1U);
    EXPECT_EQ(clean[0].key, "sess-42");
    const json e = json::parse(clean[0].value);
    EXPECT_EQ(e["site"], "demo-shop");
    EXPECT_EQ(e["session_id"], "sess-42");
    EXPECT_EQ(e["browser_family"], "Chrome");
    EXPECT_EQ(e["device_type"], "desktop");
    EXPECT_EQ(e["ip"], "203.0.113.0");
    EXPECT_EQ(e["utm_source"], "newsletter");
    EXPECT_EQ(e["channel"], "email");
    EXPECT_EQ(e["referrer_medium"], "search");
    // receive − (sent_at − ts) = 1764100004000 − (1764100003200 − 1764100000000)
    EXPECT_EQ(e["event_time_ms"], 1764100000800);
    EXPECT_EQ(e["is_bot"], false);
}

TEST(enrich_stage, bots_go_to_the_bots_topic_with_their_rule) {
    harness h(10);
    h.io.add(batch_of(0, 2), headers(googlebot_ua));
    json webdriver = json::parse(batch_of(2, 1));
    webdriver["context"]["webdriver"] = true;
    h.io.add(webdriver.dump(), headers(browser_ua));
    h.io.add(batch_of(3, 1), headers(browser_ua));
    h.drain();
    const auto bots = h.visible("bots");
    ASSERT_EQ(bots.size(), 3U);
    EXPECT_EQ(json::parse(bots[0].value)["bot_rule"], "crawler");
    EXPECT_EQ(json::parse(bots[2].value)["bot_rule"], "automation");
    EXPECT_EQ(h.visible("clean").size(), 1U);
    EXPECT_NE(h.registry.expose().find("clickstream_enrich_bots_total{rule=\"crawler\"} 2"),
              std::string::npos);
}

TEST(enrich_stage, bad_input_goes_to_the_dlq_with_reason_bytes_and_headers) {
    harness h(10);
    h.io.add("{\"v\":1,", headers(browser_ua));
    h.io.add(test::read_file(test::contracts_dir() / "batch-v1/invalid/nested_props.json"),
             headers(browser_ua));
    h.io.add(batch_of(0, 1), {{"site", "demo-shop"}});  // no received_at
    json other = json::parse(batch_of(1, 1));
    other["site"] = "another-site";
    h.io.add(other.dump(), headers(browser_ua));
    h.io.add(batch_of(2, 1), headers(browser_ua));
    h.drain();
    const auto dlq = h.visible("dlq");
    ASSERT_EQ(dlq.size(), 4U);
    const auto header = [](const output_record& r, const std::string& name) {
        for (const auto& hd : r.headers) {
            if (hd.name == name) return hd.value;
        }
        return std::string("<none>");
    };
    EXPECT_EQ(dlq[0].value, "{\"v\":1,");
    EXPECT_EQ(header(dlq[0], "dlq_reason"), "not_json");
    EXPECT_EQ(header(dlq[0], "user_agent"), browser_ua);
    EXPECT_EQ(header(dlq[0], "dlq_offset"), "0");
    EXPECT_EQ(header(dlq[1], "dlq_reason"), "wrong_type");
    EXPECT_EQ(header(dlq[1], "dlq_path"), "/events/0/props/deep");
    EXPECT_EQ(header(dlq[2], "dlq_reason"), "missing_field");
    EXPECT_EQ(header(dlq[2], "dlq_path"), "/headers/received_at");
    EXPECT_EQ(header(dlq[3], "dlq_path"), "/site");
    EXPECT_EQ(h.visible("clean").size(), 1U);
    EXPECT_EQ(h.io.committed, 5);
}

TEST(enrich_stage, duplicates_are_emitted_once_within_and_across_transactions) {
    harness h(2);
    h.io.add(batch_of(0, 3), headers(browser_ua));
    h.io.add(batch_of(0, 3), headers(browser_ua));  // same transaction: a re-send
    h.io.add(batch_of(2, 2), headers(browser_ua));  // next transaction: 2 is old, 3 new
    h.drain();
    const auto ids = h.visible_ids("clean");
    EXPECT_EQ(ids.size(), 4U);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 4U);
    EXPECT_NE(h.registry.expose().find("clickstream_enrich_dedup_hits_total 4"), std::string::npos);
}

TEST(enrich_stage, a_failed_commit_that_did_not_land_is_read_again_exactly_once) {
    harness h(2);
    for (int i = 0; i < 6; ++i) h.io.add(batch_of(i * 2, 2), headers(browser_ua));
    h.io.fail_commits = 1;
    h.drain();
    EXPECT_EQ(h.io.resets, 1);
    EXPECT_EQ(h.io.rewinds, 1);
    const auto ids = h.visible_ids("clean");
    EXPECT_EQ(ids.size(), 12U);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 12U);
    EXPECT_EQ(h.io.committed, 6);
    EXPECT_EQ(h.probe.aborts_total("commit_failed"), 1);
    // Counted once, for what is visible.
    EXPECT_EQ(h.probe.events_out_total("clean"), 12);
}

TEST(enrich_stage, a_failed_commit_that_landed_is_not_emitted_twice) {
    harness h(2);
    for (int i = 0; i < 6; ++i) h.io.add(batch_of(i * 2, 2), headers(browser_ua));
    h.io.fail_commits = 1;
    h.io.failed_commit_lands = true;
    h.drain();
    const auto ids = h.visible_ids("clean");
    EXPECT_EQ(ids.size(), 12U);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 12U);
    EXPECT_EQ(h.io.rewinds, 1);
}

TEST(enrich_stage, a_failed_produce_voids_the_transaction) {
    harness h(3);
    for (int i = 0; i < 3; ++i) h.io.add(batch_of(i, 1), headers(browser_ua));
    h.io.fail_produce_at = 1;
    h.drain();
    const auto ids = h.visible_ids("clean");
    EXPECT_EQ(ids, (std::multiset<std::string>{"00000000-0000-4000-8000-000000000000",
                                               "00000000-0000-4000-8000-000000000001",
                                               "00000000-0000-4000-8000-000000000002"}));
    EXPECT_EQ(h.probe.aborts_total("produce_failed"), 1);
}

TEST(enrich_stage, ids_of_an_aborted_transaction_are_not_remembered_as_seen) {
    harness h(2);
    h.io.add(batch_of(0, 2), headers(browser_ua));
    h.io.add(batch_of(2, 2), headers(browser_ua));
    h.io.fail_commits = 1;  // the first transaction fails: its ids must come through later
    h.drain();
    EXPECT_EQ(h.visible_ids("clean").size(), 4U);
}

// The behaviour rule counts each event once even when an aborted
// transaction makes the stage read it again: a session allowed 4 events at
// once sends 4 (read twice, the first commit failing) and then a fifth, and
// only the fifth is a bot.
TEST(enrich_stage, events_read_again_after_an_abort_count_once_for_the_behaviour_rule) {
    enrich::enricher_options eo;
    eo.rate.burst = 4;
    eo.rate.events_per_second = 0.001;  // the events share one time: no refill
    harness h(2, eo);
    h.io.add(batch_of(0, 2), headers(browser_ua));
    h.io.add(batch_of(2, 2), headers(browser_ua));
    h.io.add(batch_of(4, 1), headers(browser_ua));
    h.io.fail_commits = 1;  // the first transaction (4 events) is aborted, then read again
    h.drain();
    EXPECT_EQ(h.io.rewinds, 1);
    EXPECT_EQ(h.visible_ids("clean"),
              (std::multiset<std::string>{
                  "00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000001",
                  "00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000003"}));
    const auto bots = h.visible("bots");
    ASSERT_EQ(bots.size(), 1U);
    const json bot = json::parse(bots[0].value);
    EXPECT_EQ(bot["event_id"], "00000000-0000-4000-8000-000000000004");
    EXPECT_EQ(bot["bot_rule"], "behaviour");
}

TEST(enrich_stage, a_rebalance_voids_the_open_transaction) {
    harness h(3);
    for (int i = 0; i < 3; ++i) h.io.add(batch_of(i, 1), headers(browser_ua));
    h.stage.step();
    h.stage.step();
    EXPECT_EQ(h.io.open.size(), 2U);
    h.io.revoke_next_poll = true;
    h.drain();
    const auto ids = h.visible_ids("clean");
    EXPECT_EQ(ids.size(), 3U);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3U);
    EXPECT_EQ(h.probe.aborts_total("revoked"), 1);
}

TEST(enrich_stage, pixel_messages_are_read_from_their_query_string) {
    harness h(1);
    h.io.add(
        "s=demo-shop&aid=a1&sid=s1&id=0b7e4c1a-9f2d-4e8b-a1c3-5d6e7f8a9b0c&ts=1764100000000"
        "&u=https%3A%2F%2Fshop.example%2F",
        headers(browser_ua, "pixel"));
    h.drain();
    const auto clean = h.visible("clean");
    ASSERT_EQ(clean.size(), 1U);
    EXPECT_EQ(json::parse(clean[0].value)["source"], "pixel");
    EXPECT_EQ(json::parse(clean[0].value)["url_host"], "shop.example");
}

}  // namespace
}  // namespace clickstream::processor
