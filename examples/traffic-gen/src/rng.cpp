#include "traffic_gen/rng.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace clickstream::traffic_gen {

std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
    rng r(a ^ (b * 0xD1B54A32D192ED03ULL));
    r.next();
    return r.next() ^ b;
}

std::uint64_t rng::next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double rng::uniform() noexcept {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::uint64_t rng::below(std::uint64_t n) noexcept {
    // Rejection of the last partial block: no modulo bias.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    while (true) {
        const std::uint64_t x = next();
        if (x < limit) return x % n;
    }
}

std::int64_t rng::between(std::int64_t lo, std::int64_t hi) noexcept {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
}

bool rng::chance(double p) noexcept {
    return uniform() < p;
}

double rng::normal() noexcept {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double rng::lognormal(double median, double sigma) noexcept {
    return median * std::exp(sigma * normal());
}

std::size_t rng::weighted(std::span<const double> sums) noexcept {
    const double x = uniform() * sums.back();
    const auto it = std::upper_bound(sums.begin(), sums.end(), x);
    return std::min<std::size_t>(static_cast<std::size_t>(it - sums.begin()), sums.size() - 1);
}

std::string rng::uuid() noexcept {
    static constexpr char hex[] = "0123456789abcdef";
    std::uint64_t hi = next();
    std::uint64_t lo = next();
    hi = (hi & ~0xF000ULL) | 0x4000ULL;
    lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);
    std::string s(36, '-');
    std::size_t pos = 0;
    for (const std::uint64_t bits : {hi, lo}) {
        for (int nibble = 15; nibble >= 0; --nibble) {
            if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
            s[pos++] = hex[(bits >> (nibble * 4)) & 0xF];
        }
    }
    return s;
}

std::vector<double> cumulative(std::span<const double> weights) {
    std::vector<double> out;
    out.reserve(weights.size());
    double sum = 0;
    for (const double w : weights) out.push_back(sum += w);
    return out;
}

}  // namespace clickstream::traffic_gen
