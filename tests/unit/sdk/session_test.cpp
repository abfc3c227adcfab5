// Sessions roll with activity and rotate exactly at the timeout; the index
// counts sessions per anonymous id; seq counts per (session, tab).
#include <gtest/gtest.h>

#include "core_rig.h"

namespace clickstream::test {
namespace {

constexpr std::int64_t minute = 60000;

// Tracks one event at the rig's clock and returns it as sent.
nlohmann::json track_and_send(core_rig& rig, event e) {
    EXPECT_TRUE(rig.core->track(std::move(e)));
    rig.core->flush();
    EXPECT_EQ(rig.pump_all(), 1);
    return rig.last_batch()["events"][0];
}

TEST(session, rotates_exactly_at_the_timeout_boundary) {
    core_rig rig;
    rig.options.session.timeout_s = 1800;
    const std::int64_t timeout = 1800 * 1000;
    rig.start();
    const auto a = track_and_send(rig, custom("a"));
    rig.clock.advance(timeout - 1);  // 1 ms before: the same session
    const auto b = track_and_send(rig, custom("b"));
    EXPECT_EQ(b["session_id"], a["session_id"]);
    EXPECT_EQ(b["session_index"], 1);
    EXPECT_EQ(b["seq"], 2);
    rig.clock.advance(timeout);  // exactly the timeout after b: a new session
    const auto c = track_and_send(rig, custom("c"));
    EXPECT_NE(c["session_id"], b["session_id"]);
    EXPECT_EQ(c["session_index"], 2);
    EXPECT_EQ(c["seq"], 1);
    rig.clock.advance(timeout + 1);  // 1 ms after: a new session again
    const auto d = track_and_send(rig, custom("d"));
    EXPECT_NE(d["session_id"], c["session_id"]);
    EXPECT_EQ(d["session_index"], 3);
    EXPECT_EQ(d["seq"], 1);
}

TEST(session, rolls_while_events_keep_coming) {
    core_rig rig;
    rig.options.session.timeout_s = 60;
    rig.start();
    const auto first = track_and_send(rig, custom("first"));
    for (int i = 0; i < 5; ++i) {
        rig.clock.advance(59999);
        const auto e = track_and_send(rig, custom("again"));
        EXPECT_EQ(e["session_id"], first["session_id"]);
        EXPECT_EQ(e["seq"], i + 2);
    }
}

TEST(session, timeout_comes_from_the_collector_and_is_sent_and_kept) {
    core_rig rig;
    auto& core = rig.start();
    EXPECT_EQ(core.session_timeout_s(), 1800);
    rig.transport.serve_config(R"({"site":"test-site","session_timeout_s":600})");
    auto served = rig.transport.fetch("http://127.0.0.1:9/v1/config?site=test-site");
    ASSERT_TRUE(served);
    const auto timeout = parse_session_timeout(*served);
    ASSERT_TRUE(timeout);
    ASSERT_TRUE(core.set_session_timeout_s(*timeout));
    const auto a = track_and_send(rig, custom("a"));
    EXPECT_EQ(rig.last_batch()["context"]["session_timeout_s"], 600);
    rig.clock.advance(10 * minute);
    const auto b = track_and_send(rig, custom("b"));
    EXPECT_EQ(b["session_index"], 2);
    // A restart uses the site's value before it could ask again.
    EXPECT_EQ(rig.restart().session_timeout_s(), 600);
    EXPECT_FALSE(parse_session_timeout(R"({"session_timeout_s":0})"));
    EXPECT_FALSE(parse_session_timeout(R"({"session_timeout_s":86401})"));
    EXPECT_FALSE(parse_session_timeout(R"({"other":5})"));
    EXPECT_FALSE(rig.core->set_session_timeout_s(0));
}

TEST(session, true_time_drives_the_session_and_backwards_time_never_rotates) {
    core_rig rig;
    rig.start();
    const auto a = track_and_send(rig, custom("a").happened_at(1700000000000));
    const auto b = track_and_send(rig, custom("b").happened_at(1700000000000 - 5 * minute));
    EXPECT_EQ(b["session_id"], a["session_id"]);
    EXPECT_EQ(b["true_ts"], 1700000000000 - 5 * minute);
    const auto c = track_and_send(rig, custom("c").happened_at(1700000000000 + 31 * minute));
    EXPECT_NE(c["session_id"], a["session_id"]);
}

TEST(session, tabs_share_the_session_and_count_seq_each) {
    core_rig rig;
    rig.options.context.tab_id = "tab-a";
    auto& a = rig.start();
    tracker_options other = rig.options;
    other.context.tab_id = "tab-b";
    tracker_core b(other, rig.clock, rig.random, *rig.store);
    ASSERT_TRUE(b.start());
    ASSERT_TRUE(a.track(custom("a1")));
    ASSERT_TRUE(b.track(custom("b1")));
    ASSERT_TRUE(a.track(custom("a2")));
    ASSERT_TRUE(b.track(custom("b2")));
    a.flush();
    b.flush();
    ASSERT_TRUE(a.pump(rig.transport));
    ASSERT_TRUE(b.pump(rig.transport));
    const auto ba = rig.batch(0);
    const auto bb = rig.batch(1);
    EXPECT_EQ(ba["context"]["tab_id"], "tab-a");
    EXPECT_EQ(bb["context"]["tab_id"], "tab-b");
    EXPECT_EQ(ba["context"]["anonymous_id"], bb["context"]["anonymous_id"]);
    EXPECT_EQ(ba["events"][0]["session_id"], bb["events"][0]["session_id"]);
    EXPECT_EQ(ba["events"][1]["seq"], 2);
    EXPECT_EQ(bb["events"][1]["seq"], 2);
}

TEST(session, reset_starts_a_new_identity_and_session_index) {
    core_rig rig;
    auto& core = rig.start();
    ASSERT_TRUE(core.identify("user-1"));
    rig.clock.advance(31 * minute);
    rig.track_n(1);
    const std::string old_id = core.anonymous_id();
    core.reset();
    EXPECT_NE(core.anonymous_id(), old_id);
    EXPECT_TRUE(core.user_id().empty());
    rig.track_n(1);
    core.flush();
    ASSERT_EQ(rig.pump_all(), 2);  // a batch never mixes two anonymous ids
    const auto before = rig.batch(0);
    const auto after = rig.batch(1);
    EXPECT_EQ(before["context"]["anonymous_id"], old_id);
    EXPECT_EQ(before["context"]["user_id"], "user-1");
    EXPECT_EQ(before["events"][0]["type"], "identify");
    EXPECT_EQ(before["events"][1]["session_index"], 2);
    EXPECT_EQ(after["context"]["anonymous_id"], core.anonymous_id());
    EXPECT_FALSE(after["context"].contains("user_id"));
    EXPECT_EQ(after["events"][0]["session_index"], 1);
    EXPECT_EQ(after["events"][0]["seq"], 1);
    EXPECT_NE(after["events"][0]["session_id"], before["events"][1]["session_id"]);
}

TEST(session, identity_and_session_survive_a_restart) {
    core_rig rig;
    auto& core = rig.start();
    ASSERT_TRUE(core.identify("user-7"));
    const std::string anon = core.anonymous_id();
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    rig.clock.advance(5 * minute);
    auto& again = rig.restart();
    EXPECT_EQ(again.anonymous_id(), anon);
    EXPECT_EQ(again.user_id(), "user-7");
    rig.track_n(1);
    again.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    const auto e = rig.last_batch()["events"][0];
    EXPECT_EQ(e["session_id"], rig.batch(0)["events"][0]["session_id"]);
    EXPECT_EQ(e["seq"], 2);
}

}  // namespace
}  // namespace clickstream::test
