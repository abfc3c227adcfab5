// clickstream: the query tool (docs/analysis.md). Builds the ClickHouse
// runner; arguments, output and errors are run_cli's (cli.cpp).
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "common/log.h"
#include "processor/analysis/cli.h"
#include "processor/sessionize/clickhouse.h"

namespace {

struct clickhouse_runner_owner final : clickstream::analysis::query_runner {
    explicit clickhouse_runner_owner(const clickstream::analysis::connection& c)
        : log(std::cerr, "clickstream", clickstream::common::log_level::warn),
          client({c.url, c.database, c.user, c.password, std::chrono::milliseconds(c.timeout_ms)},
                 log),
          runner(client) {}
    clickstream::analysis::result<clickstream::analysis::rows> run(
        std::string_view sql) noexcept override {
        return runner.run(sql);
    }
    clickstream::common::logger log;
    clickstream::sessionize::clickhouse_client client;
    clickstream::analysis::clickhouse_runner runner;
};

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return clickstream::analysis::run_cli(
        args, std::cout, std::cerr, now,
        [](const clickstream::analysis::connection& c)
            -> std::unique_ptr<clickstream::analysis::query_runner> {
            return std::make_unique<clickhouse_runner_owner>(c);
        },
        [](const char* name) -> const char* { return std::getenv(name); });
}
