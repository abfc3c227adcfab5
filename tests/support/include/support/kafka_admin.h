// Topics for integration tests on a real broker (the stack's, or a
// private_kafka's): make one with librdkafka's admin API, read one back from
// the start through common's consumer. Header-only: a test that includes it
// links librdkafka and clickstream::common itself.
#pragma once

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/kafka/consumer.h"
#include "common/log.h"
#include "support/stack.h"

namespace clickstream::test {

// Creates `name` with librdkafka's admin API and waits until its metadata shows.
inline void create_topic(const std::string& name, int partitions = 2,
                         const std::string& brokers = kafka_bootstrap()) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ASSERT_NE(rk, nullptr) << err;
    rd_kafka_NewTopic_t* topic =
        rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err, sizeof err);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &topic, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
    ASSERT_NE(ev, nullptr) << "no answer to CreateTopics";
    size_t n = 0;
    const auto** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    ASSERT_EQ(n, 1U);
    EXPECT_EQ(rd_kafka_topic_result_error(results[0]), RD_KAFKA_RESP_ERR_NO_ERROR)
        << rd_kafka_topic_result_error_string(results[0]);
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(topic);
    // A new topic's metadata can take a moment to appear.
    for (int i = 0; i < 100; ++i) {
        rd_kafka_topic_t* t = rd_kafka_topic_new(rk, name.c_str(), nullptr);
        const rd_kafka_metadata_t* md = nullptr;
        bool ready = false;
        if (rd_kafka_metadata(rk, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ready = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                    md->topics[0].partition_cnt == partitions;
            rd_kafka_metadata_destroy(md);
        }
        rd_kafka_topic_destroy(t);
        if (ready) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    rd_kafka_destroy(rk);
}

using consumed = std::vector<common::kafka::consumed_message>;

// Reads `topic` from the start until `enough(what was read)` or `limit` passed.
inline consumed read_topic_until(const std::string& topic,
                                 const std::function<bool(const consumed&)>& enough,
                                 std::chrono::seconds limit = std::chrono::seconds(60),
                                 const std::string& brokers = kafka_bootstrap()) {
    std::ostringstream log_text;
    common::logger log(log_text, "test", common::log_level::warn);
    common::kafka::consumer_options o;
    o.brokers = brokers;
    o.group_id = unique_name("it_read");
    o.topics = {topic};
    auto c = common::kafka::consumer::create(o, log);
    EXPECT_TRUE(c) << log_text.str();
    consumed out;
    if (!c) return out;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!enough(out) && std::chrono::steady_clock::now() < deadline) {
        auto m = (*c)->poll(std::chrono::milliseconds(500));
        if (m && *m) out.push_back(std::move(**m));
    }
    (*c)->close();
    return out;
}

// Reads `topic` from the start until `count` messages came or `limit` passed.
inline consumed read_topic(const std::string& topic, std::size_t count,
                           std::chrono::seconds limit = std::chrono::seconds(60),
                           const std::string& brokers = kafka_bootstrap()) {
    return read_topic_until(
        topic, [count](const consumed& got) { return got.size() >= count; }, limit, brokers);
}

// A header's value, or "<absent>".
inline std::string header_of(const common::kafka::consumed_message& m, std::string_view name) {
    const auto* h = m.msg.find_header(name);
    return h == nullptr ? "<absent>" : h->value;
}

}  // namespace clickstream::test
