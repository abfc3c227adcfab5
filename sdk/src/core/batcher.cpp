#include "batcher.h"

#include <algorithm>
#include <limits>
#include <memory>

namespace clickstream {
namespace {

std::uint64_t minus(std::uint64_t a, std::uint64_t b) {
    return a > b ? a - b : 0;
}

}  // namespace

identity_ref::identity_ref(std::string anonymous_id, std::string user_id)
    : p_(new identity{std::move(anonymous_id), std::move(user_id)}) {}

identity_ref::identity_ref(const identity_ref& o) noexcept : p_(o.p_) {
    if (p_ != nullptr) ++p_->refs;
}

identity_ref::~identity_ref() {
    if (p_ != nullptr && --p_->refs == 0) delete p_;
}

batcher::batcher(const tracker_options& options, event_store& store, random_source& random)
    : options_(options), store_(store), random_(random) {}

std::size_t batcher::push(queued_event e) {
    bytes_ += e.json.size();
    queue_.push_back(std::move(e));
    const auto& b = options_.batching;
    std::size_t over = 0;
    std::size_t over_bytes = bytes_;
    // Count how many of the oldest events not in flight must go.
    for (std::size_t i = in_flight_; i < size(); ++i) {
        if (size() - over <= b.max_queue_events && over_bytes <= b.max_queue_bytes) break;
        over_bytes -= at(i).json.size();
        ++over;
    }
    if (over > 0) {
        erase(in_flight_, over);
        pending_.queue_full += over;
    }
    return over;
}

void batcher::count_dropped(const dropped_counts& d) noexcept {
    pending_.queue_full += d.queue_full;
    pending_.consent_denied += d.consent_denied;
    pending_.rejected += d.rejected;
}

std::size_t batcher::discard_all() {
    const std::size_t n = size() - in_flight_;
    erase(in_flight_, n);
    return n;
}

void batcher::erase(std::size_t from, std::size_t count) {
    if (count == 0) return;
    // The store ids, in an array of the count's size: the wasm beacon has no
    // std::vector<std::uint64_t> otherwise, and its growth path cost it
    // ~0.25 KB gzipped.
    const auto ids = std::make_unique<std::uint64_t[]>(count);
    std::size_t stored = 0;
    for (std::size_t i = from; i < from + count; ++i) {
        if (at(i).store_id != 0) ids[stored++] = at(i).store_id;
        bytes_ -= at(i).json.size();
    }
    if (from == 0) {
        // From the front: release the events and move the head past them.
        for (std::size_t i = 0; i < count; ++i) at(i) = {};
        head_ += count;
        if (head_ == queue_.size() || head_ * 2 > queue_.size()) {
            queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    } else {
        const auto first = queue_.begin() + static_cast<std::ptrdiff_t>(head_ + from);
        queue_.erase(first, first + static_cast<std::ptrdiff_t>(count));
    }
    // A failed removal only means the events may be sent again after a
    // restart; duplicates are absorbed downstream by event id.
    (void)store_.remove({ids.get(), stored});
}

bool batcher::full() const noexcept {
    const auto& b = options_.batching;
    return flush_requested_ || size() >= b.max_batch_events || bytes_ >= b.max_batch_bytes;
}

bool batcher::due(std::int64_t now) const noexcept {
    if (empty() || in_flight_ > 0 || now < not_before_) return false;
    return full() || now - at(0).enqueued_ms >= options_.batching.flush_interval_ms;
}

std::int64_t batcher::next_wakeup(std::int64_t now) const noexcept {
    if (empty() || in_flight_ > 0) return std::numeric_limits<std::int64_t>::max();
    const std::int64_t trigger =
        full() ? now : at(0).enqueued_ms + options_.batching.flush_interval_ms;
    return std::max(trigger, not_before_);
}

std::optional<outgoing_batch> batcher::next_batch(std::int64_t now, std::int64_t session_timeout_s,
                                                  const std::string& url) {
    if (!due(now)) return std::nullopt;
    const auto& b = options_.batching;
    // Candidates: the oldest events of one anonymous id, up to the count cap.
    const identity& who = *at(0).who;
    std::size_t candidates = 0;
    std::string_view user_id = who.user_id;
    while (candidates < size() && candidates < b.max_batch_events &&
           std::string_view(at(candidates).who->anonymous_id) == who.anonymous_id) {
        // The latest user id names the batch: identify() attributes the
        // events before it in the same batch to that user.
        if (!at(candidates).who->user_id.empty()) user_id = at(candidates).who->user_id;
        ++candidates;
    }
    std::optional<dropped_counts> dropped;
    if (options_.report_dropped) dropped = pending_;
    batch_encoder encoder({options_, who.anonymous_id, user_id, session_timeout_s, now, dropped});
    std::size_t n = 0;
    while (n < candidates &&
           (n == 0 || encoder.size_with(at(n).json.size()) <= b.max_batch_bytes)) {
        encoder.add(at(n).json);
        ++n;
    }
    in_flight_ = n;
    in_batch_ = pending_;
    return outgoing_batch{++token_, n, url, std::move(encoder).finish()};
}

batcher::completion batcher::complete(const outgoing_batch& batch, const send_result& result,
                                      std::int64_t now) {
    completion c;
    if (in_flight_ == 0 || batch.token != token_) return c;  // not the batch in flight
    const std::size_t n = in_flight_;
    in_flight_ = 0;
    switch (result.what) {
        case send_result::outcome::sent:
            erase(0, n);
            pending_.queue_full = minus(pending_.queue_full, in_batch_.queue_full);
            pending_.consent_denied = minus(pending_.consent_denied, in_batch_.consent_denied);
            pending_.rejected = minus(pending_.rejected, in_batch_.rejected);
            failures_ = 0;
            not_before_ = 0;
            if (empty()) flush_requested_ = false;
            c.delivered = n;
            break;
        case send_result::outcome::drop:
            // The collector will never take these: forget them, count them,
            // and go on with the next batch at once.
            erase(0, n);
            pending_.rejected += n;
            failures_ = 0;
            not_before_ = 0;
            if (empty()) flush_requested_ = false;
            c.rejected = n;
            break;
        case send_result::outcome::retry: {
            ++failures_;
            const auto& r = options_.retry;
            c.retry_in_ms = result.retry_after_ms >= 0
                                ? std::min(result.retry_after_ms, r.max_retry_after_ms)
                                : backoff_ms(failures_);
            not_before_ = now + c.retry_in_ms;
            break;
        }
    }
    return c;
}

std::int64_t batcher::backoff_ms(std::uint32_t attempt) noexcept {
    const auto& r = options_.retry;
    std::int64_t cap = r.base_ms;
    for (std::uint32_t i = 1; i < attempt && cap < r.max_ms; ++i) cap *= 2;
    cap = std::min(cap, r.max_ms);
    // Full jitter: 53 random bits scaled to [0, cap].
    const double unit = static_cast<double>(random_.next_u64() >> 11) * 0x1p-53;
    const auto delay = static_cast<std::int64_t>(unit * static_cast<double>(cap + 1));
    return std::min(delay, cap);
}

}  // namespace clickstream
