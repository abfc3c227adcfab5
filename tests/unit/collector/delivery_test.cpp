// delivery on the in-memory sink and a temporary spool: acked when the sink
// takes it, spooled when it fails, replayed in order once it takes again,
// refused only when the spool is full too.
#include "collector/delivery.h"

#include <gtest/gtest.h>

#include <future>
#include <sstream>

#include "support/memory_sink.h"
#include "support/stack.h"

namespace {

using namespace clickstream::collector;
using clickstream::common::kafka::message;

class collector_delivery : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / clickstream::test::unique_name("delivery");
        open_spool(1 << 20);
    }
    void TearDown() override {
        if (delivery_) delivery_->stop(std::chrono::milliseconds(100));
        delivery_.reset();
        spool_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open_spool(std::uint64_t max_bytes) {
        auto s = spool::open({dir_, max_bytes, 1 << 16}, "raw", log_);
        ASSERT_TRUE(s);
        spool_ = std::move(*s);
    }
    void start(std::uint64_t pending_limit = 1 << 20,
               std::chrono::milliseconds retry_backoff = std::chrono::milliseconds(10)) {
        delivery_options o;
        o.pending_limit = pending_limit;
        o.retry_backoff = retry_backoff;
        delivery_ = std::make_unique<delivery>(sink_, *spool_, o, probe_, log_);
        delivery_->start();
    }
    outcome deliver(int i, std::size_t size = 10) {
        message m;
        m.topic = "raw";
        m.value = "batch-" + std::to_string(i) + std::string(size, '.');
        std::promise<outcome> done;
        delivery_->deliver(m, [&](outcome o) { done.set_value(o); });
        return done.get_future().get();
    }
    // Waits (bounded) until the sink holds `n` messages.
    bool sink_holds(std::size_t n) {
        for (int i = 0; i < 1000 && sink_.taken().size() < n; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return sink_.taken().size() == n;
    }

    std::filesystem::path dir_;
    std::ostringstream log_text_;
    clickstream::common::logger log_{log_text_, "test"};
    clickstream::common::metrics::registry registry_;
    probe probe_{registry_};
    clickstream::test::memory_sink sink_;
    std::unique_ptr<spool> spool_;
    std::unique_ptr<delivery> delivery_;
};

TEST_F(collector_delivery, taken_by_the_sink_is_acked) {
    start();
    EXPECT_EQ(deliver(1), outcome::acked);
    ASSERT_EQ(sink_.taken().size(), 1U);
    EXPECT_EQ(spool_->records(), 0U);
    EXPECT_TRUE(delivery_->kafka_up());
}

TEST_F(collector_delivery, failed_by_the_sink_is_spooled_then_replayed_in_order) {
    // A backoff longer than a slow fsync: with the spool still empty after
    // it, the replay thread would try Kafka directly again (kafka_up).
    start(1 << 20, std::chrono::milliseconds(500));
    sink_.fail_all();
    EXPECT_EQ(deliver(1), outcome::spooled);
    EXPECT_FALSE(delivery_->kafka_up());
    EXPECT_EQ(deliver(2), outcome::spooled) << "while down, straight to the spool";
    EXPECT_EQ(deliver(3), outcome::spooled);
    EXPECT_EQ(sink_.taken().size(), 0U);
    sink_.recover();
    ASSERT_TRUE(sink_holds(3));
    const auto taken = sink_.taken();
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(taken[static_cast<std::size_t>(i)].value.substr(0, 7),
                  "batch-" + std::to_string(i + 1));
    for (int i = 0; i < 100 && spool_->records() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(spool_->records(), 0U);
    EXPECT_EQ(deliver(4), outcome::acked);
}

TEST_F(collector_delivery, partly_failed_window_is_not_sent_twice) {
    sink_.fail_all();
    start();
    for (int i = 0; i < 4; ++i) ASSERT_EQ(deliver(i), outcome::spooled);
    sink_.recover();
    sink_.fail_next(1);  // the first replayed record fails once, the others pass
    ASSERT_TRUE(sink_holds(4));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(sink_.taken().size(), 4U) << "each record reaches the sink once";
}

TEST_F(collector_delivery, more_than_the_pending_limit_goes_to_the_spool) {
    start(5);  // every message is larger than 5 bytes
    EXPECT_EQ(deliver(1), outcome::spooled);
    ASSERT_TRUE(sink_holds(1)) << "replayed from the spool";
}

TEST_F(collector_delivery, refused_when_the_spool_is_full_too) {
    spool_.reset();
    open_spool(200);
    sink_.fail_all();
    start();
    EXPECT_EQ(deliver(1, 100), outcome::spooled);
    EXPECT_EQ(deliver(2, 100), outcome::refused);
    auto text = registry_.expose();
    EXPECT_NE(text.find(R"(clickstream_collector_batches_total{outcome="refused"} 1)"),
              std::string::npos)
        << text;
}

}  // namespace
