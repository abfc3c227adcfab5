#include "enrich/regex_set.h"

#include <algorithm>
#include <stdexcept>

namespace clickstream::enrich {
namespace {

// Bounded repetitions at least this wide are relaxed in the set's copy.
constexpr unsigned long relax_from = 10;

// `pattern` with each counted repetition {m,n} (n - m >= relax_from)
// outside character classes written {m,}: it matches wherever the pattern
// does, and more. Empty when there is nothing to relax or the pattern uses
// a construct this scan does not follow (POSIX classes, \Q quoting).
std::string relaxed(const std::string& pattern) {
    if (pattern.find("[:") != std::string::npos || pattern.find("\\Q") != std::string::npos) {
        return {};
    }
    std::string out;
    out.reserve(pattern.size());
    bool changed = false;
    bool in_class = false;
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
            i += 2;
            continue;
        }
        if (in_class) {
            if (c == ']') in_class = false;
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
                continue;
            }
        }
        out += c;
        ++i;
    }
    return changed ? out : std::string();
}

}  // namespace

regex_set::regex_set(std::string what, std::int64_t max_mem) : what_(std::move(what)) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(max_mem);
    set_ = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
}

std::size_t regex_set::add(const std::string& pattern, bool ignore_case) {
    const std::size_t index = regexes_.size();
    RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(!ignore_case);
    auto re = std::make_unique<RE2>(pattern, options);
    if (!re->ok()) {
        throw std::runtime_error(what_ + ": RE2 cannot compile pattern " + std::to_string(index) +
                                 " '" + pattern + "': " + re->error());
    }
    // The set only picks candidates: a relaxed copy of a pattern with wide
    // counted repetitions (uap-core's `.{0,200}`, hundreds of them) keeps the
    // set's program small, and so the DFA states it builds for each new
    // input cheap; first_match() confirms such a candidate with the exact
    // regex.
    std::string loose = relaxed(pattern);
    if (!loose.empty() && !RE2(loose, options).ok()) loose.clear();
    const bool is_relaxed = !loose.empty();
    const std::string& in_set = is_relaxed ? loose : pattern;
    std::string error;
    const int added = set_->Add(ignore_case ? "(?i)" + in_set : in_set, &error);
    if (added != static_cast<int>(index)) {
        throw std::runtime_error(what_ + ": RE2::Set cannot take pattern " + std::to_string(index) +
                                 " '" + pattern + "': " + error);
    }
    patterns_.push_back(pattern);
    regexes_.push_back(std::move(re));
    relaxed_.push_back(is_relaxed);
    any_relaxed_ = any_relaxed_ || is_relaxed;
    return index;
}

void regex_set::compile() {
    if (!set_->Compile()) {
        throw std::runtime_error(what_ + ": RE2::Set of " + std::to_string(size()) +
                                 " patterns does not compile within its memory budget");
    }
}

int regex_set::first_match(std::string_view text) const {
    thread_local std::vector<int> hits;
    hits.clear();
    const re2::StringPiece piece(text.data(), text.size());
    RE2::Set::ErrorInfo info{RE2::Set::kNoError};
    if (set_->Match(piece, &hits, &info)) {
        if (!any_relaxed_) return *std::min_element(hits.begin(), hits.end());
        // The set's answer is a superset: the first candidate the exact
        // regex confirms (an unrelaxed one is exact already).
        std::sort(hits.begin(), hits.end());
        for (const int i : hits) {
            const auto k = static_cast<std::size_t>(i);
            if (!relaxed_[k] || RE2::PartialMatch(piece, *regexes_[k])) return i;
        }
        return -1;
    }
    if (info.kind == RE2::Set::kNoError) return -1;
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < regexes_.size(); ++i) {
        if (RE2::PartialMatch(piece, *regexes_[i])) return static_cast<int>(i);
    }
    return -1;
}

}  // namespace clickstream::enrich
