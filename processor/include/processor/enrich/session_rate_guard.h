// The behaviour rule of the bot filter: a session that makes events faster
// than a person can is a bot from then on.
//
// A token bucket per session on event time (not arrival time: a batch
// arrives all at once): `burst` events at once, refilled at
// `events_per_second`. Sessions are keyed by the caller ("site/session_id")
// and kept in an LRU of `max_sessions`, so memory stays bounded; a session
// pushed out starts afresh if it returns. Not thread-safe: one per worker
// (sessions are partitioned by key upstream).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "processor/enrich/lru_map.h"

namespace clickstream::enrich {

struct session_rate_options {
    double events_per_second = 10;  // sustained: faster than anyone clicks
    double burst = 30;              // a page load fires several events in one ms
    std::size_t max_sessions = 200'000;
};

struct rate_verdict {
    bool too_fast = false;
    // What the session did, for the bot record: "more than 30 events at
    // once or 10/s sustained".
    std::string detail;
};

class session_rate_guard {
public:
    explicit session_rate_guard(const session_rate_options& options = {});

    // Counts one event of `session_key` at `event_ms`. Once a session has
    // been too fast, every later event of it is too fast (sticky).
    rate_verdict observe(std::string_view session_key, std::int64_t event_ms);

    // Transactions (the enrich stage's Kafka transactions): between begin()
    // and commit() the counts are provisional; discard() forgets them, so the
    // events of an aborted transaction, read again, are counted once — the
    // same verdicts as the first time. Outside a transaction observe() counts
    // at once (the command line).
    void begin();
    void commit();
    void discard();

    // Sessions whose counts are committed.
    std::size_t sessions() const noexcept { return buckets_.size(); }

private:
    struct bucket {
        double tokens = 0;
        std::int64_t last_ms = 0;
        bool flagged = false;
    };
    // The open transaction's copy of a bucket, with its key's hash, which
    // commit() passes on to the committed map instead of hashing the key again.
    struct staged {
        bucket counted;
        std::size_t hash;
    };
    // pending_ looks keys up with the hash observe() computed once.
    struct hashed_key {
        std::string_view text;
        std::size_t hash;
    };
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view k) const noexcept {
            return lru_map<bucket>::hash(k);
        }
        std::size_t operator()(const hashed_key& k) const noexcept { return k.hash; }
    };
    struct key_equal {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
        bool operator()(const hashed_key& a, std::string_view b) const noexcept {
            return a.text == b;
        }
        bool operator()(std::string_view a, const hashed_key& b) const noexcept {
            return a == b.text;
        }
    };
    session_rate_options options_;
    std::string detail_;
    lru_map<bucket> buckets_;
    bool staged_ = false;
    // The open transaction's buckets (copies of the committed ones, counted on).
    std::unordered_map<std::string, staged, key_hash, key_equal> pending_;
    // The bucket observe() used last and its key: a batch's events are
    // mostly of one session, and they skip the lookup. Null after begin,
    // commit and discard (the bucket may be gone); a lookup replaces it.
    bucket* last_ = nullptr;
    std::string last_key_;
};

}  // namespace clickstream::enrich
