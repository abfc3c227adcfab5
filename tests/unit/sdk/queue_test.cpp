// The bounded queue, consent, and the queue surviving a crash.
#include <gtest/gtest.h>

#include "core_rig.h"
#include "json_writer.h"

namespace clickstream::test {
namespace {

TEST(queue, drops_the_oldest_beyond_the_event_cap_and_says_so) {
    core_rig rig;
    rig.options.batching.max_queue_events = 5;
    auto& core = rig.start();
    rig.track_n(8);
    EXPECT_EQ(core.stats().queued_events, 5U);
    EXPECT_EQ(rig.store->record_count(), 5U);
    const auto errors = core.take_errors();
    ASSERT_EQ(errors.size(), 1U);  // one report for the run of drops
    EXPECT_EQ(errors[0].code, errc::queue_full);
    EXPECT_EQ(errors[0].events, 3U);
    EXPECT_EQ(errors[0].reason, "oldest queued events dropped");
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    const auto b = rig.last_batch();
    EXPECT_EQ(b["dropped"]["queue_full"], 3);
    ASSERT_EQ(b["events"].size(), 5U);
    EXPECT_EQ(b["events"][0]["seq"], 4);  // seq 1-3 are the counted gap
    EXPECT_EQ(core.stats().dropped_queue_full, 3U);
}

TEST(queue, drops_the_oldest_beyond_the_byte_cap) {
    core_rig rig;
    rig.options.batching.max_queue_bytes = 64 * 1024;
    auto& core = rig.start();
    const std::string filler(1000, 'z');
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(core.track(custom("b").prop("f", filler)));
    EXPECT_LE(core.stats().queued_bytes, 64U * 1024);
    EXPECT_GT(core.stats().queued_bytes, 60U * 1024);
    EXPECT_EQ(core.stats().dropped_queue_full + core.stats().queued_events, 100U);
}

TEST(queue, never_drops_the_batch_in_flight) {
    core_rig rig;
    rig.options.batching.max_queue_events = 4;
    auto& core = rig.start();
    rig.track_n(3);
    core.flush();
    auto batch = core.next_batch();  // seq 1-3 in flight
    ASSERT_TRUE(batch);
    rig.track_n(2);  // seq 4 and 5: only seq 4 can make room
    EXPECT_EQ(core.stats().queued_events, 4U);
    core.complete(*batch, send_result::sent());
    ASSERT_EQ(rig.pump_all(), 1);  // the flush goes on until the queue is empty
    EXPECT_EQ(nlohmann::json::parse(batch->body)["events"].size(), 3U);
    const auto b = rig.last_batch();
    ASSERT_EQ(b["events"].size(), 1U);
    EXPECT_EQ(b["events"][0]["seq"], 5);
    EXPECT_EQ(b["dropped"]["queue_full"], 1);
}

TEST(queue, dropped_counts_ride_with_retries_until_delivered) {
    core_rig rig;
    rig.options.batching.max_queue_events = 2;
    auto& core = rig.start();
    rig.track_n(3);
    core.flush();
    rig.transport.answer_http(503, 0);
    ASSERT_EQ(rig.pump_all(), 2);  // a failed attempt, then the retry
    EXPECT_EQ(rig.batch(0)["dropped"]["queue_full"], 1);
    EXPECT_EQ(rig.batch(1)["dropped"]["queue_full"], 1);
    rig.track_n(1);
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(rig.last_batch()["dropped"]["queue_full"], 0);
}

TEST(consent, pending_holds_in_memory_then_sends_when_granted) {
    core_rig rig;
    rig.options.initial_consent = consent::pending;
    auto& core = rig.start();
    rig.track_n(3);
    core.flush();
    EXPECT_EQ(rig.pump_all(), 0);
    EXPECT_EQ(core.next_wakeup_ms(), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(rig.store->record_count(), 0U);  // nothing written before consent
    EXPECT_EQ(core.stats().held_events, 3U);
    core.set_consent(consent::granted);
    EXPECT_EQ(rig.store->record_count(), 3U);
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(rig.last_batch()["events"].size(), 3U);
}

TEST(consent, denied_discards_counts_and_is_remembered) {
    core_rig rig;
    auto& core = rig.start();
    rig.track_n(2);  // queued while granted
    core.set_consent(consent::denied);
    EXPECT_EQ(core.track(custom("x")).error(), errc::consent_denied);
    core.flush();
    EXPECT_EQ(rig.pump_all(), 0);
    EXPECT_EQ(rig.store->record_count(), 0U);
    EXPECT_EQ(core.stats().dropped_consent_denied, 3U);
    // Opt-out outlives the process, whatever the app's default.
    auto& again = rig.restart();
    EXPECT_EQ(again.current_consent(), consent::denied);
    again.set_consent(consent::granted);
    rig.track_n(1);
    again.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    const auto b = rig.last_batch();
    EXPECT_EQ(b["events"][0]["seq"], 4);
    EXPECT_EQ(rig.restart().current_consent(), consent::granted);
}

TEST(consent, pending_then_denied_discards_what_was_held) {
    core_rig rig;
    rig.options.initial_consent = consent::pending;
    auto& core = rig.start();
    rig.track_n(4);
    core.set_consent(consent::denied);
    EXPECT_EQ(core.stats().held_events, 0U);
    EXPECT_EQ(core.stats().dropped_consent_denied, 4U);
    core.set_consent(consent::granted);
    rig.track_n(1);
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(rig.last_batch()["dropped"]["consent_denied"], 4);
}

// A host that encodes its properties as they come (the wasm beacon) hands
// them to track() encoded: the event comes out as with e.props.
TEST(encoding, props_encoded_by_the_host_come_out_as_the_events_props) {
    core_rig rig;
    auto& core = rig.start();
    event with = custom("with");
    with.props.set("coupon", "X\"1\n").set("items", 2).set("share", 0.5).set("gift", false);
    ASSERT_TRUE(core.track(with));
    std::string encoded;
    json_writer w(encoded);
    w.string_member("coupon", "X\"1\n").integer_member("items", 2).number_member("share", 0.5);
    w.bool_member("gift", false);
    event host = custom("host");
    host.props.set("ignored", 1);  // encoded props take e.props' place
    ASSERT_TRUE(core.track(host, encoded));
    ASSERT_TRUE(core.track(custom("none"), ""));
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    const auto b = rig.last_batch();
    ASSERT_EQ(b["events"].size(), 3U);
    const auto expected =
        nlohmann::json::parse(R"({"coupon":"X\"1\n","items":2,"share":0.5,"gift":false})");
    EXPECT_EQ(b["events"][0]["props"], expected);
    EXPECT_EQ(b["events"][1]["props"], expected);
    // Byte for byte, in the order written.
    const std::string body = rig.transport.requests()[0].body;
    const std::string props = R"("props":{"coupon":"X\"1\n","items":2,"share":0.5,"gift":false})";
    const auto first = body.find(props);
    ASSERT_NE(first, std::string::npos) << body;
    EXPECT_NE(body.find(props, first + 1), std::string::npos) << body;
    EXPECT_FALSE(b["events"][2].contains("props"));
}

TEST(persistence, queued_events_survive_a_crash_and_go_first) {
    core_rig rig;
    auto& core = rig.start();
    rig.track_n(3, "before_crash");
    const std::string anon = core.anonymous_id();
    EXPECT_EQ(rig.store->record_count(), 3U);
    auto& again = rig.restart();  // nothing was sent
    EXPECT_EQ(again.next_wakeup_ms(), rig.clock.now_ms());
    rig.track_n(1, "after");
    ASSERT_EQ(rig.pump_all(), 1);
    const auto b = rig.last_batch();
    EXPECT_EQ(b["context"]["anonymous_id"], anon);
    ASSERT_EQ(b["events"].size(), 4U);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(b["events"][i]["seq"], i + 1);
    EXPECT_EQ(b["events"][0]["name"], "before_crash0");
    EXPECT_EQ(rig.store->record_count(), 0U);  // delivered: forgotten
}

TEST(persistence, unreadable_records_are_skipped_reported_and_removed) {
    core_rig rig;
    rig.start();
    rig.track_n(4);
    rig.store->corrupt(2, "garbage");
    rig.store->corrupt(4, "");
    auto& again = rig.restart();
    const auto errors = again.take_errors();
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].code, errc::corrupt_record);
    EXPECT_EQ(errors[0].events, 2U);
    EXPECT_EQ(errors[0].reason, "unreadable queued records skipped");
    EXPECT_EQ(rig.store->record_count(), 2U);  // the unreadable ones are gone at once
    ASSERT_EQ(rig.pump_all(), 1);
    const auto b = rig.last_batch();
    ASSERT_EQ(b["events"].size(), 2U);
    EXPECT_EQ(b["events"][0]["seq"], 1);
    EXPECT_EQ(b["events"][1]["seq"], 3);
    EXPECT_EQ(rig.store->record_count(), 0U);
}

TEST(persistence, a_store_that_refuses_writes_keeps_events_in_memory) {
    core_rig rig;
    auto& core = rig.start();
    rig.store->fail_next_writes(10);
    rig.track_n(1);
    const auto errors = core.take_errors();
    ASSERT_FALSE(errors.empty());
    EXPECT_EQ(errors[0].code, errc::storage_failed);
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    EXPECT_EQ(rig.last_batch()["events"].size(), 1U);
}

TEST(persistence, error_reports_are_bounded_and_the_last_one_counts_the_excess) {
    core_rig rig;
    rig.options.batching.max_queue_events = 1000;
    auto& core = rig.start();
    // Each event reports the session and then itself as not stored: two
    // different reports per event, so none merge until the reports are full.
    rig.store->fail_next_writes(1000000);
    rig.track_n(100);
    const auto errors = core.take_errors();
    ASSERT_EQ(errors.size(), 64U);
    EXPECT_EQ(errors[0].reason, "cannot store the session");
    EXPECT_EQ(errors[1].reason, "event kept in memory only");
    EXPECT_EQ(errors[1].events, 1U);
    std::size_t events = 0;
    for (const auto& e : errors) events += e.events;
    EXPECT_EQ(events, 100U);  // the 68 events past the 32nd are in the last report
    EXPECT_EQ(errors.back().events, 69U);
    EXPECT_TRUE(core.take_errors().empty());
    rig.track_n(1);
    EXPECT_EQ(core.take_errors().size(), 2U);  // the slots are free again
}

TEST(persistence, lost_events_skip_their_seq_and_are_counted) {
    core_rig rig;
    auto& core = rig.start();
    rig.track_n(1);
    core.note_lost_before_tracking(2);
    rig.track_n(1);
    core.flush();
    ASSERT_EQ(rig.pump_all(), 1);
    const auto b = rig.last_batch();
    EXPECT_EQ(b["events"][1]["seq"], 4);
    EXPECT_EQ(b["dropped"]["queue_full"], 2);
}

}  // namespace
}  // namespace clickstream::test
