// The disk spool in a temporary directory: order, acks, the byte bound, and
// what a restart finds (including a record torn by a crash).
#include "collector/spool.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <sstream>

#include "collector/errc.h"
#include "support/stack.h"

namespace {

using namespace clickstream::collector;
using clickstream::common::kafka::message;

class collector_spool : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / clickstream::test::unique_name("spool");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::unique_ptr<spool> open(std::uint64_t max_bytes = 1 << 20,
                                std::uint64_t segment = 1 << 16) {
        auto s = spool::open({dir_, max_bytes, segment}, "topic-a", log_);
        EXPECT_TRUE(s) << s.error().message();
        return s ? std::move(*s) : nullptr;
    }
    static message msg(int i, std::size_t size = 10) {
        message m;
        m.value = "body-" + std::to_string(i) + std::string(size, 'x');
        m.headers = {{"site", "demo"}, {"n", std::to_string(i)}};
        if (i % 2 == 0) m.key = "k" + std::to_string(i);
        return m;
    }
    static std::error_code append(spool& s, const message& m) {
        std::promise<std::error_code> done;
        s.append(m, [&](std::error_code ec) { done.set_value(ec); });
        return done.get_future().get();
    }

    std::filesystem::path dir_;
    std::ostringstream log_text_;
    clickstream::common::logger log_{log_text_, "test"};
};

TEST_F(collector_spool, records_round_trip_through_the_encoding) {
    const message m = msg(2);
    auto back = decode_record(encode_record(m));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, m);
    EXPECT_FALSE(decode_record(encode_record(m).substr(0, 7)));
}

TEST_F(collector_spool, reads_back_in_order_and_acks_a_prefix) {
    auto s = open();
    for (int i = 0; i < 5; ++i) ASSERT_FALSE(append(*s, msg(i)));
    EXPECT_EQ(s->records(), 5U);
    auto first = s->read(3);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->size(), 3U);
    for (int i = 0; i < 3; ++i) {
        message expected = msg(i);
        expected.topic = "topic-a";
        EXPECT_EQ((*first)[static_cast<std::size_t>(i)].msg, expected);
    }
    s->ack((*first)[1].next, 2);
    EXPECT_EQ(s->records(), 3U);
    auto rest = s->read(10);
    ASSERT_TRUE(rest);
    ASSERT_EQ(rest->size(), 3U);
    EXPECT_EQ(rest->front().msg.value, msg(2).value);
    s->ack(rest->back().next, 3);
    EXPECT_EQ(s->records(), 0U);
    EXPECT_EQ(s->bytes(), 0U);
}

TEST_F(collector_spool, refuses_past_its_byte_bound_until_records_are_delivered) {
    auto s = open(600);
    int taken = 0;
    while (!append(*s, msg(taken, 100))) ++taken;
    EXPECT_GT(taken, 0);
    EXPECT_EQ(append(*s, msg(99, 100)), errc::spool_full);
    auto r = s->read(1);
    ASSERT_TRUE(r);
    s->ack(r->front().next, 1);
    EXPECT_FALSE(append(*s, msg(100, 100))) << "room again after a delivery";
}

TEST_F(collector_spool, survives_a_restart_where_delivery_stopped) {
    {
        auto s = open(1 << 20, 256);  // small segments: several files
        for (int i = 0; i < 20; ++i) ASSERT_FALSE(append(*s, msg(i)));
        auto r = s->read(7);
        ASSERT_TRUE(r);
        s->ack(r->back().next, 7);
        s->close();
    }
    auto s = open(1 << 20, 256);
    EXPECT_EQ(s->records(), 13U);
    auto r = s->read(100);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 13U);
    for (std::size_t i = 0; i < r->size(); ++i)
        EXPECT_EQ((*r)[i].msg.value, msg(static_cast<int>(i) + 7).value);
    s->ack(r->back().next, 13);
    ASSERT_FALSE(append(*s, msg(50)));
    auto after = s->read(10);
    ASSERT_TRUE(after);
    ASSERT_EQ(after->size(), 1U);
    EXPECT_EQ(after->front().msg.value, msg(50).value);
}

TEST_F(collector_spool, delivered_segments_are_deleted) {
    auto s = open(1 << 20, 128);
    for (int i = 0; i < 10; ++i) ASSERT_FALSE(append(*s, msg(i)));
    auto count_segments = [&] {
        int n = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir_))
            n += e.path().extension() == ".seg";
        return n;
    };
    EXPECT_GT(count_segments(), 3);
    auto r = s->read(10);
    ASSERT_TRUE(r);
    s->ack(r->back().next, 10);
    ASSERT_FALSE(append(*s, msg(11)));  // the writer rotates past the delivered segment
    EXPECT_LE(count_segments(), 2);
}

TEST_F(collector_spool, torn_final_record_is_cut_on_open) {
    {
        auto s = open();
        for (int i = 0; i < 3; ++i) ASSERT_FALSE(append(*s, msg(i)));
        s->close();
    }
    std::filesystem::path seg;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
        if (e.path().extension() == ".seg") seg = e.path();
    }
    // A crash in the middle of a write: half a record at the end.
    const std::string next = std::string("CSP1") + std::string(30, '\x07');
    std::ofstream(seg, std::ios::app | std::ios::binary) << next;
    auto s = open();
    EXPECT_EQ(s->records(), 3U);
    ASSERT_FALSE(append(*s, msg(3)));
    auto r = s->read(10);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 4U);
    EXPECT_EQ(r->back().msg.value, msg(3).value);
    EXPECT_NE(log_text_.str().find("spool_cut"), std::string::npos);
}

TEST_F(collector_spool, closed_spool_takes_nothing) {
    auto s = open();
    s->close();
    EXPECT_EQ(append(*s, msg(1)), errc::spool_closed);
}

}  // namespace
