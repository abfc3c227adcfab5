// Fuzz target: the collector's gzip inflate (collector/inflate.h) under a
// limit. Whatever the bytes, the result is an error or at most `limit` bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collector/errc.h"
#include "collector/inflate.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    // A limit small enough that bombs in the corpus reach it quickly.
    constexpr std::size_t limit = 64 * 1024;
    const auto out = clickstream::collector::inflate_gzip(body, limit);
    if (out) {
        FUZZ_CHECK(out->size() <= limit);
        // A gzip member is at least a 10-byte header and an 8-byte trailer.
        FUZZ_CHECK(size >= 18);
    } else {
        using clickstream::collector::errc;
        FUZZ_CHECK(out.error() == errc::bad_gzip || out.error() == errc::inflated_too_large);
    }
    return 0;
}
