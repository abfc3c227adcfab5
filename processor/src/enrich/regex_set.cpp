#include "enrich/regex_set.h"

#include <algorithm>
#include <stdexcept>

namespace clickstream::enrich {

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
    std::string error;
    const int added = set_->Add(ignore_case ? "(?i)" + pattern : pattern, &error);
    if (added != static_cast<int>(index)) {
        throw std::runtime_error(what_ + ": RE2::Set cannot take pattern " + std::to_string(index) +
                                 " '" + pattern + "': " + error);
    }
    patterns_.push_back(pattern);
    regexes_.push_back(std::move(re));
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
    if (set_->Match(piece, &hits, &info)) return *std::min_element(hits.begin(), hits.end());
    if (info.kind == RE2::Set::kNoError) return -1;
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < regexes_.size(); ++i) {
        if (RE2::PartialMatch(piece, *regexes_[i])) return static_cast<int>(i);
    }
    return -1;
}

}  // namespace clickstream::enrich
