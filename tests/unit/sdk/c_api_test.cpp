// Runs the C API checks written in C (c_api_test.c).
#include <gtest/gtest.h>

#include <filesystem>

#include "support/stack.h"

extern "C" const char* cs_c_api_conf_checks(void);
extern "C" const char* cs_c_api_tracker_checks(const char* dir);

namespace {

TEST(c_api, configuration_and_errors) {
    const char* failed = cs_c_api_conf_checks();
    EXPECT_EQ(failed, nullptr) << failed;
}

TEST(c_api, tracks_queues_and_shuts_down_without_a_collector) {
    const auto dir =
        std::filesystem::temp_directory_path() / clickstream::test::unique_name("cs_c_api");
    const char* failed = cs_c_api_tracker_checks(dir.c_str());
    EXPECT_EQ(failed, nullptr) << failed;
}

}  // namespace
