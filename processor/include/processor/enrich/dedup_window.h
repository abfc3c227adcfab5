// Event ids seen within a time window, in bounded memory.
//
// Duplicates are normal (sendBeacon on page hide gets no answer, so the
// beacon re-sends on the next page load, maybe hours later); the window
// catches them before they reach the clean topic, and the tables' keys catch
// what falls outside it.
//
// Two generations of 64-bit fingerprints of (site, event id) in flat
// open-addressing tables: new ids go into the current one; when it is
// `window` old (or holds `max_ids`), it becomes the previous one and the old
// previous one is dropped. An id is remembered for at least `window` (at most
// 2 × window) unless the id budget forces an early turn (counted in
// early_rotations()). Why not a Bloom filter: its false positive would drop
// a real event, silently; a 64-bit fingerprint collides with probability
// about n / 2^64 per lookup (n = ids held: 1e-12 at 4 million), at 16 bytes
// an id instead of ~1.2 (Bloom at 1%). Not thread-safe: one per worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace clickstream::enrich {

struct dedup_options {
    std::int64_t window_ms = 24LL * 3600 * 1000;  // ids are kept 1 to 2 days
    std::size_t max_ids = 4'000'000;              // per generation: at most 2 × 64 MiB in all
};

class dedup_window {
public:
    explicit dedup_window(const dedup_options& options = {});

    // True if (site, event_id) was seen within the window (a duplicate);
    // otherwise records it and returns false. `now_ms` is the caller's clock
    // (the raw message's receive time); it may stand still or step back.
    bool seen(std::string_view site, std::string_view event_id, std::int64_t now_ms);

    // seen() in two steps, for a caller that emits inside a transaction: it
    // asks contains() per event and record()s the ids only once their
    // transaction committed. An id recorded for an aborted transaction would
    // drop the event when it is read again; one not recorded costs at most a
    // duplicate that the tables collapse.
    bool contains(std::string_view site, std::string_view event_id, std::int64_t now_ms);
    void record(std::string_view site, std::string_view event_id, std::int64_t now_ms);

    // The fingerprint the window keeps for (site, event id), and the two
    // steps on it: a caller that asks and later records the same id hashes
    // it once, and may keep the fingerprint instead of the strings.
    static std::uint64_t fingerprint(std::string_view site, std::string_view event_id);
    bool contains(std::uint64_t fingerprint, std::int64_t now_ms);
    void record(std::uint64_t fingerprint, std::int64_t now_ms);

    std::size_t size() const noexcept { return current_.size() + previous_.size(); }
    std::size_t memory_bytes() const noexcept;
    std::size_t rotations() const noexcept { return rotations_; }
    std::size_t early_rotations() const noexcept { return early_rotations_; }

private:
    // A set of non-zero 64-bit fingerprints, linear probing, load ≤ 1/2.
    class fingerprint_set {
    public:
        bool contains(std::uint64_t f) const noexcept;
        void insert(std::uint64_t f);
        void clear() noexcept;
        std::size_t size() const noexcept { return count_; }
        std::size_t memory_bytes() const noexcept {
            return slots_.capacity() * sizeof(std::uint64_t);
        }

    private:
        void grow();
        std::vector<std::uint64_t> slots_;
        std::size_t count_ = 0;
    };

    void rotate(std::int64_t now_ms);
    void advance(std::int64_t now_ms);

    dedup_options options_;
    fingerprint_set current_, previous_;
    std::int64_t generation_start_ms_ = 0;
    bool started_ = false;
    std::size_t rotations_ = 0;
    std::size_t early_rotations_ = 0;
};

}  // namespace clickstream::enrich
