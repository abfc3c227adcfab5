// A scripted analysis::query_runner: records every SQL text it is given and
// answers from a queue (rows, or an injected failure); once the queue is
// empty it answers with no rows. Header-only; tests that include it link
// clickstream::analysis.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "processor/analysis/query_runner.h"

namespace clickstream::test {

class fake_query_runner final : public analysis::query_runner {
public:
    // The next answer: these rows (each a JSON array), and a totals row.
    void answer(std::vector<nlohmann::json> data, nlohmann::json totals = nullptr) {
        answers_.push_back(analysis::rows{std::move(data), std::move(totals)});
    }
    // The next query fails with this error.
    void fail(analysis::errc code, std::string message = "injected") {
        answers_.push_back(failure<analysis::error>{{code, std::move(message)}});
    }

    analysis::result<analysis::rows> run(std::string_view sql) noexcept override {
        queries.emplace_back(sql);
        if (answers_.empty()) return analysis::rows{};
        auto next = std::move(answers_.front());
        answers_.pop_front();
        return next;
    }

    std::vector<std::string> queries;  // every SQL text, in order

private:
    std::deque<analysis::result<analysis::rows>> answers_;
};

}  // namespace clickstream::test
