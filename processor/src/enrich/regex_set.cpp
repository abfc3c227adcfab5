#include "enrich/regex_set.h"

#include <algorithm>
#include <stdexcept>

namespace clickstream::enrich {
namespace {

// Bounded repetitions at least this wide are relaxed in the set's copy.
constexpr unsigned long relax_from = 10;

struct relaxation {
    std::string pattern;  // empty: nothing relaxed
    // On a text of at most this many bytes the relaxed pattern is the exact
    // one (0: on none): each relaxed repetition repeats one character
    // (`.`, a class, an escape, a literal), so it cannot repeat more times
    // than the text has bytes, and a bound it cannot reach changes neither
    // whether nor how the pattern matches (the same paths in the same order
    // of preference, so the same groups).
    std::size_t exact_below = 0;
};

// `pattern` with each counted repetition {m,n} (n - m >= relax_from)
// outside character classes written {m,}: it matches wherever the pattern
// does, and more. Nothing relaxed when there is nothing to relax or the
// pattern uses a construct this scan does not follow (POSIX classes, \Q
// quoting).
relaxation relaxed(const std::string& pattern) {
    if (pattern.find("[:") != std::string::npos || pattern.find("\\Q") != std::string::npos) {
        return {};
    }
    std::string out;
    out.reserve(pattern.size());
    bool changed = false;
    bool in_class = false;
    // Whether the token just read is one character (what a repetition
    // after it would repeat), and the relaxed repetitions' smallest bound.
    bool one_char = false, all_one_char = true;
    unsigned long bound = ~0UL;
    const auto digits = [&](std::size_t& j, unsigned long& v) {
        const std::size_t from = j;
        v = 0;
        while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9' && j - from < 6) {
            v = v * 10 + static_cast<unsigned long>(pattern[j] - '0');
            ++j;
        }
        return j != from;
    };
    for (std::size_t i = 0; i < pattern.size();) {
        const char c = pattern[i];
        if (c == '\\') {  // an escape: the next character is not syntax
            out.append(pattern, i, 2);
            // \b, \B, \A, \z match no character.
            one_char = i + 1 < pattern.size() &&
                       std::string_view("bBAz").find(pattern[i + 1]) == std::string_view::npos;
            i += 2;
            continue;
        }
        if (in_class) {
            if (c == ']') {
                in_class = false;
                one_char = true;
            }
            out += c;
            ++i;
            continue;
        }
        if (c == '[') {
            in_class = true;
            out += c;
            ++i;
            // A ']' first in the class (after an optional '^') is literal.
            if (i < pattern.size() && pattern[i] == '^') out += pattern[i++];
            if (i < pattern.size() && pattern[i] == ']') out += pattern[i++];
            continue;
        }
        if (c == '{') {
            std::size_t j = i + 1;
            unsigned long m = 0, n = 0;
            if (digits(j, m) && j < pattern.size() && pattern[j] == ',' && digits(++j, n) &&
                j < pattern.size() && pattern[j] == '}' && n >= m && n - m >= relax_from) {
                out += '{';
                out += std::to_string(m);
                out += ",}";
                i = j + 1;
                changed = true;
                all_one_char = all_one_char && one_char;
                bound = std::min(bound, n);
                one_char = false;
                continue;
            }
        }
        // A literal or `.`; not `(`, `)`, `|`, an anchor or a repetition.
        one_char = std::string_view("()|^$*+?{}").find(c) == std::string_view::npos;
        out += c;
        ++i;
    }
    if (!changed) return {};
    return {std::move(out), all_one_char ? static_cast<std::size_t>(bound) : 0};
}

// A pattern that starts with a gap (`^.{0,200}`, `^.*`): on every input
// its thread lives from the first byte to the last, through all of the
// set's DFA states.
bool leading_gap(const std::string& pattern) {
    return pattern.size() > 3 && pattern.compare(0, 2, "^.") == 0 &&
           (pattern[2] == '*' || pattern[2] == '+' || pattern[2] == '{');
}

// Above this many instructions a pattern (uap-core's alternations of
// hundreds of crawler names) is tried on its own.
constexpr int alone_program_size = 1000;

}  // namespace

regex_set::regex_set(std::string what, std::int64_t max_mem)
    : what_(std::move(what)), max_mem_(max_mem) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(max_mem);
    set_ = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
}

std::size_t regex_set::add(const std::string& pattern, bool ignore_case) {
    const std::size_t index = entries_.size();
    RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(!ignore_case);
    // The set only picks candidates: a relaxed copy of a pattern with wide
    // counted repetitions (uap-core's `.{0,200}`, hundreds of them) keeps the
    // set's program small, and so the DFA states it builds for each new
    // input cheap; first_match() confirms such a candidate with the exact
    // regex.
    relaxation loose = relaxed(pattern);
    entry e;
    if (!loose.pattern.empty()) {
        e.loose = std::make_unique<RE2>(loose.pattern, options);
        if (e.loose->ok()) {
            e.exact_below = loose.exact_below;
        } else {
            e.loose.reset();
            loose.pattern.clear();
        }
    }
    // The exact regex of a relaxed pattern confirms candidates and finds the
    // groups on longer texts: its program spells out every bounded
    // repetition, and RE2's default 8 MiB let the DFA of uap-core's
    // `^.{0,200}?...{0,50}` crawler rules fill and reset on each crawler's
    // user agent (~30 us a check, every time, against ~2 us with room).
    if (e.loose) options.set_max_mem(std::max(options.max_mem(), max_mem_ / 2));
    e.exact = std::make_unique<RE2>(pattern, options);
    if (!e.exact->ok()) {
        throw std::runtime_error(what_ + ": RE2 cannot compile pattern " + std::to_string(index) +
                                 " '" + pattern + "': " + e.exact->error());
    }
    if (leading_gap(pattern) ||
        (e.loose ? *e.loose : *e.exact).ProgramSize() > alone_program_size) {
        alone_.push_back(index);
    } else {
        const std::string& in_set = e.loose ? loose.pattern : pattern;
        std::string error;
        const int added = set_->Add(ignore_case ? "(?i)" + in_set : in_set, &error);
        if (added != static_cast<int>(in_set_.size())) {
            throw std::runtime_error(what_ + ": RE2::Set cannot take pattern " +
                                     std::to_string(index) + " '" + pattern + "': " + error);
        }
        in_set_.push_back(static_cast<int>(index));
    }
    patterns_.push_back(pattern);
    entries_.push_back(std::move(e));
    return index;
}

void regex_set::compile() {
    if (!set_->Compile()) {
        throw std::runtime_error(what_ + ": RE2::Set of " + std::to_string(size()) +
                                 " patterns does not compile within its memory budget");
    }
}

const RE2& regex_set::regex_for(std::size_t i, std::size_t text_size) const {
    const entry& e = entries_[i];
    return e.loose && text_size <= e.exact_below ? *e.loose : *e.exact;
}

bool regex_set::confirmed(std::size_t i, const re2::StringPiece& text) const {
    const entry& e = entries_[i];
    return !e.loose || text.size() <= e.exact_below || RE2::PartialMatch(text, *e.exact);
}

bool regex_set::matches_alone(std::size_t i, const re2::StringPiece& text) const {
    const entry& e = entries_[i];
    return RE2::PartialMatch(text, e.loose ? *e.loose : *e.exact) && confirmed(i, text);
}

int regex_set::first_match(std::string_view text) const {
    thread_local std::vector<int> hits;
    hits.clear();
    const re2::StringPiece piece(text.data(), text.size());
    RE2::Set::ErrorInfo info{RE2::Set::kNoError};
    if (!in_set_.empty() && !set_->Match(piece, &hits, &info) && info.kind != RE2::Set::kNoError) {
        fallbacks_.fetch_add(1, std::memory_order_relaxed);
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            if (RE2::PartialMatch(piece, *entries_[i].exact)) return static_cast<int>(i);
        }
        return -1;
    }
    // The set's hits in index order, each a candidate when relaxed (the
    // first its exact regex confirms wins), with the patterns tried alone
    // merged in: one of them wins if it matches before the set's answer.
    for (int& h : hits) h = in_set_[static_cast<std::size_t>(h)];
    std::sort(hits.begin(), hits.end());
    auto a = alone_.begin();
    for (const int i : hits) {
        const auto k = static_cast<std::size_t>(i);
        for (; a != alone_.end() && *a < k; ++a) {
            if (matches_alone(*a, piece)) return static_cast<int>(*a);
        }
        if (confirmed(k, piece)) return i;
    }
    for (; a != alone_.end(); ++a) {
        if (matches_alone(*a, piece)) return static_cast<int>(*a);
    }
    return -1;
}

}  // namespace clickstream::enrich
