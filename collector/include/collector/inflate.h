// gzip: request bodies, inflated under a size limit so that a small "zip
// bomb" cannot make the collector allocate without bound; and the gzip
// variants of the files under /sdk/, made once at start-up.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "clickstream/result.h"

namespace clickstream::collector {

// The inflated bytes of one gzip member; errc::bad_gzip for anything that is
// not exactly one valid member, errc::inflated_too_large past `limit` bytes
// (it stops inflating there).
result<std::string> inflate_gzip(std::string_view compressed, std::size_t limit) noexcept;

// `plain` as one gzip member at zlib's best compression (level 9, the
// largest window and memory level); empty if zlib fails.
std::string deflate_gzip(std::string_view plain);

}  // namespace clickstream::collector
