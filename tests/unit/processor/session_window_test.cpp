// The session window: gap boundaries, event time, lateness, duplicates,
// maximum length, idle rows, missing events, imports, commit offsets.
#include "processor/sessionize/session_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

namespace clickstream::sessionize {
namespace {

constexpr std::int64_t s = 1000;                // ms per second
constexpr std::int64_t t0 = 1'800'000'000'000;  // 2027-01-15, a multiple of the gap

session_event ev(const std::string& sid, const std::string& id, std::int64_t ms,
                 const std::string& type = "page_view", const std::string& path = "/") {
    session_event e;
    e.site = "shop";
    e.session_id = sid;
    e.event_id = id;
    e.event_time_ms = ms;
    e.time_source = "skew_corrected";
    e.type = type;
    e.url_path = path;
    e.name = type == "conversion" ? "order" : "";
    e.session_timeout_s = 1800;
    return e;
}

struct harness {
    session_window w;
    std::vector<session_row> rows;
    std::int64_t offset = 0;
    std::int64_t wall = 0;

    explicit harness(window_options o = {}) : w(std::move(o)) {}
    add_outcome add(const session_event& e, std::int32_t partition = 0) {
        return w.add(e, partition, offset++, wall, rows);
    }
    // An event far ahead in event time on the partition: closes all before it.
    void flush(std::int32_t partition = 0) {
        add(ev("flush-" + std::to_string(offset), "f" + std::to_string(offset),
               t0 + 400LL * 24 * 3600 * s),
            partition);
    }
    std::vector<session_row> final_rows(const std::string& sid) const {
        std::vector<session_row> out;
        for (const auto& r : rows) {
            if (r.session_id == sid && r.final) out.push_back(r);
        }
        std::sort(out.begin(), out.end(), [](const session_row& a, const session_row& b) {
            return a.start_ms < b.start_ms;
        });
        return out;
    }
};

TEST(session_window, event_one_second_inside_the_gap_joins) {
    harness h;
    h.add(ev("a", "1", t0));
    h.add(ev("a", "2", t0 + 1799 * s));
    h.flush();
    const auto rows = h.final_rows("a");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].events, 2u);
    EXPECT_EQ(rows[0].end_ms - rows[0].start_ms, 1799 * s);
    EXPECT_EQ(rows[0].reason, close_reason::gap);
    EXPECT_EQ(h.w.counts().id_reused, 0u);
}

TEST(session_window, event_exactly_at_the_gap_starts_a_new_row) {
    harness h;
    h.add(ev("a", "1", t0));
    const auto outcome = h.add(ev("a", "2", t0 + 1800 * s));
    h.flush();
    const auto rows = h.final_rows("a");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].events, 1u);
    EXPECT_EQ(rows[1].events, 1u);
    EXPECT_NE(rows[0].segment, rows[1].segment);
    EXPECT_TRUE(outcome.id_reused);
    EXPECT_EQ(h.w.counts().id_reused, 1u);
}

TEST(session_window, event_one_second_past_the_gap_starts_a_new_row) {
    window_options o;
    o.allowed_lateness_ms = 0;
    harness h(o);
    h.add(ev("a", "1", t0));
    h.add(ev("a", "2", t0 + 1801 * s));
    h.flush();
    const auto rows = h.final_rows("a");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].end_ms, t0);
    EXPECT_EQ(rows[1].start_ms, t0 + 1801 * s);
}

TEST(session_window, out_of_order_events_land_in_time_order) {
    harness h;
    h.add(ev("a", "3", t0 + 30 * s, "page_view", "/c"));
    h.add(ev("a", "1", t0 + 10 * s, "page_view", "/a"));
    h.add(ev("a", "2", t0 + 20 * s, "page_view", "/b"));
    h.flush();
    const auto rows = h.final_rows("a");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].pages, (std::vector<std::string>{"/a", "/b", "/c"}));
    EXPECT_EQ(rows[0].landing_page, "/a");
    EXPECT_EQ(rows[0].exit_page, "/c");
    EXPECT_EQ(rows[0].start_ms, t0 + 10 * s);
    EXPECT_EQ(rows[0].end_ms, t0 + 30 * s);
}

TEST(session_window, late_events_are_counted_and_form_no_session) {
    window_options o;
    o.allowed_lateness_ms = 60 * s;
    harness h(o);
    h.add(ev("a", "1", t0));
    // Another session moves the watermark past a's close (t0 + gap + lateness).
    h.add(ev("b", "1", t0 + 1900 * s));
    ASSERT_EQ(h.final_rows("a").size(), 1u);
    // a's own time range, after it closed: late, not a second row.
    EXPECT_EQ(h.add(ev("a", "2", t0 + 5 * s)).kind, add_kind::late);
    // A new session far behind the watermark: late too.
    EXPECT_EQ(h.add(ev("c", "1", t0 + 100 * s)).kind, add_kind::late);
    // Within the allowed lateness: a session of its own.
    EXPECT_EQ(h.add(ev("d", "1", t0 + 1850 * s)).kind, add_kind::accepted);
    h.flush();
    EXPECT_EQ(h.final_rows("a").size(), 1u);
    EXPECT_EQ(h.final_rows("a")[0].events, 1u);
    EXPECT_TRUE(h.final_rows("c").empty());
    EXPECT_EQ(h.final_rows("d").size(), 1u);
    EXPECT_EQ(h.w.counts().late, 2u);
}

TEST(session_window, duplicates_do_not_count_twice) {
    harness h;
    h.add(ev("a", "1", t0, "page_view", "/"));
    EXPECT_EQ(h.add(ev("a", "1", t0, "page_view", "/")).kind, add_kind::duplicate);
    h.add(ev("a", "2", t0 + s, "click"));
    EXPECT_EQ(h.add(ev("a", "2", t0 + s, "click")).kind, add_kind::duplicate);
    h.flush();
    const auto rows = h.final_rows("a");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].events, 2u);
    EXPECT_EQ(rows[0].page_views, 1u);
    EXPECT_EQ(rows[0].clicks, 1u);
    EXPECT_FALSE(rows[0].bounce);
    EXPECT_EQ(h.w.counts().duplicates, 2u);
}

TEST(session_window, maximum_length_continues_in_linked_segments) {
    window_options o;
    o.max_length_ms = 3600 * s;
    harness h(o);
    // One event every 20 minutes for 3 hours: never a gap, three segments.
    for (int i = 0; i <= 9; ++i) h.add(ev("a", std::to_string(i), t0 + i * 1200 * s));
    h.flush();
    const auto rows = h.final_rows("a");
    ASSERT_EQ(rows.size(), 4u);
    std::uint32_t events = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i].segment_index, i);
        EXPECT_EQ(rows[i].chain_start_ms, t0);
        EXPECT_LT(rows[i].end_ms - rows[i].start_ms, 3600 * s);
        EXPECT_EQ(rows[i].reason,
                  i + 1 < rows.size() ? close_reason::max_length : close_reason::gap);
        for (std::size_t j = 0; j < i; ++j) EXPECT_NE(rows[i].segment, rows[j].segment);
        events += rows[i].events;
    }
    EXPECT_EQ(events, 10u);
    EXPECT_EQ(h.w.counts().id_reused, 0u);
}

TEST(session_window, idle_row_is_provisional_and_replaced_by_a_higher_version) {
    window_options o;
    o.idle_timeout_ms = 10 * s;
    harness h(o);
    h.add(ev("a", "1", t0));
    h.wall = 9 * s;
    h.w.tick(h.wall, h.rows);
    EXPECT_TRUE(h.rows.empty());
    h.wall = 10 * s;
    h.w.tick(h.wall, h.rows);
    ASSERT_EQ(h.rows.size(), 1u);
    const session_row idle = h.rows[0];
    EXPECT_FALSE(idle.final);
    EXPECT_EQ(idle.reason, close_reason::idle);
    h.w.tick(h.wall + 100 * s, h.rows);
    EXPECT_EQ(h.rows.size(), 1u);  // one provisional row per quiet spell
    h.add(ev("a", "2", t0 + 60 * s));
    h.flush();
    const auto rows = h.final_rows("a");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].segment, idle.segment);
    EXPECT_GT(rows[0].version, idle.version);
    EXPECT_EQ(rows[0].events, 2u);
    EXPECT_EQ(h.w.open_windows(), 1u);  // only the flush session
}

// The analysis queries rely on this (docs/analysis.md, "How the queries read
// the tables"): an event earlier than a window's first one moves the row's
// start, and so its start_date and its partition of `sessions`
// (toYYYYMM(start_date)), while the key (site, session id, segment) stays,
// as the segment comes from the first event to arrive. So one key can have
// versions in two months' partitions, which only FINAL over all partitions
// folds into one row.
TEST(session_window, an_earlier_event_moves_a_rows_start_into_the_previous_month) {
    window_options o;
    o.idle_timeout_ms = 10 * s;
    harness h(o);
    constexpr std::int64_t november = 1'793'491'200'000;  // 2026-11-01 00:00 UTC
    h.add(ev("m", "1", november + 600 * s));
    h.wall = 10 * s;
    h.w.tick(h.wall, h.rows);
    ASSERT_EQ(h.rows.size(), 1u);
    const session_row idle = h.rows[0];
    EXPECT_EQ(utc_date(idle.start_ms), "2026-11-01");
    // Twenty minutes earlier, inside the gap before the first event.
    EXPECT_EQ(h.add(ev("m", "0", november - 600 * s)).kind, add_kind::accepted);
    h.flush();
    const auto rows = h.final_rows("m");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].segment, idle.segment);
    EXPECT_GT(rows[0].version, idle.version);
    EXPECT_EQ(rows[0].start_ms, november - 600 * s);
    EXPECT_EQ(utc_date(rows[0].start_ms), "2026-10-31");
}

TEST(session_window, missing_events_from_seq_gaps_per_tab) {
    harness h;
    int id = 0;
    for (std::uint32_t seq : {1, 2, 4, 7}) {
        auto e = ev("a", std::to_string(id), t0 + id * s);
        ++id;
        e.tab_id = "tab-a";
        e.seq = seq;
        h.add(e);
    }
    for (std::uint32_t seq : {3, 1}) {
        auto e = ev("a", std::to_string(id), t0 + id * s);
        ++id;
        e.tab_id = "tab-b";
        e.seq = seq;
        h.add(e);
    }
    h.flush();
    const auto rows = h.final_rows("a");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].missing_events, 3u + 1u);
    EXPECT_EQ(rows[0].seq_events, 6u);
}

TEST(session_window, gaps_the_sdk_dropped_itself_are_not_missing) {
    harness h;
    // seq 3 and 4 never arrive: the SDK's next batch says it discarded one
    // event itself (queue full), so one was lost on the way.
    std::int64_t k = 0;
    for (std::uint32_t seq : {1, 2, 5, 6}) {
        auto e = ev("a", std::to_string(seq), t0 + k++ * s);
        e.tab_id = "t";
        e.seq = seq;
        if (seq == 5) e.sdk_dropped = 1;
        h.add(e);
    }
    // Another session whose SDK reports more drops than its gaps: none missing.
    for (std::uint32_t seq : {1, 3}) {
        auto e = ev("b", std::to_string(seq), t0 + k++ * s);
        e.seq = seq;
        e.sdk_dropped = 2;
        h.add(e);
    }
    h.flush();
    const auto a = h.final_rows("a");
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].missing_events, 1u);
    EXPECT_EQ(a[0].seq_events, 4u);
    const auto b = h.final_rows("b");
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].missing_events, 0u);
}

TEST(session_window, attributes_of_a_session) {
    harness h;
    auto first = ev("a", "1", t0, "page_view", "/landing");
    first.referrer = "https://www.google.com/";
    first.referrer_medium = "search";
    first.referrer_source = "Google";
    first.utm_campaign = "spring";
    first.channel = "paid_search";
    first.device_type = "mobile";
    first.browser_family = "Chrome";
    first.os_family = "Android";
    first.country = "DE";
    first.anonymous_id = "anon";
    first.platform = "web";
    first.sdk_name = "clickstream-web";
    auto scroll = ev("a", "2", t0 + 5 * s, "scroll");
    scroll.scroll_depth = 75;
    auto identify = ev("a", "3", t0 + 6 * s, "identify");
    identify.user_id = "u-42";
    auto buy = ev("a", "4", t0 + 9 * s, "conversion");
    buy.value = 19.99;
    buy.currency = "EUR";
    auto buy2 = ev("a", "5", t0 + 8 * s, "conversion");
    buy2.name = "signup";
    buy2.value = 0.01;
    buy2.currency = "EUR";
    buy2.session_timeout_s = 3600;  // the SDK disagrees with the site
    h.add(buy);
    h.add(first);
    h.add(scroll);
    h.add(identify);
    const auto mismatch = h.add(buy2);
    h.add(ev("a", "6", t0 + 10 * s, "page_view", "/thanks"));
    h.add(ev("a", "7", t0 + 11 * s, "hover"));
    h.flush();
    const auto rows = h.final_rows("a");
    ASSERT_EQ(rows.size(), 1u);
    const auto& r = rows[0];
    EXPECT_EQ(r.anonymous_id, "anon");
    EXPECT_EQ(r.user_id, "u-42");
    EXPECT_EQ(r.referrer_medium, "search");
    EXPECT_EQ(r.referrer_source, "Google");
    EXPECT_EQ(r.utm_campaign, "spring");
    EXPECT_EQ(r.channel, "paid_search");
    EXPECT_EQ(r.device_type, "mobile");
    EXPECT_EQ(r.browser_family, "Chrome");
    EXPECT_EQ(r.os_family, "Android");
    EXPECT_EQ(r.country, "DE");
    EXPECT_EQ(r.platform, "web");
    EXPECT_EQ(r.max_scroll_depth, 75u);
    EXPECT_EQ(r.scrolls, 1u);
    EXPECT_EQ(r.hovers, 1u);
    EXPECT_EQ(r.conversions, 2u);
    EXPECT_EQ(r.conversion_names, (std::vector<std::string>{"signup", "order"}));
    EXPECT_NEAR(r.revenue, 20.0, 1e-9);
    EXPECT_EQ(r.currency, "EUR");
    EXPECT_TRUE(r.converted);
    EXPECT_FALSE(r.bounce);
    EXPECT_EQ(r.pages, (std::vector<std::string>{"/landing", "/thanks"}));
    EXPECT_EQ(r.landing_page, "/landing");
    EXPECT_EQ(r.exit_page, "/thanks");
    EXPECT_EQ(r.sdk_timeout_s, 1800u);  // the last one that arrived
    EXPECT_TRUE(mismatch.sdk_timeout_mismatch);
    EXPECT_EQ(h.w.counts().sdk_timeout_mismatches, 1u);
}

TEST(session_window, one_page_view_alone_is_a_bounce) {
    harness h;
    h.add(ev("a", "1", t0));
    h.add(ev("b", "1", t0));
    h.add(ev("b", "2", t0 + s, "identify"));
    h.flush();
    EXPECT_TRUE(h.final_rows("a")[0].bounce);
    EXPECT_TRUE(h.final_rows("b")[0].bounce);  // identify is no interaction
}

TEST(session_window, many_interleaved_sessions_match_the_generator) {
    const unsigned seed = std::random_device{}();
    std::printf("seed %u\n", seed);
    std::mt19937 rng(seed);
    window_options o;
    o.allowed_lateness_ms = 120 * s;
    harness h(o);
    struct truth {
        std::int64_t start, end;
        std::uint32_t events;
    };
    std::map<std::string, truth> expected;
    std::vector<session_event> stream;
    for (int i = 0; i < 400; ++i) {
        const std::string sid = "s" + std::to_string(i);
        std::int64_t t = t0 + static_cast<std::int64_t>(rng() % 7200) * s;
        const int n = 1 + static_cast<int>(rng() % 12);
        expected[sid] = {t, t, 0};
        for (int k = 0; k < n; ++k) {
            stream.push_back(
                ev(sid, sid + "-" + std::to_string(k), t, k % 3 == 0 ? "page_view" : "click"));
            expected[sid].end = t;
            ++expected[sid].events;
            t += static_cast<std::int64_t>(1 + rng() % 1700) * s;  // always inside the gap
        }
    }
    std::sort(stream.begin(), stream.end(),
              [](const auto& a, const auto& b) { return a.event_time_ms < b.event_time_ms; });
    // Disorder within the allowed lateness: swap neighbours less than 100 s apart.
    for (std::size_t i = 1; i < stream.size(); ++i) {
        if (stream[i].event_time_ms - stream[i - 1].event_time_ms < 100 * s && rng() % 2 == 0) {
            std::swap(stream[i], stream[i - 1]);
        }
    }
    for (const auto& e : stream)
        ASSERT_NE(
            h.add(e, static_cast<std::int32_t>(std::hash<std::string>{}(e.session_id) % 3)).kind,
            add_kind::late);
    for (std::int32_t p = 0; p < 3; ++p) h.flush(p);
    for (const auto& [sid, want] : expected) {
        const auto rows = h.final_rows(sid);
        ASSERT_EQ(rows.size(), 1u) << sid;
        EXPECT_EQ(rows[0].start_ms, want.start) << sid;
        EXPECT_EQ(rows[0].end_ms, want.end) << sid;
        EXPECT_EQ(rows[0].events, want.events) << sid;
    }
    EXPECT_EQ(h.w.counts().late, 0u);
}

TEST(session_window, historical_imports_form_sessions_under_their_own_watermark) {
    harness h;
    h.add(ev("live", "1", t0));
    // Weeks-old events through the same partition: true_ts, their own watermark.
    const std::int64_t old = t0 - 21LL * 24 * 3600 * s;
    for (int i = 0; i < 5; ++i) {
        auto e = ev("import", std::to_string(i), old + i * 60 * s);
        e.time_source = "true_ts";
        EXPECT_EQ(h.add(e).kind, add_kind::accepted);
    }
    // The import's own later events close it, live traffic does not.
    auto later = ev("import-2", "x", old + 5 * 3600 * s);
    later.time_source = "true_ts";
    h.add(later);
    const auto rows = h.final_rows("import");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].events, 5u);
    EXPECT_EQ(rows[0].start_ms, old);
    EXPECT_EQ(h.w.counts().late, 0u);
    EXPECT_TRUE(h.final_rows("live").empty());  // still open
    // Without the import watermark the same events would be late.
    harness mixed;
    mixed.add(ev("live", "1", t0));
    EXPECT_EQ(mixed.add(ev("import", "0", old)).kind, add_kind::late);
}

TEST(session_window, lowest_needed_offset_holds_open_and_straddling_sessions) {
    harness h;
    h.add(ev("a", "1", t0));             // offset 0
    h.add(ev("b", "1", t0 + 1000 * s));  // offset 1
    h.add(ev("c", "1", t0 + 1500 * s));  // offset 2
    EXPECT_EQ(h.w.lowest_needed(0, 3), 0);
    h.add(ev("b", "2", t0 + 1900 * s));  // offset 3
    h.add(ev("d", "1", t0 + 1900 * s));  // offset 4: the watermark closes a
    ASSERT_EQ(h.final_rows("a").size(), 1u);
    EXPECT_EQ(h.w.lowest_needed(0, 5), 1);  // b is open
    h.add(ev("e", "1", t0 + 3400 * s));     // offset 5: closes b (1900+1800 > 3400-60? no) and c
    ASSERT_EQ(h.final_rows("c").size(), 1u);
    EXPECT_TRUE(h.final_rows("b").empty());
    EXPECT_EQ(h.w.lowest_needed(0, 6), 1);
    h.add(ev("f", "1", t0 + 3800 * s));  // offset 6: closes b (offsets 1..3) and d (4)
    ASSERT_EQ(h.final_rows("b").size(), 1u);
    ASSERT_EQ(h.final_rows("d").size(), 1u);
    // e (offset 5) is the oldest open one; every closed range ends before it.
    EXPECT_EQ(h.w.lowest_needed(0, 7), 5);
    EXPECT_EQ(h.w.lowest_needed(1, 42), 42);  // nothing held: the position
}

TEST(session_window, closed_session_straddling_an_open_one_holds_the_commit) {
    harness h;
    h.add(ev("x", "1", t0));             // offset 0
    h.add(ev("y", "1", t0 + 100 * s));   // offset 1
    h.add(ev("x", "2", t0 + 200 * s));   // offset 2
    h.add(ev("y", "2", t0 + 1500 * s));  // offset 3
    h.add(ev("z", "1", t0 + 2100 * s));  // offset 4: the watermark closes x, not y
    ASSERT_EQ(h.final_rows("x").size(), 1u);
    EXPECT_TRUE(h.final_rows("y").empty());
    // y needs offset 1, but a restart from 1 would rebuild x from its tail
    // (offset 2) alone: x's start (0) is needed too.
    EXPECT_EQ(h.w.lowest_needed(0, 5), 0);
    h.add(ev("w", "1", t0 + 3400 * s));  // offset 5: closes y
    ASSERT_EQ(h.final_rows("y").size(), 1u);
    // z (offset 4) is the oldest open; x (0..2) and y (1..3) lie before it.
    EXPECT_EQ(h.w.lowest_needed(0, 6), 4);
}

// A restart from a commit point: the run that committed had seen a later
// event (g) before the point than anything the replay reads at first, so
// without its marks the replay takes an event that was late as a session.
TEST(session_window, marks_at_the_commit_point_make_a_replay_take_events_alike) {
    window_options o;
    o.default_gap_ms = 5 * s;
    o.allowed_lateness_ms = 3 * s;
    std::vector<session_event> stream = {
        ev("g", "g", t0 + 10 * s),   // offset 0: the highest time before the commit point
        ev("b", "b1", t0 + 8 * s),   // offset 1: opens b, still open at the commit
        ev("l", "l", t0 + 6 * s),    // offset 2: older than the watermark (7 s): late
        ev("b", "b2", t0 + 12 * s),  // offsets 3..5: b goes on; 18 s closes g
        ev("b", "b3", t0 + 16 * s), ev("b", "b4", t0 + 18 * s),
    };
    harness first(o);
    for (const auto& e : stream) first.add(e);
    EXPECT_EQ(first.final_rows("g").size(), 1u);
    EXPECT_EQ(first.w.counts().late, 1u);
    const std::int64_t low = first.w.lowest_needed(0, first.offset);
    ASSERT_EQ(low, 1);  // b is open
    const auto marks = first.w.marks_at(0, low);
    ASSERT_TRUE(marks);
    EXPECT_EQ(marks->live, t0 + 10 * s);  // what the partition had seen before offset 1
    EXPECT_EQ(marks->historical, partition_marks::none);
    EXPECT_FALSE(first.w.marks_at(0, low + 1));  // only for the answered offset
    first.flush();

    auto replay = [&](harness& h, const std::optional<partition_marks>& m) {
        if (m) h.w.restore_marks(0, *m);
        h.offset = low;
        for (std::size_t i = static_cast<std::size_t>(low); i < stream.size(); ++i)
            h.add(stream[i]);
        h.flush();
    };
    harness resumed(o);
    replay(resumed, marks);
    EXPECT_EQ(resumed.w.counts().late, 1u);
    EXPECT_TRUE(resumed.final_rows("l").empty());
    ASSERT_EQ(resumed.final_rows("b").size(), 1u);
    EXPECT_EQ(resumed.final_rows("b")[0].events, first.final_rows("b")[0].events);
    EXPECT_EQ(resumed.final_rows("b")[0].version, first.final_rows("b")[0].version);
    // The same replay without the marks: l forms a session it never had.
    harness blind(o);
    replay(blind, std::nullopt);
    EXPECT_EQ(blind.w.counts().late, 0u);
    EXPECT_EQ(blind.final_rows("l").size(), 1u);
}

TEST(session_window, marks_follow_the_commit_point_to_a_straddling_closed_chain) {
    harness h;
    h.add(ev("x", "1", t0));             // offset 0
    h.add(ev("y", "1", t0 + 100 * s));   // offset 1
    h.add(ev("x", "2", t0 + 200 * s));   // offset 2
    h.add(ev("y", "2", t0 + 1500 * s));  // offset 3
    h.add(ev("z", "1", t0 + 2100 * s));  // offset 4: closes x
    ASSERT_EQ(h.w.lowest_needed(0, 5), 0);
    const auto at_x = h.w.marks_at(0, 0);
    ASSERT_TRUE(at_x);
    EXPECT_EQ(*at_x, partition_marks{});  // nothing seen before offset 0
    h.add(ev("w", "1", t0 + 3400 * s));   // offset 5: closes y
    ASSERT_EQ(h.w.lowest_needed(0, 6), 4);
    EXPECT_EQ(h.w.marks_at(0, 4)->live, t0 + 1500 * s);
    // Nothing open: the position, with the marks as they are now.
    h.flush();                                                       // offset 6
    h.add(ev("v", "1", t0 + 400LL * 24 * 3600 * s + 3 * 3600 * s));  // offset 7: closes the flush
    EXPECT_EQ(h.w.lowest_needed(0, 8), 7);
}

TEST(session_window, dropping_a_partition_forgets_it) {
    harness h;
    h.add(ev("a", "1", t0), 0);
    h.add(ev("b", "1", t0), 1);
    EXPECT_EQ(h.w.open_windows(), 2u);
    h.w.drop_partition(1);
    EXPECT_EQ(h.w.open_windows(), 1u);
    EXPECT_EQ(h.w.open_windows(1), 0u);
    EXPECT_FALSE(h.w.watermark(1, false).has_value());
    EXPECT_EQ(h.w.lowest_needed(1, 9), 9);
    h.w.tick(1'000'000'000, h.rows);
    ASSERT_EQ(h.rows.size(), 1u);
    EXPECT_EQ(h.rows[0].session_id, "a");
}

TEST(session_window, site_gap_is_per_site) {
    window_options o;
    o.site_gap_ms = {{"news", 60 * s}};
    o.allowed_lateness_ms = 0;
    harness h(o);
    auto a = ev("a", "1", t0);
    a.site = "news";
    auto b = ev("a", "2", t0 + 61 * s);
    b.site = "news";
    h.add(a);
    h.add(b);
    h.flush();
    EXPECT_EQ(h.final_rows("a").size(), 2u);
}

}  // namespace
}  // namespace clickstream::sessionize
