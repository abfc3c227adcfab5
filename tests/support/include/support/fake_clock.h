// Fakes of the sdk's clock and random source: tests move time by hand and
// script the random bits (UUIDs, jitter), so every output is exact.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

#include "clickstream/environment.h"

namespace clickstream::test {

class fake_clock final : public clickstream::clock {
public:
    explicit fake_clock(std::int64_t start_ms = 1764100000000) : now_(start_ms) {}
    std::int64_t now_ms() noexcept override { return now_.load(); }
    void set(std::int64_t ms) { now_.store(ms); }
    void advance(std::int64_t ms) { now_.fetch_add(ms); }

private:
    std::atomic<std::int64_t> now_;
};

// Scripted values first, then a splitmix64 sequence from the seed.
class fake_random final : public clickstream::random_source {
public:
    explicit fake_random(std::uint64_t seed = 42) : state_(seed) {}

    std::uint64_t next_u64() noexcept override {
        std::lock_guard lock(mutex_);
        if (!script_.empty()) {
            const std::uint64_t v = script_.front();
            script_.pop_front();
            return v;
        }
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    void push(std::uint64_t v) {
        std::lock_guard lock(mutex_);
        script_.push_back(v);
    }
    // The next UUID drawn will be this one ("0b7e4c1a-9f2d-4e8b-a1c3-5d6e7f8a9b0c").
    void push_uuid(std::string_view uuid) {
        std::string hex;
        for (char c : uuid) {
            if (c != '-') hex += c;
        }
        push(std::stoull(hex.substr(0, 16), nullptr, 16));
        push(std::stoull(hex.substr(16, 16), nullptr, 16));
    }
    // The next jitter draw gives this fraction of the backoff cap (0 to 1).
    void push_fraction(double f) {
        const auto bits = static_cast<std::uint64_t>(f * 9007199254740992.0);  // 2^53
        push((bits > 0x1FFFFFFFFFFFFFULL ? 0x1FFFFFFFFFFFFFULL : bits) << 11);
    }
    std::size_t scripted_left() {
        std::lock_guard lock(mutex_);
        return script_.size();
    }

private:
    std::mutex mutex_;
    std::deque<std::uint64_t> script_;
    std::uint64_t state_;
};

}  // namespace clickstream::test
