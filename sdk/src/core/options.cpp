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

// The first bad option's message, or nullptr. Messages are built into a
// string in one place only (validate), which keeps the wasm beacon small.
const char* options_error(const tracker_options& o) {
    const auto bad = [](const char* why) { return why; };
    if (!v1::is_valid_site_key(o.site)) return bad("site: 1 to 64 of A-Z a-z 0-9 _ . -");
    if (o.sdk_name.empty() || o.sdk_name.size() > 64) return bad("sdk name: 1 to 64 bytes");
    if (o.sdk_version.empty() || o.sdk_version.size() > 32)
        return bad("sdk version: 1 to 32 bytes");
    if (o.anonymous_id.size() > v1::max_anonymous_id) return bad("anonymous_id: up to 128 bytes");
    if (o.context.tab_id.size() > v1::max_tab_id) return bad("tab_id: up to 64 bytes");
    if (o.context.app_name.size() > 128 || o.context.app_version.size() > 64) {
        return bad("app name/version: up to 128/64 bytes");
    }
    if (o.context.language.size() > 35 || o.context.time_zone.size() > 64) {
        return bad("language/time_zone: up to 35/64 bytes");
    }
    for (const auto& s : {o.context.screen, o.context.viewport}) {
        if (s && (s->w > v1::max_screen_side || s->h > v1::max_screen_side)) {
            return bad("screen/viewport: up to 100000");
        }
    }
    if (o.session.timeout_s < v1::min_session_timeout_s ||
        o.session.timeout_s > v1::max_session_timeout_s) {
        return bad("session timeout: 1 to 86400 s");
    }
    const auto& b = o.batching;
    if (b.flush_interval_ms < 500 || b.flush_interval_ms > 30000) {
        return bad("flush interval: 500 to 30000 ms");
    }
    if (b.max_batch_events < 1 || b.max_batch_events > v1::max_events) {
        return bad("batch events: 1 to 1000");
    }
    if (b.hard_max_batch_bytes > v1::max_body_bytes || b.hard_max_batch_bytes < 4096) {
        return bad("hard batch bytes: 4096 to 65536");
    }
    if (b.max_batch_bytes < 1024 || b.max_batch_bytes > b.hard_max_batch_bytes) {
        return bad("batch bytes: 1024 to the hard cap");
    }
    if (b.max_queue_events < 1 || b.max_queue_bytes < b.hard_max_batch_bytes) {
        return bad("queue: at least 1 event and the hard batch cap in bytes");
    }
    const auto& r = o.retry;
    if (r.base_ms < 1 || r.max_ms < r.base_ms || r.max_retry_after_ms < 0) {
        return bad("retry: base >= 1 ms, max >= base, max Retry-After >= 0");
    }
    for (const auto& h : o.headers) {
        if (h.name.empty() || h.name.find_first_of(":\r\n") != std::string::npos ||
            h.value.find_first_of("\r\n") != std::string::npos) {
            return bad("header: a name without ':' and no line breaks");
        }
    }
    if (o.user_agent.find_first_of("\r\n") != std::string::npos) return bad("user agent: one line");
    return nullptr;
}

}  // namespace

result<void, std::string> validate(const tracker_options& o) {
    if (const char* why = options_error(o)) return failure{std::string(why)};
    return {};
}

}  // namespace clickstream
