// The schema checker used on every encoded batch agrees with the contract's
// golden cases, so its silence means something.
#include "batch_v1_rules.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/stack.h"

namespace clickstream::test {
namespace {

TEST(batch_v1_rules, agree_with_every_golden_case) {
    const auto dir = contracts_dir() / "batch-v1";
    const auto cases = nlohmann::json::parse(read_file(dir / "cases.json"));
    ASSERT_GE(cases["cases"].size(), 20U);
    for (const auto& c : cases["cases"]) {
        const auto file = c["file"].get<std::string>();
        SCOPED_TRACE(file);
        const auto v = check_batch_v1(read_file(dir / file));
        if (c["valid"].get<bool>()) {
            EXPECT_FALSE(v.has_value()) << v->reason << " at " << v->path;
        } else {
            ASSERT_TRUE(v.has_value());
            EXPECT_EQ(v->reason, c["reason"].get<std::string>());
            EXPECT_EQ(v->path, c["path"].get<std::string>());
        }
    }
}

}  // namespace
}  // namespace clickstream::test
