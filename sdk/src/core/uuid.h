// UUIDv4 (RFC 4122 random) from the injected random source.
#pragma once

#include <cstdint>
#include <string>

#include "clickstream/environment.h"

namespace clickstream {

// Formats 128 random bits as a version 4, variant 1 UUID in lower-case hex.
// hi holds bytes 0-7 (most significant first), lo bytes 8-15.
std::string format_uuid_v4(std::uint64_t hi, std::uint64_t lo);
// Two draws: hi, then lo.
std::string make_uuid_v4(random_source& random);

}  // namespace clickstream
