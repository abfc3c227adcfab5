// What the analysis queries need from a database: run one SELECT, get its
// rows back. The logic builds SQL text and reads rows through this interface
// only, so it is tested on a fake (tests/support/include/support/
// fake_query_runner.h) and runs on ClickHouse through clickhouse_runner.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "processor/analysis/errc.h"

namespace clickstream::sessionize {
class clickhouse_client;
}

namespace clickstream::analysis {

// One answer: each row a JSON array in the SELECT's column order (ClickHouse's
// JSONCompact: 64-bit integers and decimals may come as strings; read them
// with as_int / as_double). `totals` is the WITH TOTALS row, or null.
struct rows {
    std::vector<nlohmann::json> data;
    nlohmann::json totals;
};

class query_runner {
public:
    virtual ~query_runner() = default;
    // Runs one SELECT (without a FORMAT clause). Errors: errc::database,
    // errc::bad_answer.
    virtual result<rows> run(std::string_view sql) noexcept = 0;
};

// The real runner: appends FORMAT JSONCompact and goes through the project's
// one ClickHouse client (processor/include/processor/sessionize/clickhouse.h),
// which logs ClickHouse's message when it refuses a query.
class clickhouse_runner final : public query_runner {
public:
    explicit clickhouse_runner(sessionize::clickhouse_client& client) : client_(client) {}
    result<rows> run(std::string_view sql) noexcept override;

private:
    sessionize::clickhouse_client& client_;
};

// A JSONCompact cell as a number: ints and decimals arrive as numbers or as
// strings ("12", "3.5000"); null or anything else is 0.
std::int64_t as_int(const nlohmann::json& v) noexcept;
double as_double(const nlohmann::json& v) noexcept;
std::string as_string(const nlohmann::json& v);

}  // namespace clickstream::analysis
