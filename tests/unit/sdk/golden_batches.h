// The contract's valid golden batches (docs/contracts/batch-v1/valid/), built
// through the core's API with a fixed clock and random source. Free of any
// test framework, so the same code runs in the native unit tests and, built
// with em++ as the beacon is, under Node: both builds must give the files'
// bytes exactly.
#pragma once

#include <string>
#include <vector>

namespace clickstream::test {

struct golden_batch {
    std::string file;     // e.g. "web_session.json"
    std::string body;     // what the core sent
    std::string url;      // where it sent it
    std::string problem;  // non-empty: a step of the scenario failed
};

std::vector<golden_batch> encode_golden_batches();

}  // namespace clickstream::test
