// Options: plain structs with the defaults the design sets, validated once
// when a tracker is made and passed down. No globals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clickstream/environment.h"
#include "clickstream/result.h"
#include "clickstream/version.h"

namespace clickstream {

enum class platform : std::uint8_t { web, ios, android, desktop, server };
const char* to_string(platform p) noexcept;

// Whether events may be sent. pending: held in memory, nothing sent;
// denied: discarded and counted (consent_denied), and remembered.
enum class consent : std::uint8_t { granted, pending, denied };

struct screen_size {
    std::uint32_t w = 0;
    std::uint32_t h = 0;
};

// The batch's context block, besides identity and the session timeout.
struct context_options {
    platform platform_kind = platform::desktop;
    std::string app_name;  // empty: no app block
    std::string app_version;
    std::optional<screen_size> screen;
    std::optional<screen_size> viewport;
    std::string language;   // BCP 47, e.g. "de-DE"
    std::string time_zone;  // IANA, e.g. "Europe/Berlin"
    std::string tab_id;     // web: several tabs share a session; seq counts per tab
    std::optional<bool> webdriver;
};

// When a batch leaves: the oldest queued event is flush_interval_ms old, the
// queue holds max_batch_events, or max_batch_bytes of events; or on flush()
// and lifecycle events. The queue holds at most max_queue_events and
// max_queue_bytes; beyond, the oldest events are dropped and counted.
struct batcher_options {
    std::int64_t flush_interval_ms = 3000;  // 500 to 30000
    std::size_t max_batch_events = 50;      // 1 to 1000
    std::size_t max_batch_bytes = 32 * 1024;
    std::size_t hard_max_batch_bytes = 64 * 1024;  // never above: sendBeacon's limit
    std::size_t max_queue_events = 10000;
    std::size_t max_queue_bytes = 8 * 1024 * 1024;
};

// Exponential backoff with full jitter: the n-th retry waits a uniform time
// in [0, min(max_ms, base_ms * 2^(n-1))]. A Retry-After wins, up to
// max_retry_after_ms.
struct retry_options {
    std::int64_t base_ms = 1000;
    std::int64_t max_ms = 60000;
    std::int64_t max_retry_after_ms = 3600000;
};

struct session_options {
    // Rolling inactivity timeout; a site's /v1/config value replaces it.
    std::int64_t timeout_s = 1800;
};

struct tracker_options {
    std::string site;      // the site key
    std::string endpoint;  // the collector's base URL, e.g. https://c.example.com/cs
    std::string sdk_name = "clickstream-native";
    std::string sdk_version = CLICKSTREAM_SDK_VERSION;
    // Fixed anonymous id (server-side use, imports); empty: a stored UUIDv4.
    std::string anonymous_id;
    context_options context;
    session_options session;
    batcher_options batching;
    retry_options retry;
    consent initial_consent = consent::granted;  // a stored decision wins
    bool report_dropped = true;                  // write the batch's dropped block
    std::string user_agent;                      // empty: the transport's default
    std::vector<header> headers;                 // extra request headers
};

// Checks ranges and the site key; the error names the first bad option.
result<void, std::string> validate(const tracker_options& o);
// The same check without the message (and without linking the messages).
bool is_valid(const tracker_options& o) noexcept;

}  // namespace clickstream
