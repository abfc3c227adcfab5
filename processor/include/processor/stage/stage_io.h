// What a processor stage reads from and writes to, as two small interfaces
// with no Kafka client in sight: the stage's logic is tested on in-memory
// fakes (tests/support/), and kafka_io.h implements both over common/kafka.
//
// Exactly once: a stage begins a transaction, produces its outputs, and
// commits them together with the input positions they came from. Either all
// of it becomes visible (to read_committed readers) or none of it; on any
// failure the stage starts again from the committed positions.
#pragma once

#include <clickstream/result.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace clickstream::processor {

struct record_header {
    std::string name;
    std::string value;
    bool operator==(const record_header&) const = default;
};

struct input_record {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::optional<std::string> key;
    std::string value;
    std::vector<record_header> headers;

    // The last header with this name, or nullptr.
    const record_header* header(std::string_view name) const noexcept {
        for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
            if (it->name == name) return &*it;
        }
        return nullptr;
    }
};

struct output_record {
    std::string topic;
    std::optional<std::string> key;
    std::string value;
    std::vector<record_header> headers;
    bool operator==(const output_record&) const = default;
};

// The next offset to read in one input partition (the last processed + 1).
struct input_position {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t next_offset = 0;
    bool operator==(const input_position&) const = default;
};

struct poll_result {
    std::optional<input_record> record;
    // The source gave up partitions since the last poll (a rebalance): what
    // was read since the last commit may now belong to another member, so
    // the open transaction is void (the source has already aborted it) and
    // the caller must forget it. `record`, if set, is from after that.
    bool revoked = false;
};

class record_source {
public:
    virtual ~record_source() = default;
    // The next record, or none within `timeout`; an error is a failure of
    // the source itself (the caller backs off and polls again).
    virtual clickstream::result<poll_result> poll(std::chrono::milliseconds timeout) noexcept = 0;
    // The next polls start again at the committed positions (after a failed
    // or indeterminate commit).
    virtual clickstream::result<void> rewind() noexcept = 0;
};

class transactional_sink {
public:
    virtual ~transactional_sink() = default;
    virtual clickstream::result<void> begin() noexcept = 0;
    // Part of the open transaction; an error voids the transaction.
    virtual clickstream::result<void> produce(output_record record) noexcept = 0;
    // Makes the outputs of the open transaction visible together with the
    // input positions. An error means the outcome is unknown (a timed-out
    // commit may still land): the caller must reset() and rewind, never
    // retry the commit.
    virtual clickstream::result<void> commit(
        const std::vector<input_position>& positions) noexcept = 0;
    // Drops the open transaction's outputs (best effort: errors are logged).
    virtual void abort() noexcept = 0;
    // A fresh transactional producer that fences the old one (KAFKA-17754:
    // a late commit or abort of the old one then cannot land on a new
    // transaction). An error: try again later.
    virtual clickstream::result<void> reset() noexcept = 0;
};

}  // namespace clickstream::processor
