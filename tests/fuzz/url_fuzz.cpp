// Fuzz target: URL parsing and what is derived from a page URL
// (processor/enrich/url.h, campaign.h): parse_url, percent_decode,
// normalize_path, parse_query and the campaign parameters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "processor/enrich/campaign.h"
#include "processor/enrich/url.h"

namespace e = clickstream::enrich;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto url = e::parse_url(text)) {
        FUZZ_CHECK(size <= e::max_url_length + 64);  // surrounding whitespace at most
        FUZZ_CHECK(!url->scheme.empty());
        FUZZ_CHECK(!url->normalized_path.empty() && url->normalized_path[0] == '/');
        for (const char c : url->scheme) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
        for (const char c : url->host) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
        (void)e::extract_campaign(*url);
    }
    const std::string decoded = e::percent_decode(text, size % 2 == 0);
    FUZZ_CHECK(decoded.size() <= size);
    const std::string path = e::normalize_path(text);
    FUZZ_CHECK(!path.empty() && path[0] == '/');
    (void)e::parse_query(text);
    return 0;
}
