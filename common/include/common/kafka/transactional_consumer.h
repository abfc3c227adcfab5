// The consumer side of an exactly-once stage (consume → transform →
// produce): like `consumer` (eager assignor, read_committed, no auto
// commit), but its offsets are committed by a transactional_producer inside
// the producer's transaction, with this consumer's group metadata, so the
// broker fences a member that lost its partitions (KIP-447).
//
// - The revoke hook runs inside poll(), in the rebalance callback, before the
//   partitions are given up: the stage aborts its open transaction there.
//   poll() then reports `revoked` once, so the caller forgets what it read.
// - rewind() goes back to the committed offsets of every assigned partition:
//   after a failed or indeterminate commit, the outputs are gone and the
//   inputs are read again.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "clickstream/result.h"
#include "common/kafka/consumer.h"
#include "common/log.h"

namespace clickstream::common::kafka {

struct transactional_poll {
    std::optional<consumed_message> message;
    bool revoked = false;  // partitions were revoked since the previous poll
};

class transactional_consumer {
public:
    static result<std::unique_ptr<transactional_consumer>> create(consumer_options options,
                                                                  logger& log);
    ~transactional_consumer();

    transactional_consumer(const transactional_consumer&) = delete;
    transactional_consumer& operator=(const transactional_consumer&) = delete;

    // Called on the polling thread before partitions are revoked.
    void on_revoke(std::function<void()> hook);

    result<transactional_poll> poll(std::chrono::milliseconds timeout) noexcept;

    // Seeks every assigned partition to its committed offset (or the reset
    // policy's offset when none is committed). Blocks up to `timeout`.
    result<void> rewind(std::chrono::milliseconds timeout) noexcept;

    // High watermark minus position, summed over the assigned partitions
    // whose both are known (from the last fetches; no broker round trip).
    std::int64_t lag() const noexcept;

    void close() noexcept;

    struct state;  // librdkafka handles (transactional_consumer.cpp)
    state& internals() noexcept { return *state_; }

private:
    explicit transactional_consumer(std::unique_ptr<state> s);
    std::unique_ptr<state> state_;
};

}  // namespace clickstream::common::kafka
