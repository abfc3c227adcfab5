// Options by name, for the C API and config files. Ranges are checked here
// only for form (a number, a known word); validate(tracker_options) checks
// the whole when the tracker is made.
#include <charconv>
#include <map>

#include "clickstream/tracker.h"

namespace clickstream {
namespace {

using setter = result<void, option_error> (*)(tracker_config&, std::string_view);

result<void, option_error> invalid(std::string why) {
    return failure{option_error{false, std::move(why)}};
}

template <class T>
result<void, option_error> number(std::string_view v, T& out) {
    T x{};
    const auto r = std::from_chars(v.data(), v.data() + v.size(), x);
    if (r.ec != std::errc{} || r.ptr != v.data() + v.size())
        return invalid("not a number: " + std::string(v));
    out = x;
    return {};
}

result<void, option_error> boolean(std::string_view v, bool& out) {
    if (v == "true" || v == "1")
        out = true;
    else if (v == "false" || v == "0")
        out = false;
    else
        return invalid("expected true or false");
    return {};
}

result<void, option_error> size(std::string_view v, std::optional<screen_size>& out) {
    const auto x = v.find('x');
    if (x == std::string_view::npos) return invalid("expected WIDTHxHEIGHT, e.g. 1920x1080");
    screen_size s;
    if (!number(v.substr(0, x), s.w) || !number(v.substr(x + 1), s.h)) {
        return invalid("expected WIDTHxHEIGHT, e.g. 1920x1080");
    }
    out = s;
    return {};
}

#define CS_TEXT(field)                                                        \
    [](tracker_config& c, std::string_view v) -> result<void, option_error> { \
        c.field = std::string(v);                                             \
        return {};                                                            \
    }
#define CS_NUMBER(field)                                                      \
    [](tracker_config& c, std::string_view v) -> result<void, option_error> { \
        return number(v, c.field);                                            \
    }
#define CS_BOOL(field)                                                        \
    [](tracker_config& c, std::string_view v) -> result<void, option_error> { \
        return boolean(v, c.field);                                           \
    }

const std::map<std::string_view, setter>& setters() {
    static const std::map<std::string_view, setter> all = {
        {"site", CS_TEXT(options.site)},
        {"endpoint", CS_TEXT(options.endpoint)},
        {"anonymous_id", CS_TEXT(options.anonymous_id)},
        {"sdk.name", CS_TEXT(options.sdk_name)},
        {"sdk.version", CS_TEXT(options.sdk_version)},
        {"app.name", CS_TEXT(options.context.app_name)},
        {"app.version", CS_TEXT(options.context.app_version)},
        {"language", CS_TEXT(options.context.language)},
        {"time_zone", CS_TEXT(options.context.time_zone)},
        {"user_agent", CS_TEXT(options.user_agent)},
        {"storage.dir", CS_TEXT(storage_dir)},
        {"http.ca_file", CS_TEXT(http.ca_file)},
        {"session.timeout.s", CS_NUMBER(options.session.timeout_s)},
        {"flush.interval.ms", CS_NUMBER(options.batching.flush_interval_ms)},
        {"batch.max.events", CS_NUMBER(options.batching.max_batch_events)},
        {"batch.max.bytes", CS_NUMBER(options.batching.max_batch_bytes)},
        {"queue.max.events", CS_NUMBER(options.batching.max_queue_events)},
        {"queue.max.bytes", CS_NUMBER(options.batching.max_queue_bytes)},
        {"retry.base.ms", CS_NUMBER(options.retry.base_ms)},
        {"retry.max.ms", CS_NUMBER(options.retry.max_ms)},
        {"retry.after.max.ms", CS_NUMBER(options.retry.max_retry_after_ms)},
        {"http.timeout.ms", CS_NUMBER(http.timeout_ms)},
        {"http.connect.timeout.ms", CS_NUMBER(http.connect_timeout_ms)},
        {"http.gzip", CS_BOOL(http.gzip)},
        {"http.verify_tls", CS_BOOL(http.verify_tls)},
        {"storage.sync", CS_BOOL(sync_every_write)},
        {"remote.config", CS_BOOL(fetch_remote_config)},
        {"report.dropped", CS_BOOL(options.report_dropped)},
        {"screen",
         [](tracker_config& c, std::string_view v) { return size(v, c.options.context.screen); }},
        {"viewport",
         [](tracker_config& c, std::string_view v) { return size(v, c.options.context.viewport); }},
        {"platform",
         [](tracker_config& c, std::string_view v) -> result<void, option_error> {
             for (auto p : {platform::web, platform::ios, platform::android, platform::desktop,
                            platform::server}) {
                 if (v == to_string(p)) {
                     c.options.context.platform_kind = p;
                     return {};
                 }
             }
             return invalid("expected web, ios, android, desktop or server");
         }},
        {"consent",
         [](tracker_config& c, std::string_view v) -> result<void, option_error> {
             if (v == "granted")
                 c.options.initial_consent = consent::granted;
             else if (v == "pending")
                 c.options.initial_consent = consent::pending;
             else if (v == "denied")
                 c.options.initial_consent = consent::denied;
             else
                 return invalid("expected granted, pending or denied");
             return {};
         }},
        {"header",
         [](tracker_config& c, std::string_view v) -> result<void, option_error> {
             const auto colon = v.find(':');
             if (colon == std::string_view::npos || colon == 0)
                 return invalid("expected 'Name: value'");
             std::string_view value = v.substr(colon + 1);
             while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
             c.options.headers.push_back({std::string(v.substr(0, colon)), std::string(value)});
             return {};
         }},
    };
    return all;
}

#undef CS_TEXT
#undef CS_NUMBER
#undef CS_BOOL

}  // namespace

result<void, option_error> configure(tracker_config& config, std::string_view name,
                                     std::string_view value) {
    const auto& all = setters();
    const auto it = all.find(name);
    if (it == all.end()) return failure{option_error{true, "unknown option: " + std::string(name)}};
    return it->second(config, value);
}

}  // namespace clickstream
