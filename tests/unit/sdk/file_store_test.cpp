// event_store conformance, run against every implementation, and the file
// store's crash behaviour: torn tails, corruption, compaction, locking.
#include "clickstream/file_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "clickstream/memory_event_store.h"
#include "core_rig.h"
#include "support/stack.h"

namespace clickstream::test {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir() {
    const auto dir = fs::temp_directory_path() / unique_name("cs_store");
    fs::remove_all(dir);
    return dir;
}

std::vector<std::pair<std::uint64_t, std::string>> contents(event_store& s) {
    std::vector<std::pair<std::uint64_t, std::string>> out;
    EXPECT_TRUE(s.load([&](std::uint64_t id, std::string_view r) { out.emplace_back(id, r); }));
    return out;
}

// --- conformance: one suite, every event_store ---

using store_factory = std::unique_ptr<event_store> (*)();

class event_store_conformance : public ::testing::TestWithParam<store_factory> {};

TEST_P(event_store_conformance, keeps_state_by_key) {
    auto s = GetParam()();
    EXPECT_FALSE(s->get("k").has_value());
    ASSERT_TRUE(s->put("k", "v1"));
    ASSERT_TRUE(s->put("k", "v2"));
    ASSERT_TRUE(s->put("empty", ""));
    EXPECT_EQ(s->get("k"), "v2");
    EXPECT_EQ(s->get("empty"), "");
}

TEST_P(event_store_conformance, loads_what_was_appended_and_not_removed_oldest_first) {
    auto s = GetParam()();
    std::vector<std::uint64_t> ids;
    for (const char* r : {"one", "two", "three", "four"}) ids.push_back(*s->append(r));
    for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i], ids[i - 1]);
    const std::uint64_t gone[] = {ids[1], ids[3], 999999};
    ASSERT_TRUE(s->remove(gone));
    const auto got = contents(*s);
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0], std::make_pair(ids[0], std::string("one")));
    EXPECT_EQ(got[1], std::make_pair(ids[2], std::string("three")));
    EXPECT_GT(*s->append("five"), ids[3]);  // ids never repeat
}

TEST_P(event_store_conformance, carries_binary_records) {
    auto s = GetParam()();
    const std::string bytes("a\0b\n\xff", 5);
    ASSERT_TRUE(s->append(bytes));
    EXPECT_EQ(contents(*s).at(0).second, bytes);
}

std::unique_ptr<event_store> make_memory() {
    return std::make_unique<memory_event_store>();
}
std::unique_ptr<event_store> make_file() {
    auto s = file_store::open({fresh_dir().string()});
    EXPECT_TRUE(s);
    return std::move(*s);
}
std::unique_ptr<event_store> make_fake() {
    return std::make_unique<memory_store>();
}

INSTANTIATE_TEST_SUITE_P(all, event_store_conformance,
                         ::testing::Values(&make_memory, &make_file, &make_fake));

// --- the file store ---

TEST(file_store, survives_a_reopen) {
    const auto dir = fresh_dir();
    {
        auto s = *file_store::open({dir.string()});
        ASSERT_TRUE(s->put("anonymous_id", "a-1"));
        ASSERT_TRUE(s->append("r1"));
        const auto r2 = *s->append("r2");
        const std::uint64_t ids[] = {r2};
        ASSERT_TRUE(s->remove(ids));
        ASSERT_TRUE(s->append("r3"));
    }  // no sync, no goodbye: a process that ends here keeps what it wrote
    auto s = *file_store::open({dir.string()});
    EXPECT_EQ(s->get("anonymous_id"), "a-1");
    const auto got = contents(*s);
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0].second, "r1");
    EXPECT_EQ(got[1].second, "r3");
    EXPECT_EQ(got[1].first, 3U);
    EXPECT_EQ(s->discarded_bytes(), 0U);
}

// Cuts the file at every length inside the last record: each time the first
// two records load, the torn one is skipped, and the file works on.
TEST(file_store, skips_a_torn_write_at_the_end) {
    const auto dir = fresh_dir();
    const auto log = dir / "queue.log";
    std::uint64_t full = 0;
    std::uint64_t before_last = 0;
    {
        auto s = *file_store::open({dir.string()});
        ASSERT_TRUE(s->append("first"));
        ASSERT_TRUE(s->append("second"));
        before_last = s->file_bytes();
        ASSERT_TRUE(s->append("third record, torn"));
        full = s->file_bytes();
    }
    for (std::uint64_t cut = before_last + 1; cut < full; ++cut) {
        SCOPED_TRACE(cut);
        const auto copy = fresh_dir();
        fs::create_directories(copy);
        fs::copy_file(log, copy / "queue.log");
        fs::resize_file(copy / "queue.log", cut);
        auto s = file_store::open({copy.string()});
        ASSERT_TRUE(s);
        EXPECT_EQ((*s)->discarded_bytes(), cut - before_last);
        auto got = contents(**s);
        ASSERT_EQ(got.size(), 2U);
        EXPECT_EQ(got[1].second, "second");
        ASSERT_TRUE((*s)->append("after"));
        s->reset();
        auto again = *file_store::open({copy.string()});
        EXPECT_EQ(again->discarded_bytes(), 0U);
        got = contents(*again);
        ASSERT_EQ(got.size(), 3U);
        EXPECT_EQ(got[2].second, "after");
    }
}

TEST(file_store, stops_at_a_record_that_fails_its_checksum) {
    const auto dir = fresh_dir();
    {
        auto s = *file_store::open({dir.string()});
        ASSERT_TRUE(s->append("good"));
        ASSERT_TRUE(s->append("flipped"));
    }
    {
        std::fstream f(dir / "queue.log", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(-2, std::ios::end);
        f.put('X');
    }
    {
        std::ofstream f(dir / "queue.log", std::ios::app | std::ios::binary);
        f << "\x07garbage that is no record";
    }
    auto s = *file_store::open({dir.string()});
    EXPECT_GT(s->discarded_bytes(), 0U);
    const auto got = contents(*s);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].second, "good");
}

TEST(file_store, compacts_a_mostly_dead_log) {
    const auto dir = fresh_dir();
    {
        auto s = *file_store::open({dir.string(), false, 64 * 1024});
        ASSERT_TRUE(s->put("k", "v"));
        const std::string payload(500, 'p');
        std::uint64_t keep = 0;
        for (int i = 0; i < 1000; ++i) {
            const auto id = *s->append(payload + std::to_string(i));
            if (i == 500) {
                keep = id;
                continue;
            }
            const std::uint64_t ids[] = {id};
            ASSERT_TRUE(s->remove(ids));
        }
        EXPECT_LT(s->file_bytes(), 64U * 1024 + 1024);
        EXPECT_EQ(s->live_records(), 1U);
        EXPECT_EQ(keep, 501U);
    }
    auto s = *file_store::open({dir.string()});
    EXPECT_EQ(s->get("k"), "v");
    const auto got = contents(*s);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].first, 501U);
    EXPECT_EQ(got[0].second, std::string(500, 'p') + "500");
    EXPECT_EQ(*s->append("next"), 1001U);
}

TEST(file_store, one_tracker_per_directory) {
    const auto dir = fresh_dir();
    auto first = file_store::open({dir.string()});
    ASSERT_TRUE(first);
    auto second = file_store::open({dir.string()});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), errc::storage_failed);
}

// The whole SDK core on the file store: killed with events queued and a
// torn write at the end, it sends every complete event after the restart.
TEST(file_store, a_crashed_tracker_sends_its_queue_after_restart) {
    const auto dir = fresh_dir();
    core_rig rig;
    std::string anon;
    {
        auto store = *file_store::open({dir.string()});
        tracker_core core(rig.options, rig.clock, rig.random, *store);
        ASSERT_TRUE(core.start());
        for (int i = 0; i < 3; ++i) ASSERT_TRUE(core.track(screen_view("s" + std::to_string(i))));
        anon = core.anonymous_id();
    }
    {
        std::ofstream f(dir / "queue.log", std::ios::app | std::ios::binary);
        f.write("\x40\x00\x00\x00\x12\x34", 6);  // a record header, cut short
    }
    auto store = *file_store::open({dir.string()});
    tracker_core core(rig.options, rig.clock, rig.random, *store);
    ASSERT_TRUE(core.start());
    EXPECT_EQ(core.anonymous_id(), anon);
    ASSERT_TRUE(core.pump(rig.transport));
    const auto b = rig.last_batch();
    ASSERT_EQ(b["events"].size(), 3U);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(b["events"][i]["name"], "s" + std::to_string(i));
        EXPECT_EQ(b["events"][i]["seq"], i + 1);
    }
    EXPECT_EQ(store->live_records(), 0U);
}

}  // namespace
}  // namespace clickstream::test
