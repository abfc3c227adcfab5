// The enrich stage: raw messages → clean events, bot events and dead letters,
// exactly once.
//
// The loop: begin a transaction; read raw messages and for each produce its
// outputs (a dead letter, or per event a clean or bot event unless its id is
// a duplicate); after `max_records` messages or `commit_interval`, commit the
// outputs together with the input positions. On a failed commit (its outcome
// unknown), abort, reset the producer and rewind the source to the committed
// positions: nothing is emitted twice and nothing is lost. The dedup window
// learns a transaction's ids only after it committed.
//
// Outputs:
// - clean: one clean event (clean-event.schema.json), key = session id;
// - bots: the same object with is_bot/bot_rule/bot_detail, key = session id;
// - dlq: the raw message's bytes and headers as they were, plus headers
//   dlq_reason, dlq_path, dlq_detail, dlq_topic, dlq_partition, dlq_offset.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/log.h"
#include "processor/enrich/batch.h"
#include "processor/enrich/clean_event.h"
#include "processor/enrich/dedup_window.h"
#include "processor/stage/probe.h"
#include "processor/stage/stage_io.h"

namespace clickstream::processor {

struct enrich_topics {
    std::string raw = "clickstream.raw";
    std::string clean = "clickstream.clean";
    std::string bots = "clickstream.bots";
    std::string dlq = "clickstream.dlq";
};

struct enrich_stage_options {
    enrich_topics topics;
    std::size_t max_records = 500;                   // raw messages per transaction
    std::chrono::milliseconds commit_interval{200};  // a transaction's longest life
    std::chrono::milliseconds poll_timeout{100};
    std::chrono::milliseconds retry_backoff{500};  // after a failed reset or poll
    enrich::batch_limits limits;
    enrich::dedup_options dedup;
};

// The raw message's headers as the enricher reads them, or why they cannot
// be read (received_at missing or not a number).
clickstream::result<enrich::raw_metadata, enrich::batch_error> read_metadata(
    const input_record& record);

// The dead letter for a raw message.
output_record dead_letter(const input_record& record, const enrich::batch_error& error,
                          const std::string& dlq_topic);

class enrich_stage {
public:
    // `now` is the wall clock in ms (for latency); tests pass a fixed one.
    enrich_stage(enrich_stage_options options, record_source& source, transactional_sink& sink,
                 enrich::event_enricher& enricher, enrich_probe& probe, common::logger& log,
                 std::function<std::int64_t()> now_ms);

    // Runs until stop() (from any thread): the open transaction is committed
    // first if it can be, else aborted.
    void run();
    void stop() noexcept { stopping_ = true; }

    // One step of the loop, for tests: polls once, and commits when due (or
    // when `force_commit`). Returns false when the step failed and recovered.
    bool step(bool force_commit = false);

    bool transaction_open() const noexcept { return open_; }

private:
    void process(const input_record& record);
    void emit(output_record out);
    bool commit();
    void recover(std::string_view why);
    void forget();

    enrich_stage_options options_;
    record_source& source_;
    transactional_sink& sink_;
    enrich::event_enricher& enricher_;
    enrich_probe& probe_;
    common::logger& log_;
    std::function<std::int64_t()> now_ms_;
    enrich::dedup_window dedup_;
    enrich::enriched_event scratch_;  // the event being written, its buffers reused
    enrich::batch batch_;             // the batch being enriched, its storage reused
    std::atomic<bool> stopping_{false};

    // The open transaction.
    bool open_ = false;
    bool failed_ = false;  // a produce failed: the transaction must not commit
    std::chrono::steady_clock::time_point opened_at_;
    std::size_t records_ = 0;
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> positions_;
    // Ids by the dedup window's fingerprint of (site, event id): the window
    // itself keeps nothing more, and one hash serves both steps.
    struct pending_id {
        std::uint64_t fingerprint;
        std::int64_t receive_ms;
    };
    std::vector<pending_id> pending_ids_;
    std::unordered_set<std::uint64_t> pending_keys_;
    std::vector<std::int64_t> pending_receive_ms_;  // per clean or bot event
    std::map<std::string, std::uint64_t> pending_out_, pending_dlq_, pending_bots_;
    std::uint64_t pending_dups_ = 0;
    std::uint64_t outputs_ = 0;
};

}  // namespace clickstream::processor
