// An ordered list of regexes that answers "which is the first to match?"
// with one scan: an RE2::Set finds every pattern that matches, the lowest
// index wins. The patterns are also kept one by one, for their groups and
// for the fallback when the set's DFA runs out of memory on an input (the
// same answer, one regex at a time; counted in fallbacks()). The set holds
// patterns with wide counted repetitions ({0,200}) relaxed ({0,}), which
// match a superset, and their candidates are confirmed with the exact regex
// in index order: the answer is the exact one, and the set's DFA, smaller,
// costs far less to build for inputs it has not seen. A few patterns stay
// out of the set and are tried one by one, in index order, only where they
// could come before the set's answer: those with a leading gap (`^.{0,200}`)
// or a large program (an alternation of hundreds of names). In one set with
// the others they multiply its DFA states on inputs it has not seen (uap-core's
// catch-all crawler rules: ~3x the cost of a crawler's first parse); on their
// own each is a small DFA. Thread-safe once compiled. Internal to the enrich
// library.
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

    // Pattern i's exact regex.
    const RE2& regex(std::size_t i) const { return *entries_[i].exact; }
    // A regex that matches exactly as pattern i does (the same groups) on
    // any text of `text_size` bytes: its relaxed copy where the text is too
    // short for a relaxed bound to matter (cheaper to run), else the exact.
    const RE2& regex_for(std::size_t i, std::size_t text_size) const;
    const std::string& pattern(std::size_t i) const { return patterns_[i]; }
    std::size_t size() const noexcept { return entries_.size(); }
    std::size_t fallbacks() const noexcept { return fallbacks_.load(std::memory_order_relaxed); }

    // How many patterns are tried one by one instead of in the set.
    std::size_t alone() const noexcept { return alone_.size(); }

private:
    struct entry {
        std::unique_ptr<RE2> exact;
        std::unique_ptr<RE2> loose;   // the relaxed copy; null: nothing to relax
        std::size_t exact_below = 0;  // on texts this short loose is exact
    };
    // Whether pattern i, which matched relaxed, matches exactly.
    bool confirmed(std::size_t i, const re2::StringPiece& text) const;
    // Whether pattern i, tried alone, matches.
    bool matches_alone(std::size_t i, const re2::StringPiece& text) const;

    std::string what_;
    std::int64_t max_mem_;
    std::vector<std::string> patterns_;
    std::vector<entry> entries_;
    std::vector<int> in_set_;         // the set's k-th pattern is pattern in_set_[k]
    std::vector<std::size_t> alone_;  // by ascending index
    std::unique_ptr<RE2::Set> set_;
    mutable std::atomic<std::size_t> fallbacks_{0};
};

}  // namespace clickstream::enrich
