// Fuzz target: referrer → medium, source and term (processor/enrich/
// referrer_parser.h) with referer-parser's real data, and the utm_source
// classification that uses the same data.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "processor/enrich/data_paths.h"
#include "processor/enrich/referrer_parser.h"

namespace e = clickstream::enrich;

namespace {

const e::referrer_parser& parser() {
    static const e::referrer_parser p = e::referrer_parser::load(
        e::default_data_paths(clickstream::fuzz::project_root()).referrers);
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)parser();  // load the data before the first input
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    static const std::vector<std::string> own = {"shop.example", "example.org"};
    const auto info = parser().parse(text, own, "shop.example");
    if (text.empty()) FUZZ_CHECK(info.medium == e::referrer_medium::none);
    FUZZ_CHECK(!e::to_string(info.medium).empty());
    (void)parser().classify_source(text);
    return 0;
}
