#include "processor/enrich/session_rate_guard.h"

#include <algorithm>
#include <cstdio>

namespace clickstream::enrich {

session_rate_guard::session_rate_guard(const session_rate_options& options)
    : options_(options), buckets_(options.max_sessions) {
    char text[128];
    std::snprintf(text, sizeof text, "more than %g events at once or %g/s sustained",
                  options_.burst, options_.events_per_second);
    detail_ = text;
}

rate_verdict session_rate_guard::observe(std::string_view session_key, std::int64_t event_ms) {
    bucket* b = nullptr;
    if (last_ != nullptr && session_key == last_key_) {
        b = last_;
    } else if (staged_) {
        // One hash of the key for both maps, kept for commit().
        const std::size_t hash = lru_map<bucket>::hash(session_key);
        if (const auto it = pending_.find(hashed_key{session_key, hash}); it != pending_.end()) {
            b = &it->second.counted;
        } else {
            const bucket* committed = buckets_.find(session_key, hash);
            b = &pending_
                     .emplace(std::string(session_key),
                              staged{committed != nullptr ? *committed
                                                          : bucket{options_.burst, event_ms, false},
                                     hash})
                     .first->second.counted;
        }
    } else {
        b = buckets_.find(session_key);
        if (b == nullptr)
            b = &buckets_.insert(session_key, bucket{options_.burst, event_ms, false});
    }
    if (b != last_ || session_key != last_key_) {
        // A new entry may reuse an evicted one's memory: the key decides.
        last_ = b;
        last_key_.assign(session_key);
    }
    if (!b->flagged) {
        // Out-of-order events (several tabs, retries) refill nothing.
        if (event_ms > b->last_ms) {
            const double seconds = double(event_ms - b->last_ms) / 1000.0;
            b->tokens = std::min(options_.burst, b->tokens + seconds * options_.events_per_second);
            b->last_ms = event_ms;
        }
        if (b->tokens >= 1) {
            b->tokens -= 1;
        } else {
            b->flagged = true;
        }
    }
    if (!b->flagged) return {};
    return {true, detail_};
}

void session_rate_guard::begin() {
    last_ = nullptr;
    pending_.clear();
    staged_ = true;
}

void session_rate_guard::commit() {
    last_ = nullptr;
    for (const auto& [key, s] : pending_) {
        if (bucket* b = buckets_.find(key, s.hash)) {
            *b = s.counted;
        } else {
            buckets_.insert(key, s.hash, s.counted);
        }
    }
    pending_.clear();
    staged_ = false;
}

void session_rate_guard::discard() {
    last_ = nullptr;
    pending_.clear();
    staged_ = false;
}

}  // namespace clickstream::enrich
