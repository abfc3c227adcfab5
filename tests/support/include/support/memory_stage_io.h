// memory_stage_io: an in-memory record_source + transactional_sink for the
// processor stages' unit tests: one input partition, a committed position,
// committed ("visible", what read_committed readers see) and open outputs.
// Faults: fail the next commits (and say whether the failed commit landed
// anyway, as a timed-out Kafka commit may), fail the n-th produce, revoke
// the partitions on the next poll. Header-only; tests that include it link
// the processor stage library.
#pragma once

#include <string>
#include <vector>

#include "common/errc.h"
#include "processor/stage/stage_io.h"

namespace clickstream::test {

class memory_stage_io final : public processor::record_source,
                              public processor::transactional_sink {
public:
    std::string topic = "raw";
    std::vector<processor::input_record> input;  // offsets are indexes
    std::size_t read = 0;                        // the next poll's index
    std::int64_t committed = 0;                  // next offset after the committed ones
    std::vector<processor::output_record> visible;
    std::vector<processor::output_record> open;
    bool in_transaction = false;
    int commits = 0, aborts = 0, resets = 0, rewinds = 0, begins = 0;

    // Faults.
    int fail_commits = 0;              // the next n commits fail
    bool failed_commit_lands = false;  // ... but their outputs and offsets land
    int fail_produce_at = -1;          // the produce with this index (counted from 0) fails
    bool revoke_next_poll = false;
    int produced = 0;

    void add(std::string value, std::vector<processor::record_header> headers) {
        processor::input_record r;
        r.topic = topic;
        r.partition = 0;
        r.offset = static_cast<std::int64_t>(input.size());
        r.value = std::move(value);
        r.headers = std::move(headers);
        input.push_back(std::move(r));
    }

    clickstream::result<processor::poll_result> poll(std::chrono::milliseconds) noexcept override {
        processor::poll_result out;
        if (revoke_next_poll) {
            revoke_next_poll = false;
            out.revoked = true;
            abort();
            read = static_cast<std::size_t>(committed);  // a new assignment starts there
        }
        if (read < input.size()) out.record = input[read++];
        return out;
    }

    clickstream::result<void> rewind() noexcept override {
        ++rewinds;
        read = static_cast<std::size_t>(committed);
        return {};
    }

    clickstream::result<void> begin() noexcept override {
        ++begins;
        in_transaction = true;
        return {};
    }

    clickstream::result<void> produce(processor::output_record r) noexcept override {
        if (produced++ == fail_produce_at) {
            return failure{make_error_code(common::errc::kafka_rejected)};
        }
        open.push_back(std::move(r));
        return {};
    }

    clickstream::result<void> commit(
        const std::vector<processor::input_position>& positions) noexcept override {
        const bool fail = fail_commits > 0;
        if (fail) --fail_commits;
        if (!fail || failed_commit_lands) {
            visible.insert(visible.end(), open.begin(), open.end());
            for (const auto& p : positions) committed = p.next_offset;
        }
        open.clear();
        in_transaction = false;
        if (fail) return failure{make_error_code(common::errc::kafka_timed_out)};
        ++commits;
        return {};
    }

    void abort() noexcept override {
        if (in_transaction) ++aborts;
        open.clear();
        in_transaction = false;
    }

    clickstream::result<void> reset() noexcept override {
        ++resets;
        return {};
    }
};

}  // namespace clickstream::test
