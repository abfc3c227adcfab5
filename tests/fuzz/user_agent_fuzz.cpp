// Fuzz target: user agent → browser, OS, device (processor/enrich/ua_parser.h)
// with uap-core's real regexes, and the device type derived from them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "processor/enrich/data_paths.h"
#include "processor/enrich/ua_parser.h"

namespace e = clickstream::enrich;

namespace {

const e::ua_parser& parser() {
    static const e::ua_parser p(
        e::ua_parser_options{e::default_data_paths(clickstream::fuzz::project_root()).uap_regexes});
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)parser();  // compile the regexes before the first input
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view ua(reinterpret_cast<const char*>(data), size);
    const auto info = parser().parse(ua);
    FUZZ_CHECK(!info.browser.family.empty());
    FUZZ_CHECK(!info.os.family.empty());
    FUZZ_CHECK(!info.device.family.empty());
    FUZZ_CHECK(!e::to_string(e::classify_device(ua, info)).empty());
    return 0;
}
