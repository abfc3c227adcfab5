#include "processor/enrich/dedup_window.h"

#include <functional>
#include <string>
#include <utility>

namespace clickstream::enrich {

// (site, id) → a non-zero 64-bit fingerprint. std::hash of a string is
// MurmurHash64A in libstdc++; the final mix spreads it over the table index
// bits too. 0 marks an empty slot, so it is moved to 1.
std::uint64_t dedup_window::fingerprint(std::string_view site, std::string_view id) {
    thread_local std::string key;
    key.assign(site).push_back('\0');
    key.append(id);
    std::uint64_t h = std::hash<std::string_view>{}(key);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h == 0 ? 1 : h;
}

bool dedup_window::fingerprint_set::contains(std::uint64_t f) const noexcept {
    if (slots_.empty()) return false;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = f & mask;; i = (i + 1) & mask) {
        if (slots_[i] == f) return true;
        if (slots_[i] == 0) return false;
    }
}

void dedup_window::fingerprint_set::insert(std::uint64_t f) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = f & mask;; i = (i + 1) & mask) {
        if (slots_[i] == f) return;
        if (slots_[i] == 0) {
            slots_[i] = f;
            ++count_;
            return;
        }
    }
}

void dedup_window::fingerprint_set::clear() noexcept {
    slots_.clear();
    slots_.shrink_to_fit();
    count_ = 0;
}

void dedup_window::fingerprint_set::grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
    count_ = 0;
    for (const auto f : old) {
        if (f != 0) insert(f);
    }
}

dedup_window::dedup_window(const dedup_options& options) : options_(options) {
    if (options_.window_ms <= 0) options_.window_ms = 1;
    if (options_.max_ids == 0) options_.max_ids = 1;
}

void dedup_window::rotate(std::int64_t now_ms) {
    previous_ = std::move(current_);
    current_ = fingerprint_set{};
    generation_start_ms_ = now_ms;
    ++rotations_;
}

void dedup_window::advance(std::int64_t now_ms) {
    if (!started_) {
        started_ = true;
        generation_start_ms_ = now_ms;
    }
    const std::int64_t age = now_ms - generation_start_ms_;
    if (age >= 2 * options_.window_ms) {
        // Idle for two windows: nothing held is still within one.
        previous_.clear();
        current_.clear();
        generation_start_ms_ = now_ms;
        ++rotations_;
    } else if (age >= options_.window_ms) {
        rotate(now_ms);
    }
}

bool dedup_window::contains(std::string_view site, std::string_view event_id, std::int64_t now_ms) {
    return contains(fingerprint(site, event_id), now_ms);
}

void dedup_window::record(std::string_view site, std::string_view event_id, std::int64_t now_ms) {
    record(fingerprint(site, event_id), now_ms);
}

bool dedup_window::contains(std::uint64_t f, std::int64_t now_ms) {
    advance(now_ms);
    return current_.contains(f) || previous_.contains(f);
}

void dedup_window::record(std::uint64_t f, std::int64_t now_ms) {
    advance(now_ms);
    if (current_.contains(f)) return;
    if (current_.size() >= options_.max_ids) {
        rotate(now_ms);
        ++early_rotations_;
    }
    current_.insert(f);
}

bool dedup_window::seen(std::string_view site, std::string_view event_id, std::int64_t now_ms) {
    if (contains(site, event_id, now_ms)) return true;
    record(site, event_id, now_ms);
    return false;
}

std::size_t dedup_window::memory_bytes() const noexcept {
    return current_.memory_bytes() + previous_.memory_bytes();
}

}  // namespace clickstream::enrich
