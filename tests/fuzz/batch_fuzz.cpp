// Fuzz target: the enrich stage's batch v1 parser (processor/enrich/batch.h)
// on arbitrary bodies. Hostile bodies must come back as a batch_error with a
// reason, never a crash, an exception or unbounded work.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "processor/enrich/batch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto parsed = clickstream::enrich::parse_batch(body);
    if (parsed) {
        FUZZ_CHECK(parsed->v == 1);
        FUZZ_CHECK(!parsed->site.empty());
    } else {
        FUZZ_CHECK(!clickstream::enrich::to_string(parsed.error().reason).empty());
    }
    // Tight limits take the size and depth paths on small inputs too.
    clickstream::enrich::batch_limits small;
    small.max_body_bytes = 256;
    small.max_depth = 3;
    const auto limited = clickstream::enrich::parse_batch(body, small);
    if (size > small.max_body_bytes) FUZZ_CHECK(!limited);
    return 0;
}
