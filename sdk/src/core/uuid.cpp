#include "uuid.h"

namespace clickstream {

std::string format_uuid_v4(std::uint64_t hi, std::uint64_t lo) {
    static constexpr char hex[] = "0123456789abcdef";
    hi = (hi & ~0xF000ULL) | 0x4000ULL;              // version 4 (byte 6)
    lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);  // variant 10xx (byte 8)
    std::string s(36, '-');
    std::size_t pos = 0;
    for (int half = 0; half < 2; ++half) {
        const std::uint64_t bits = half == 0 ? hi : lo;
        for (int nibble = 15; nibble >= 0; --nibble) {
            if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
            s[pos++] = hex[(bits >> (nibble * 4)) & 0xF];
        }
    }
    return s;
}

std::string make_uuid_v4(random_source& random) {
    const std::uint64_t hi = random.next_u64();
    const std::uint64_t lo = random.next_u64();
    return format_uuid_v4(hi, lo);
}

}  // namespace clickstream
