// rng: the generator's one source of randomness. A splitmix64 stream with
// its own distributions (the standard library's are allowed to differ
// between implementations), so a seed gives the same traffic everywhere.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "clickstream/environment.h"

namespace clickstream::traffic_gen {

// Mixes two values into a new seed: independent streams per visitor, visit...
std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept;

class rng {
public:
    explicit rng(std::uint64_t seed) noexcept : state_(seed) {}

    std::uint64_t next() noexcept;
    double uniform() noexcept;                                        // [0, 1)
    std::uint64_t below(std::uint64_t n) noexcept;                    // [0, n), n > 0
    std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept;  // [lo, hi]
    bool chance(double p) noexcept;
    double normal() noexcept;  // standard normal
    // exp(N(log(median), sigma)): dwell times, gaps.
    double lognormal(double median, double sigma) noexcept;
    // An index drawn by weight, from the running sums of the weights.
    std::size_t weighted(std::span<const double> cumulative) noexcept;
    std::string uuid() noexcept;  // a UUIDv4 string

    template <class T>
    const T& pick(const std::vector<T>& v) noexcept {
        return v[below(v.size())];
    }

private:
    std::uint64_t state_;
};

// The running sums of `weights`, for rng::weighted.
std::vector<double> cumulative(std::span<const double> weights);

// The SDK's random source (event and session ids) from a seed: the ids the
// SDK assigns are the same in every run with the same seed.
class seeded_random final : public clickstream::random_source {
public:
    explicit seeded_random(std::uint64_t seed) noexcept : rng_(seed) {}
    std::uint64_t next_u64() noexcept override { return rng_.next(); }

private:
    rng rng_;
};

}  // namespace clickstream::traffic_gen
