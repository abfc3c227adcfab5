// The producer side of an exactly-once stage: librdkafka's transactional
// producer. One transaction holds the stage's outputs and the consumer's
// offsets (send_offsets_to_transaction with the consumer's group metadata);
// commit makes both visible at once to read_committed readers, abort drops
// both.
//
// - create() calls init_transactions: it fences any older producer with the
//   same transactional.id (a crashed or stalled instance) and aborts the
//   transaction it left open, so readers are not held up until its timeout.
//   A stable transactional.id per instance therefore matters.
// - Errors are values. Every error of commit() is indeterminate for the
//   caller (a commit that timed out may still land; KAFKA-17754, whose fix
//   KIP-890 librdkafka 2.0.2 lacks, lets a late commit or abort land on a
//   later transaction): abort, destroy this producer, create a new one (which
//   fences this one) and read again from the committed offsets. Never retry a
//   commit.
// - Messages are copied into librdkafka; delivery errors surface at commit.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "clickstream/result.h"
#include "common/kafka/consumer.h"
#include "common/kafka/message.h"
#include "common/kafka/transactional_consumer.h"
#include "common/log.h"

namespace clickstream::common::kafka {

struct transactional_producer_options {
    std::string brokers = "127.0.0.1:9092";
    std::string client_id = "clickstream";
    std::string transactional_id;  // required: stable per instance
    // The broker aborts a transaction open longer than this (a crashed
    // producer that is not restarted). Keep it above the commit interval.
    std::chrono::milliseconds transaction_timeout{60'000};
    // Longest wait for init, commit and abort.
    std::chrono::milliseconds operation_timeout{30'000};
    std::chrono::milliseconds linger{5};
    std::string compression = "lz4";
    std::map<std::string, std::string> settings;  // other librdkafka settings, applied last
};

class transactional_producer {
public:
    static result<std::unique_ptr<transactional_producer>> create(
        transactional_producer_options options, logger& log);
    // Aborts an open transaction (bounded by the operation timeout).
    ~transactional_producer();

    transactional_producer(const transactional_producer&) = delete;
    transactional_producer& operator=(const transactional_producer&) = delete;

    result<void> begin() noexcept;
    // Enqueues into the open transaction; waits (polling) while the local
    // queue is full, up to the operation timeout.
    result<void> produce(const message& msg) noexcept;
    // Sends `offsets` (next offsets to read) with `from`'s group metadata and
    // commits. Any error: see the header comment.
    result<void> commit(const std::vector<partition_offset>& offsets,
                        transactional_consumer& from) noexcept;
    // Aborts the open transaction if there is one; false if the abort failed.
    bool abort() noexcept;

    bool in_transaction() const noexcept;

    struct state;

private:
    explicit transactional_producer(std::unique_ptr<state> s);
    std::unique_ptr<state> state_;
};

}  // namespace clickstream::common::kafka
