// The encoder reproduces the contract's valid golden batches byte for byte,
// built through the public API with a fixed clock and random source
// (golden_batches.cpp). The same scenarios run built with em++ under Node in
// the sdk.golden_wasm test, so both builds are held to the same bytes.
#include <gtest/gtest.h>

#include "batch_v1_rules.h"
#include "golden_batches.h"
#include "support/stack.h"

namespace clickstream::test {
namespace {

std::string golden(const std::string& name) {
    std::string s = read_file(contracts_dir() / "batch-v1" / "valid" / name);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

TEST(golden, every_valid_batch_is_encoded_byte_for_byte) {
    const auto batches = encode_golden_batches();
    ASSERT_EQ(batches.size(), 3U);
    for (const auto& b : batches) {
        SCOPED_TRACE(b.file);
        EXPECT_EQ(b.problem, "");
        EXPECT_EQ(b.body, golden(b.file));
        const auto v = check_batch_v1(b.body);
        EXPECT_FALSE(v.has_value()) << v->reason << " at " << v->path;
    }
    EXPECT_EQ(batches[0].url, "http://127.0.0.1:9/v1/batch?site=demo-shop");
}

}  // namespace
}  // namespace clickstream::test
