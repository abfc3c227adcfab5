// Fuzz target: the pixel's query string parser (parse_pixel in
// processor/enrich/batch.h), which maps short parameters onto a one-event batch.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "processor/enrich/batch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view query(reinterpret_cast<const char*>(data), size);
    const auto parsed = clickstream::enrich::parse_pixel(query);
    if (parsed) {
        FUZZ_CHECK(parsed->events.size() == 1);
    } else {
        FUZZ_CHECK(!clickstream::enrich::to_string(parsed.error().reason).empty());
    }
    return 0;
}
