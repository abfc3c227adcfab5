// batcher: the bounded queue, the flush triggers and the delivery state.
//
// A batch leaves when the oldest queued event has waited flush_interval_ms,
// when max_batch_events or max_batch_bytes are queued, or after
// request_flush() — and never before the backoff allows. One batch is in
// flight at a time, so each session's events arrive in order. Events leave
// the queue (and the store) only when the collector took them (sent) or
// refused them for good (drop); a retry waits with exponential backoff and
// full jitter, or the server's Retry-After.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "batch_encoder.h"
#include "clickstream/environment.h"
#include "clickstream/options.h"
#include "clickstream/tracker_core.h"

namespace clickstream {

// Who an event was tracked for; shared (identity_ref) by the events tracked
// in between two identity changes.
struct identity {
    std::string anonymous_id;
    std::string user_id;
    std::size_t refs = 1;
};

struct queued_event {
    std::uint64_t store_id = 0;  // 0: not stored (the store refused it)
    std::int64_t enqueued_ms = 0;
    std::string json;  // the encoded event
    identity_ref who;
};

class batcher {
public:
    batcher(const tracker_options& options, event_store& store, random_source& random);

    // Queues a stored event. Beyond the caps it drops the oldest events not in
    // flight (from the store too) and counts them as queue_full; returns how
    // many it dropped.
    std::size_t push(queued_event e);
    void request_flush() noexcept { flush_requested_ = true; }
    void count_dropped(const dropped_counts& d) noexcept;
    // Drops every event not in flight; returns how many.
    std::size_t discard_all();

    // The batch due at `now`, if any, with sent_at = now.
    std::optional<outgoing_batch> next_batch(std::int64_t now, std::int64_t session_timeout_s,
                                             const std::string& url);
    struct completion {
        std::size_t delivered = 0;
        std::size_t rejected = 0;
        std::int64_t retry_in_ms = -1;  // >= 0: the batch waits this long
    };
    completion complete(const outgoing_batch& batch, const send_result& result, std::int64_t now);

    // When a batch is next due; INT64_MAX when empty or while one is in flight.
    std::int64_t next_wakeup(std::int64_t now) const noexcept;
    // The wait before retry number `attempt` (1, 2, ...) when the server gave
    // no Retry-After: uniform in [0, min(max, base * 2^(attempt-1))].
    std::int64_t backoff_ms(std::uint32_t attempt) noexcept;

    bool in_flight() const noexcept { return in_flight_ > 0; }
    bool empty() const noexcept { return size() == 0; }
    std::size_t size() const noexcept { return queue_.size() - head_; }
    std::size_t bytes() const noexcept { return bytes_; }
    const dropped_counts& pending_dropped() const noexcept { return pending_; }

private:
    bool due(std::int64_t now) const noexcept;
    bool full() const noexcept;
    // The i-th queued event, oldest first.
    queued_event& at(std::size_t i) noexcept { return queue_[head_ + i]; }
    const queued_event& at(std::size_t i) const noexcept { return queue_[head_ + i]; }
    void erase(std::size_t from, std::size_t count);

    const tracker_options& options_;
    event_store& store_;
    random_source& random_;
    // The queue is queue_[head_..]: delivered events leave from the front by
    // moving head_, and the vector is compacted once half of it is gone.
    std::vector<queued_event> queue_;
    std::size_t head_ = 0;
    std::size_t bytes_ = 0;
    bool flush_requested_ = false;
    std::size_t in_flight_ = 0;  // the first in_flight_ events are being sent
    std::uint64_t token_ = 0;
    dropped_counts pending_;   // since the last delivered batch
    dropped_counts in_batch_;  // what the batch in flight reports
    std::uint32_t failures_ = 0;
    std::int64_t not_before_ = 0;
};

}  // namespace clickstream
