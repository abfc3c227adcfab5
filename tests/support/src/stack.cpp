#include "support/stack.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace clickstream::test {
namespace {

// The environment overrides; the defaults are the stack and folders of the
// build that compiled this (tests/support/CMakeLists.txt). CTest cannot carry
// more than one variable into tests found by gtest_discover_tests, so the
// defaults are what a test normally runs with.

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

}  // namespace

std::string kafka_bootstrap() {
    return env_or("CLICKSTREAM_KAFKA_BOOTSTRAP", CLICKSTREAM_TEST_KAFKA_BOOTSTRAP);
}
std::string clickhouse_url() {
    return env_or("CLICKSTREAM_CLICKHOUSE_URL", CLICKSTREAM_TEST_CLICKHOUSE_URL);
}
std::filesystem::path project_root() {
    return env_or("CLICKSTREAM_ROOT", CLICKSTREAM_TEST_ROOT);
}
std::filesystem::path build_dir() {
    return env_or("CLICKSTREAM_BUILD_DIR", CLICKSTREAM_TEST_BUILD_DIR);
}
std::filesystem::path contracts_dir() {
    return env_or("CLICKSTREAM_CONTRACTS", (project_root() / "docs/contracts").string());
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ADD_FAILURE() << "cannot read " << path;
        return {};
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    static const unsigned salt = std::random_device{}();
    std::ostringstream s;
    s << prefix << '_' << ::getpid() << '_' << counter++ << '_' << std::hex << (salt & 0xffffffU);
    return s.str();
}

}  // namespace clickstream::test
