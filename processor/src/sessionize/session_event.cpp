#include "processor/sessionize/session_event.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace clickstream::sessionize {

std::string utc_date(std::int64_t ms) {
    // Days since the epoch to a civil date (Howard Hinnant's algorithm).
    std::int64_t z = (ms >= 0 ? ms : ms - 86'399'999) / 86'400'000 + 719'468;
    const std::int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
    const auto doe = static_cast<unsigned>(z - era * 146'097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y + (m <= 2)), m, d);
    return buf;
}

namespace {

using json = nlohmann::json;

// Each reader leaves the target as it is when the field is absent or null.
bool read(const json& j, const char* name, std::string& out) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) return true;
    if (!it->is_string()) return false;
    out = it->get_ref<const std::string&>();
    return true;
}

template <class Int>
bool read_int(const json& j, const char* name, Int& out) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) return true;
    if (!it->is_number_integer()) return false;
    if (it->is_number_unsigned()) {
        out = static_cast<Int>(it->get<std::uint64_t>());
    } else {
        const auto v = it->get<std::int64_t>();
        if (std::is_unsigned_v<Int> && v < 0) return false;
        out = static_cast<Int>(v);
    }
    return true;
}

bool read_number(const json& j, const char* name, double& out) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) return true;
    if (!it->is_number()) return false;
    out = it->get<double>();
    return true;
}

}  // namespace

result<parsed_event> parse_clean_event(std::string_view line) {
    json j = json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return failure{errc::bad_json};
    for (const char* required : {"site", "session_id", "event_id", "event_time_ms"}) {
        if (!j.contains(required)) return failure{errc::missing_field};
    }
    parsed_event out;
    session_event& e = out.event;
    bool ok = read(j, "site", e.site) && read(j, "session_id", e.session_id) &&
              read(j, "event_id", e.event_id) && read_int(j, "event_time_ms", e.event_time_ms) &&
              read(j, "time_source", e.time_source) && read(j, "type", e.type) &&
              read(j, "name", e.name) && read(j, "anonymous_id", e.anonymous_id) &&
              read(j, "user_id", e.user_id) && read_int(j, "seq", e.seq) &&
              read(j, "tab_id", e.tab_id) && read(j, "url_path", e.url_path) &&
              read(j, "referrer", e.referrer) && read(j, "referrer_medium", e.referrer_medium) &&
              read(j, "referrer_source", e.referrer_source) &&
              read(j, "utm_source", e.utm_source) && read(j, "utm_medium", e.utm_medium) &&
              read(j, "utm_campaign", e.utm_campaign) && read(j, "utm_term", e.utm_term) &&
              read(j, "utm_content", e.utm_content) && read(j, "channel", e.channel) &&
              read(j, "device_type", e.device_type) &&
              read(j, "browser_family", e.browser_family) && read(j, "os_family", e.os_family) &&
              read(j, "country", e.country) && read_int(j, "scroll_depth", e.scroll_depth) &&
              read_number(j, "value", e.value) && read(j, "currency", e.currency) &&
              read(j, "sdk_name", e.sdk_name) && read(j, "platform", e.platform) &&
              read_int(j, "session_timeout_s", e.session_timeout_s);
    if (!ok) return failure{errc::bad_value};
    if (e.site.empty() || e.session_id.empty() || e.event_id.empty()) {
        return failure{errc::missing_field};
    }
    out.row.assign(line.begin(), line.end());
    if (!j.contains("device_date")) {
        // `events` is partitioned by the device date: a retry has the same one.
        std::int64_t device_ts = e.event_time_ms;
        if (!read_int(j, "device_ts_ms", device_ts)) return failure{errc::bad_value};
        const auto brace = out.row.find('{');
        out.row.insert(brace + 1, "\"device_date\":\"" + utc_date(device_ts) + "\",");
    }
    return out;
}

}  // namespace clickstream::sessionize
