// common's Kafka wrappers against the stack's broker: the producer's reports,
// its recovery from a fatal error without losing a message, and the
// consumer's group reads and commits.
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "collector_support.h"
#include "common/errc.h"
#include "common/kafka/producer.h"

namespace {

namespace t = clickstream::test;
namespace kafka = clickstream::common::kafka;
using clickstream::common::errc;

class collector_kafka : public ::testing::Test {
protected:
    void SetUp() override {
        topic_ = t::unique_name("it_kafka");
        t::create_topic(topic_, 1);
    }
    std::unique_ptr<kafka::producer> make_producer(const std::string& brokers,
                                                   int timeout_ms = 10000) {
        kafka::producer_options o;
        o.brokers = brokers;
        o.message_timeout = std::chrono::milliseconds(timeout_ms);
        auto p = kafka::producer::create(o, log_);
        EXPECT_TRUE(p) << log_text_.str();
        return p ? std::move(*p) : nullptr;
    }
    kafka::message msg(int i) const {
        return {topic_,
                "key-" + std::to_string(i % 3),
                "value-" + std::to_string(i) + std::string("\0\xff", 2),
                {{"site", "demo"}, {"n", std::to_string(i)}}};
    }

    std::string topic_;
    std::ostringstream log_text_;
    clickstream::common::logger log_{log_text_, "test"};
};

TEST_F(collector_kafka, produced_messages_come_back_with_keys_and_headers) {
    auto p = make_producer(t::kafka_bootstrap());
    std::atomic<int> ok{0}, failed{0};
    std::set<std::thread::id> report_threads;
    std::mutex m;
    for (int i = 0; i < 50; ++i) {
        p->produce(msg(i), [&](kafka::delivery_report&& r) {
            (r.error ? failed : ok)++;
            std::lock_guard lock(m);
            report_threads.insert(std::this_thread::get_id());
        });
    }
    ASSERT_TRUE(p->flush(std::chrono::seconds(30)));
    EXPECT_EQ(ok, 50);
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(report_threads.count(std::this_thread::get_id()), 0U)
        << "reports come from the poll thread";
    auto got = t::read_topic(topic_, 50);
    ASSERT_EQ(got.size(), 50U);
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(got[static_cast<std::size_t>(i)].msg, msg(i)) << i;
        EXPECT_EQ(got[static_cast<std::size_t>(i)].offset, i);
    }
}

TEST_F(collector_kafka, fatal_error_recreates_the_producer_and_loses_nothing) {
    auto p = make_producer(t::kafka_bootstrap());
    std::atomic<int> ok{0}, failed{0};
    auto count = [&](kafka::delivery_report&& r) { (r.error ? failed : ok)++; };
    for (int i = 0; i < 100; ++i) p->produce(msg(i), count);
    p->simulate_fatal_error("test: sequence desynchronization");
    for (int i = 100; i < 200; ++i) p->produce(msg(i), count);
    ASSERT_TRUE(p->flush(std::chrono::seconds(60))) << log_text_.str();
    EXPECT_EQ(ok, 200);
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(p->recreations(), 1U);
    auto got = t::read_topic(topic_, 200, std::chrono::seconds(20));
    std::set<std::string> values;
    for (const auto& g : got) values.insert(g.msg.value);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(values.count(msg(i).value), 1U) << i;
}

TEST_F(collector_kafka, unreachable_broker_reports_the_failure_and_returns_the_message) {
    auto p = make_producer("127.0.0.1:1", 500);
    std::promise<kafka::delivery_report> report;
    p->produce(msg(7), [&](kafka::delivery_report&& r) { report.set_value(std::move(r)); });
    auto r = report.get_future().get();
    EXPECT_EQ(r.error, errc::kafka_timed_out);
    EXPECT_EQ(r.msg, msg(7));
    EXPECT_FALSE(p->check_reachable(std::chrono::milliseconds(500)));
}

TEST_F(collector_kafka, consumer_resumes_after_its_committed_offset) {
    auto p = make_producer(t::kafka_bootstrap());
    for (int i = 0; i < 20; ++i) p->produce(msg(i), nullptr);
    ASSERT_TRUE(p->flush(std::chrono::seconds(30)));

    kafka::consumer_options o;
    o.brokers = t::kafka_bootstrap();
    o.group_id = t::unique_name("it_group");
    o.topics = {topic_};
    o.assignor = "roundrobin";
    {
        auto c = kafka::consumer::create(o, log_);
        ASSERT_TRUE(c);
        std::vector<kafka::consumed_message> first;
        for (int i = 0; i < 600 && first.size() < 10; ++i) {
            auto m = (*c)->poll(std::chrono::milliseconds(100));
            ASSERT_TRUE(m);
            if (*m) first.push_back(std::move(**m));
        }
        ASSERT_EQ(first.size(), 10U);
        EXPECT_EQ(first.back().msg, msg(9));
        ASSERT_TRUE((*c)->commit(std::vector<kafka::partition_offset>{
            {topic_, first.back().partition, first.back().offset + 1}}));
        (*c)->close();
    }
    auto c = kafka::consumer::create(o, log_);
    ASSERT_TRUE(c);
    std::optional<kafka::consumed_message> next;
    for (int i = 0; i < 600 && !next; ++i) {
        auto m = (*c)->poll(std::chrono::milliseconds(100));
        ASSERT_TRUE(m);
        next = std::move(*m);
    }
    ASSERT_TRUE(next);
    EXPECT_EQ(next->msg, msg(10));
}

TEST_F(collector_kafka, cooperative_assignor_is_refused) {
    kafka::consumer_options o;
    o.brokers = t::kafka_bootstrap();
    o.group_id = "g";
    o.topics = {topic_};
    o.assignor = "cooperative-sticky";
    auto c = kafka::consumer::create(o, log_);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::kafka_config);
}

}  // namespace
