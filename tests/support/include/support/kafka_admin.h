// Topics for integration tests on a real broker (the stack's, or a
// private_kafka's): make one (support/kafka_topics.h), deleted when the test
// program ends if it is the stack's, and read one back from the start through
// common's consumer. Header-only: a test that includes it links librdkafka
// and clickstream::common itself.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/kafka/consumer.h"
#include "common/log.h"
#include "support/kafka_topics.h"
#include "support/stack.h"

namespace clickstream::test {

// The topics create_topic made and the consumer groups read_topic_until
// read in on the stack's broker, deleted when the test program ends (a
// private_kafka's go with their broker).
inline std::vector<std::string>& stack_topics_made() {
    static std::vector<std::string> made;
    return made;
}
inline std::vector<std::string>& stack_groups_made() {
    static std::vector<std::string> made;
    return made;
}

class delete_stack_topics_and_groups : public ::testing::Environment {
public:
    void TearDown() override {
        // Short: a broker that is gone by then must not hold the program.
        auto why = delete_topics(kafka_bootstrap(), stack_topics_made(), 10000);
        if (!why.empty()) std::cerr << "could not delete the test's topics: " << why << "\n";
        why = delete_groups(kafka_bootstrap(), stack_groups_made(), 10000);
        if (!why.empty()) std::cerr << "could not delete the test's groups: " << why << "\n";
        stack_topics_made().clear();
        stack_groups_made().clear();
    }
};

// Registered once per program, before main runs the tests.
inline ::testing::Environment* const delete_stack_topics_and_groups_at_exit =
    ::testing::AddGlobalTestEnvironment(new delete_stack_topics_and_groups);

// Creates `name` and waits until its metadata shows (support/kafka_topics.h).
inline void create_topic(const std::string& name, int partitions = 2,
                         const std::string& brokers = kafka_bootstrap()) {
    const auto why = make_topic(brokers, name, partitions);
    ASSERT_EQ(why, "");
    if (brokers == kafka_bootstrap()) stack_topics_made().push_back(name);
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
    if (brokers == kafka_bootstrap()) stack_groups_made().push_back(o.group_id);
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
