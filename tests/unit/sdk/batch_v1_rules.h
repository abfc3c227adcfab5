// The batch v1 schema's rules (docs/contracts/batch-v1.schema.json), checked
// with nlohmann/json on every batch the SDK encodes in these tests. The
// checker itself is held to the golden cases (batch_v1_rules_test.cpp), so a
// check that passes means the batch follows the contract.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace clickstream::test {

struct violation {
    std::string reason;  // docs/contracts/README.md's reason codes
    std::string path;    // JSON Pointer to the first violation
};

std::optional<violation> check_batch_v1(std::string_view body);

}  // namespace clickstream::test
