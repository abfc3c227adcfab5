#include <string>

#include "processor/analysis/query_runner.h"
#include "processor/sessionize/clickhouse.h"

namespace clickstream::analysis {

result<rows> clickhouse_runner::run(std::string_view sql) noexcept {
    try {
        auto answer = client_.execute(std::string(sql) + "\nFORMAT JSONCompact");
        if (!answer) {
            return failure<error>{
                {errc::database,
                 "ClickHouse: " + std::string(sessionize::to_string(answer.error()))}};
        }
        auto doc = nlohmann::json::parse(*answer, nullptr, false);
        if (doc.is_discarded() || !doc.is_object() || !doc.contains("data") ||
            !doc["data"].is_array()) {
            return failure<error>{{errc::bad_answer, "ClickHouse's answer is not JSONCompact"}};
        }
        rows out;
        out.data.reserve(doc["data"].size());
        for (auto& r : doc["data"]) out.data.push_back(std::move(r));
        if (doc.contains("totals")) out.totals = std::move(doc["totals"]);
        return out;
    } catch (const std::exception& e) {
        return failure<error>{{errc::bad_answer, e.what()}};
    }
}

}  // namespace clickstream::analysis
