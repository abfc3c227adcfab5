// The sessionize stage on in-memory sinks: an outage pauses it and loses
// nothing; commits wait for open sessions; a rewound partition is rebuilt.
#include <gtest/gtest.h>

#include <sstream>

#include "processor/sessionize/stage.h"
#include "support/memory_session_sinks.h"

namespace clickstream::sessionize {
namespace {

std::string clean(const std::string& sid, const std::string& id, std::int64_t ms) {
    return R"({"site":"shop","session_id":")" + sid + R"(","event_id":")" + id +
           R"(","event_time_ms":)" + std::to_string(ms) + R"(,"type":"page_view","url_path":"/"})";
}

struct stage_harness {
    std::stringstream out;
    common::logger log{out, "test"};
    common::metrics::registry registry;
    probe metrics{registry};
    test::memory_session_sinks sinks;
    stage st;
    std::vector<std::chrono::milliseconds> waits;
    stage::sleeper sleep = [this](std::chrono::milliseconds d) {
        waits.push_back(d);
        return true;
    };
    explicit stage_harness(stage_options o = {}) : st(o, sinks, sinks, metrics, log) {}
};

constexpr std::int64_t t0 = 1'800'000'000'000;

TEST(session_stage, an_outage_pauses_with_backoff_and_loses_nothing) {
    stage_harness h;
    h.st.on_message(0, 0, clean("a", "1", t0), 0);
    h.st.on_message(0, 1, clean("b", "1", t0 + 3'600'000), 0);  // closes a
    h.sinks.fail_next(3);
    ASSERT_TRUE(h.st.flush(0, h.sleep));
    EXPECT_EQ(h.sinks.events.size(), 2u);
    ASSERT_EQ(h.sinks.sessions.size(), 1u);
    EXPECT_EQ(h.sinks.sessions[0].session_id, "a");
    ASSERT_EQ(h.waits.size(), 3u);
    EXPECT_LT(h.waits[0], h.waits[1]);  // backoff grows
    EXPECT_LT(h.waits[1], h.waits[2]);
    EXPECT_NE(
        h.registry.expose().find("sessionize_clickhouse_insert_failures_total{table=\"events\"} 3"),
        std::string::npos);
}

TEST(session_stage, a_stop_during_an_outage_keeps_rows_pending) {
    stage_harness h;
    h.st.on_message(0, 0, clean("a", "1", t0), 0);
    h.sinks.fail_next(1'000'000);
    EXPECT_FALSE(h.st.flush(0, [](std::chrono::milliseconds) { return false; }));
    EXPECT_EQ(h.st.pending_events(), 1u);
    EXPECT_TRUE(h.sinks.events.empty());
}

TEST(session_stage, commits_wait_for_open_sessions) {
    stage_harness h;
    h.st.on_message(3, 10, clean("a", "1", t0), 0);
    h.st.on_message(3, 11, clean("b", "1", t0 + 1000), 0);
    ASSERT_TRUE(h.st.flush(0, h.sleep));
    auto points = h.st.commit_points({3});
    ASSERT_EQ(points.size(), 1u);
    EXPECT_EQ(points[0].offset, 10);                             // a (offset 10) is open
    h.st.on_message(3, 12, clean("c", "1", t0 + 7'200'000), 0);  // closes a and b
    ASSERT_TRUE(h.st.flush(0, h.sleep));
    points = h.st.commit_points({3});
    ASSERT_EQ(points.size(), 1u);
    EXPECT_EQ(points[0].offset, 12);
    EXPECT_TRUE(h.st.commit_points({3}).empty());  // nothing moved
}

TEST(session_stage, a_partition_read_again_is_rebuilt_not_doubled) {
    stage_harness h;
    h.st.on_message(0, 0, clean("a", "1", t0), 0);
    h.st.on_message(0, 1, clean("a", "2", t0 + 1000), 0);
    // A rebalance handed the partition back from offset 0.
    h.st.on_message(0, 0, clean("a", "1", t0), 0);
    h.st.on_message(0, 1, clean("a", "2", t0 + 1000), 0);
    h.st.on_message(0, 2, clean("z", "1", t0 + 7'200'000), 0);
    ASSERT_TRUE(h.st.flush(0, h.sleep));
    ASSERT_EQ(h.sinks.sessions.size(), 1u);
    EXPECT_EQ(h.sinks.sessions[0].events, 2u);
}

TEST(session_stage, marks_round_trip_as_commit_metadata) {
    const partition_marks m{t0, partition_marks::none};
    EXPECT_EQ(encode_marks(m), "wm1 1800000000000 -");
    EXPECT_EQ(decode_marks(encode_marks(m)), m);
    const partition_marks negative{-5, 7};
    EXPECT_EQ(decode_marks(encode_marks(negative)), negative);
    EXPECT_EQ(decode_marks(encode_marks(partition_marks{})), partition_marks{});
    for (const char* bad : {"", "wm1", "wm1 1", "wm1 1 2 3", "wm2 1 2", "wm1 x 2", "wm1 1 2 "}) {
        EXPECT_FALSE(decode_marks(bad)) << bad;
    }
}

TEST(session_stage, commit_points_carry_the_marks_and_resume_restores_them) {
    stage_harness h;
    h.st.on_message(0, 10, clean("g", "1", t0 + 10'000), 0);
    h.st.on_message(0, 11, clean("b", "1", t0 + 8'000), 0);
    ASSERT_TRUE(h.st.flush(0, h.sleep));
    auto points = h.st.commit_points({0});
    ASSERT_EQ(points.size(), 1u);
    EXPECT_EQ(points[0].offset, 10);
    EXPECT_EQ(points[0].metadata, "wm1 - -");                    // nothing seen before offset 10
    h.st.on_message(0, 12, clean("z", "1", t0 + 7'200'000), 0);  // closes g and b
    ASSERT_TRUE(h.st.flush(0, h.sleep));
    points = h.st.commit_points({0});
    ASSERT_EQ(points.size(), 1u);
    EXPECT_EQ(points[0].offset, 12);
    EXPECT_EQ(points[0].metadata, "wm1 " + std::to_string(t0 + 10'000) + " -");
    // A restart at the committed offset with its metadata resumes the marks;
    // at another offset it does not.
    stage_harness again;
    EXPECT_TRUE(again.st.starts_partition(0, 5));
    again.st.resume(0, 5, 5, "wm1 " + std::to_string(t0 + 10'000) + " -");
    EXPECT_EQ(again.st.window().watermark(0, false), t0 + 10'000 - 60'000);
    again.st.on_message(0, 5, clean("b", "1", t0 + 8'000), 0);
    EXPECT_FALSE(again.st.starts_partition(0, 6));
    EXPECT_TRUE(again.st.starts_partition(0, 2));  // read again from earlier
    again.st.resume(0, 2, 5, "wm1 " + std::to_string(t0) + " -");
    EXPECT_FALSE(again.st.window().watermark(0, false));  // dropped, nothing restored
}

TEST(session_stage, invalid_lines_are_counted) {
    stage_harness h;
    h.st.on_message(0, 0, "{not json", 0);
    EXPECT_EQ(h.st.pending_events(), 0u);
    EXPECT_NE(h.registry.expose().find("sessionize_events_total{result=\"invalid\"} 1"),
              std::string::npos);
}

}  // namespace
}  // namespace clickstream::sessionize
