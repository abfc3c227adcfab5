// An ordered list of regexes that answers "which is the first to match?"
// with one scan: an RE2::Set finds every pattern that matches, the lowest
// index wins. The patterns are also kept one by one, for their groups and
// for the fallback when the set's DFA runs out of memory on an input (the
// same answer, one regex at a time; counted in fallbacks()). The set holds
// patterns with wide counted repetitions ({0,200}) relaxed ({0,}), which
// match a superset, and their candidates are confirmed with the exact regex
// in index order: the answer is the exact one, and the set's DFA, smaller,
// costs far less to build for inputs it has not seen. Thread-safe once
// compiled. Internal to the enrich library.
#pragma once

#include <re2/re2.h>
#include <re2/set.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace clickstream::enrich {

class regex_set {
public:
    // `what` names the list in errors ("device_parsers").
    regex_set(std::string what, std::int64_t max_mem);

    // Adds the next pattern; throws std::runtime_error naming it if RE2
    // cannot compile it. Returns its index.
    std::size_t add(const std::string& pattern, bool ignore_case);
    // Builds the set; throws if it does not fit in max_mem.
    void compile();

    // The index of the first pattern that matches `text`, or -1.
    int first_match(std::string_view text) const;

    const RE2& regex(std::size_t i) const { return *regexes_[i]; }
    const std::string& pattern(std::size_t i) const { return patterns_[i]; }
    std::size_t size() const noexcept { return regexes_.size(); }
    std::size_t fallbacks() const noexcept { return fallbacks_.load(std::memory_order_relaxed); }

private:
    std::string what_;
    std::vector<std::string> patterns_;
    std::vector<std::unique_ptr<RE2>> regexes_;
    std::vector<bool> relaxed_;  // the set holds a relaxed copy of pattern i
    bool any_relaxed_ = false;
    std::unique_ptr<RE2::Set> set_;
    mutable std::atomic<std::size_t> fallbacks_{0};
};

}  // namespace clickstream::enrich
