// Where the local stack and the project are, as CTest tells the tests
// (tests/CMakeLists.txt sets the variables; defaults match scripts/lib/env.sh).
#pragma once

#include <filesystem>
#include <string>

namespace clickstream::test {

std::string kafka_bootstrap();          // CLICKSTREAM_KAFKA_BOOTSTRAP
std::string clickhouse_url();           // CLICKSTREAM_CLICKHOUSE_URL
std::filesystem::path project_root();   // CLICKSTREAM_ROOT
std::filesystem::path build_dir();      // CLICKSTREAM_BUILD_DIR
std::filesystem::path contracts_dir();  // CLICKSTREAM_CONTRACTS (docs/contracts)

// The whole file; fails the current test (and returns "") if it cannot be read.
std::string read_file(const std::filesystem::path& path);

// A name no other test run uses: prefix + pid + counter + random suffix, for
// topics, consumer groups and databases that a test owns alone.
std::string unique_name(const std::string& prefix);

}  // namespace clickstream::test
