// The `clickstream` query tool: subcommands funnel, paths, attribution and
// sessions over the session store. main.cpp only builds the real ClickHouse
// runner; everything else (arguments, errors, output) is here and tested.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "processor/analysis/query_runner.h"

namespace clickstream::analysis {

struct connection {
    std::string url = "http://127.0.0.1:18123";  // the local stack's port
    std::string database = "clickstream";
    std::string user;
    std::string password;
    std::int64_t timeout_ms = 60'000;
};

using runner_factory = std::function<std::unique_ptr<query_runner>(const connection&)>;

// Exit codes: 0 done; 1 the query failed (ClickHouse unreachable or
// refusing); 2 a usage error (unknown option, bad step, bad date: the message
// says which and how to fix it). `args` excludes the program name; `env`
// looks up CLICKSTREAM_CLICKHOUSE_URL, _DATABASE, _USER, _PASSWORD.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            std::int64_t now_ms, const runner_factory& connect,
            const std::function<const char*(const char*)>& env);

std::string cli_usage();

}  // namespace clickstream::analysis
