#include "clickstream/options.h"

#include "clickstream/wire/batch_v1.h"

namespace clickstream {

namespace v1 = wire::batch_v1;

const char* to_string(platform p) noexcept {
    switch (p) {
        case platform::web:
            return "web";
        case platform::ios:
            return "ios";
        case platform::android:
            return "android";
        case platform::desktop:
            return "desktop";
        case platform::server:
            return "server";
    }
    return "desktop";
}

namespace {

// The options that can be wrong, in the order they are checked.
enum bad_option : std::uint8_t {
    none,
    bad_site,
    bad_sdk_name,
    bad_sdk_version,
    bad_anonymous_id,
    bad_tab_id,
    bad_app,
    bad_language,
    bad_screen,
    bad_session_timeout,
    bad_flush_interval,
    bad_batch_events,
    bad_hard_batch_bytes,
    bad_batch_bytes,
    bad_queue,
    bad_retry,
    bad_header,
    bad_user_agent,
};

// Their messages, by bad_option. Only validate() reads them: a build that
// asks is_valid() alone (the wasm beacon) links none of this text.
constexpr const char* option_messages[] = {
    "",
    "site: 1 to 64 of A-Z a-z 0-9 _ . -",
    "sdk name: 1 to 64 bytes",
    "sdk version: 1 to 32 bytes",
    "anonymous_id: up to 128 bytes",
    "tab_id: up to 64 bytes",
    "app name/version: up to 128/64 bytes",
    "language/time_zone: up to 35/64 bytes",
    "screen/viewport: up to 100000",
    "session timeout: 1 to 86400 s",
    "flush interval: 500 to 30000 ms",
    "batch events: 1 to 1000",
    "hard batch bytes: 4096 to 65536",
    "batch bytes: 1024 to the hard cap",
    "queue: at least 1 event and the hard batch cap in bytes",
    "retry: base >= 1 ms, max >= base, max Retry-After >= 0",
    "header: a name without ':' and no line breaks",
    "user agent: one line",
};

// The first bad option, or none.
bad_option options_error(const tracker_options& o) {
    if (!v1::is_valid_site_key(o.site)) return bad_site;
    if (o.sdk_name.empty() || o.sdk_name.size() > 64) return bad_sdk_name;
    if (o.sdk_version.empty() || o.sdk_version.size() > 32) return bad_sdk_version;
    if (o.anonymous_id.size() > v1::max_anonymous_id) return bad_anonymous_id;
    if (o.context.tab_id.size() > v1::max_tab_id) return bad_tab_id;
    if (o.context.app_name.size() > 128 || o.context.app_version.size() > 64) {
        return bad_app;
    }
    if (o.context.language.size() > 35 || o.context.time_zone.size() > 64) {
        return bad_language;
    }
    for (const auto& s : {o.context.screen, o.context.viewport}) {
        if (s && (s->w > v1::max_screen_side || s->h > v1::max_screen_side)) {
            return bad_screen;
        }
    }
    if (o.session.timeout_s < v1::min_session_timeout_s ||
        o.session.timeout_s > v1::max_session_timeout_s) {
        return bad_session_timeout;
    }
    const auto& b = o.batching;
    if (b.flush_interval_ms < 500 || b.flush_interval_ms > 30000) {
        return bad_flush_interval;
    }
    if (b.max_batch_events < 1 || b.max_batch_events > v1::max_events) {
        return bad_batch_events;
    }
    if (b.hard_max_batch_bytes > v1::max_body_bytes || b.hard_max_batch_bytes < 4096) {
        return bad_hard_batch_bytes;
    }
    if (b.max_batch_bytes < 1024 || b.max_batch_bytes > b.hard_max_batch_bytes) {
        return bad_batch_bytes;
    }
    if (b.max_queue_events < 1 || b.max_queue_bytes < b.hard_max_batch_bytes) {
        return bad_queue;
    }
    const auto& r = o.retry;
    if (r.base_ms < 1 || r.max_ms < r.base_ms || r.max_retry_after_ms < 0) {
        return bad_retry;
    }
    for (const auto& h : o.headers) {
        if (h.name.empty() || h.name.find_first_of(":\r\n") != std::string::npos ||
            h.value.find_first_of("\r\n") != std::string::npos) {
            return bad_header;
        }
    }
    if (o.user_agent.find_first_of("\r\n") != std::string::npos) return bad_user_agent;
    return none;
}

}  // namespace

result<void, std::string> validate(const tracker_options& o) {
    if (const auto bad = options_error(o)) return failure{std::string(option_messages[bad])};
    return {};
}

bool is_valid(const tracker_options& o) noexcept {
    return options_error(o) == none;
}

}  // namespace clickstream
