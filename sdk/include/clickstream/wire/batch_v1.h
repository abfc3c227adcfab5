// The batch v1 wire contract (docs/contracts/batch-v1.schema.json) as C++
// constants: what an SDK may send and a consumer must accept. Standard
// library only, so the collector and processor can share it with the SDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace clickstream::wire::batch_v1 {

inline constexpr int version = 1;
inline constexpr std::string_view path = "/v1/batch";

// Limits from the schema. String limits there count characters; the SDK
// checks bytes, which is never more lenient.
inline constexpr std::size_t max_events = 1000;
inline constexpr std::size_t max_site_key = 64;
inline constexpr std::size_t max_anonymous_id = 128;
inline constexpr std::size_t max_user_id = 256;
inline constexpr std::size_t max_url = 8192;
inline constexpr std::size_t max_title = 1024;
inline constexpr std::size_t max_name = 256;
inline constexpr std::size_t max_props = 64;
inline constexpr std::size_t max_prop_key = 128;
inline constexpr std::size_t max_prop_string = 1024;
inline constexpr std::size_t max_selector = 512;
inline constexpr std::size_t max_element_text = 256;
inline constexpr std::size_t max_tab_id = 64;
inline constexpr std::int64_t min_session_timeout_s = 1;
inline constexpr std::int64_t max_session_timeout_s = 86400;
inline constexpr std::int64_t max_epoch_ms = 9007199254740991;  // 2^53 - 1
inline constexpr std::uint32_t max_screen_side = 100000;

// The body size an SDK never exceeds: what navigator.sendBeacon can carry.
inline constexpr std::size_t max_body_bytes = 64 * 1024;

// Site keys: ^[A-Za-z0-9_.-]{1,64}$.
constexpr bool is_valid_site_key(std::string_view key) noexcept {
    if (key.empty() || key.size() > max_site_key) return false;
    for (char c : key) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

// ISO 4217 as the contract checks it: ^[A-Z]{3}$.
constexpr bool is_valid_currency(std::string_view code) noexcept {
    if (code.size() != 3) return false;
    for (char c : code) {
        if (c < 'A' || c > 'Z') return false;
    }
    return true;
}

}  // namespace clickstream::wire::batch_v1
