// Prints each golden scenario's batch, as encoded by this build, one per
// line: file, problem and body separated by the unit separator (0x1f).
// Built with em++ and the beacon's flags by golden_wasm_test.sh.
#include <cstdio>

#include "golden_batches.h"

int main() {
    for (const auto& b : clickstream::test::encode_golden_batches()) {
        std::printf("%s\x1f%s\x1f%s\n", b.file.c_str(), b.problem.c_str(), b.body.c_str());
    }
    return 0;
}
