// The Kafka consumer: the one place that consumes through librdkafka.
//
// - A member of a consumer group with an eager assignor (`range` or
//   `roundrobin`; librdkafka 2.0.2's cooperative-sticky has rebalance bugs,
//   so it is refused), reading only committed transactional data
//   (isolation.level=read_committed).
// - Offsets are committed only when the caller says so (no auto commit): a
//   service commits what its store has durably taken.
// - Rebalances are handled inside poll(), on the caller's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clickstream/result.h"
#include "common/kafka/message.h"
#include "common/log.h"

namespace clickstream::common::kafka {

struct consumer_options {
    std::string brokers = "127.0.0.1:9092";
    std::string group_id;
    std::vector<std::string> topics;
    std::string assignor = "range";         // range | roundrobin
    std::string offset_reset = "earliest";  // where a group without offsets starts
    // Above zero: on each assignment every partition starts at its first
    // message no older than this (by message timestamp, offsetsForTimes),
    // not at the committed offset; the end if none is that recent. For
    // services that rebuild recent in-memory state from the topic.
    std::chrono::milliseconds start_within{0};
    std::map<std::string, std::string> settings;  // other librdkafka settings, applied last
};

struct consumed_message {
    message msg;  // topic, key, value, headers as produced
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::int64_t timestamp_ms = -1;  // the message's create time, -1 if none
};

// The next offset to read in one partition (the last processed + 1).
struct partition_offset {
    std::string topic;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
};

// A committed offset with its metadata: what the broker stores beside the
// offset and gives back with it, for a consumer that needs more than the
// offset to resume exactly there. Empty: none. The broker refuses a commit
// whose metadata is longer than its offset.metadata.max.bytes (4096 bytes
// by default).
struct partition_commit {
    partition_offset position;
    std::string metadata;
};

class consumer {
public:
    static result<std::unique_ptr<consumer>> create(consumer_options options, logger& log);
    // Leaves the group (close) if close() was not called.
    ~consumer();

    consumer(const consumer&) = delete;
    consumer& operator=(const consumer&) = delete;

    // One message, or nullopt when none came within `timeout`. Informational
    // events (end of partition) are skipped; a real error is returned.
    result<std::optional<consumed_message>> poll(std::chrono::milliseconds timeout) noexcept;

    // Commits synchronously: each partition will be read from `offset` on.
    result<void> commit(const std::vector<partition_offset>& offsets) noexcept;
    // The same, with each offset's metadata stored beside it.
    result<void> commit(const std::vector<partition_commit>& commits) noexcept;

    // The group's committed offset and its metadata for each of `partitions`
    // (their `offset` is ignored); asks the broker, blocking up to `timeout`.
    // A partition with no commit comes back with offset -1001 (librdkafka's
    // "invalid") and no metadata.
    result<std::vector<partition_commit>> committed(const std::vector<partition_offset>& partitions,
                                                    std::chrono::milliseconds timeout) noexcept;

    // The partitions this member holds now.
    std::vector<partition_offset> assignment() const noexcept;

    // Leaves the group cleanly (its partitions go to the others at once).
    void close() noexcept;

    struct state;

private:
    explicit consumer(std::unique_ptr<state> s);
    std::unique_ptr<state> state_;
};

}  // namespace clickstream::common::kafka
