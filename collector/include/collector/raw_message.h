// The raw message (collector → clickstream.raw), as DESIGN.md's contract says:
// the decompressed body as the value, and Kafka headers for what the collector
// saw. The processor reads these names; add names, never rename them.
#pragma once

#include <string_view>

namespace clickstream::collector::raw_header {

inline constexpr std::string_view received_at = "received_at";    // ms since the epoch, decimal
inline constexpr std::string_view client_ip = "client_ip";        // after trusted proxies
inline constexpr std::string_view user_agent = "user_agent";      // absent when not sent
inline constexpr std::string_view origin = "origin";              // absent when not sent
inline constexpr std::string_view content_type = "content_type";  // as sent
inline constexpr std::string_view content_encoding = "content_encoding";  // "gzip" or "identity"
inline constexpr std::string_view request_id = "request_id";
inline constexpr std::string_view site = "site";
inline constexpr std::string_view source = "source";  // "batch" or "pixel"

// The pixel's query string travels as the body with this content type.
inline constexpr std::string_view pixel_content_type = "application/x-www-form-urlencoded";

}  // namespace clickstream::collector::raw_header
