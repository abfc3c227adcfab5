// gzip bodies, inflated under a size limit so that a small "zip bomb" cannot
// make the collector allocate without bound.
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

}  // namespace clickstream::collector
