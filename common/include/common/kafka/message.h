// What the services hand to Kafka and get back from it, without librdkafka
// types: a message (topic, optional key, value, headers) and the interface of
// anything that takes messages and later says whether they are durable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace clickstream::common::kafka {

struct header {
    std::string name;
    std::string value;
    bool operator==(const header&) const = default;
};

struct message {
    std::string topic;
    std::optional<std::string> key;  // nullopt: unkeyed (the partitioner spreads them)
    std::string value;
    std::vector<header> headers;

    // The last header with this name, or nullptr.
    const header* find_header(std::string_view name) const noexcept {
        for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
            if (it->name == name) return &*it;
        }
        return nullptr;
    }
    bool operator==(const message&) const = default;
};

// The outcome of one produce: `error` is empty once the broker acknowledged
// the message (acks=all). The message comes back either way, so a caller can
// keep it elsewhere (the collector's spool) when delivery failed.
struct delivery_report {
    std::error_code error;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    message msg;
};

using delivery_handler = std::function<void(delivery_report&&)>;

// Something that takes messages and reports, once per message, whether each
// is durable. Implemented by `producer` and by the tests' in-memory sinks.
class message_sink {
public:
    virtual ~message_sink() = default;
    // `done` is called exactly once: from the sink's own delivery thread, or
    // before produce returns when the message is refused at once (queue full,
    // shutting down).
    virtual void produce(message msg, delivery_handler done) noexcept = 0;
    // Waits until every message given so far has had its report, or `timeout`
    // passed; true when nothing is outstanding.
    virtual bool flush(std::chrono::milliseconds timeout) noexcept = 0;
};

}  // namespace clickstream::common::kafka
