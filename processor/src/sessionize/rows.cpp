#include "processor/sessionize/rows.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace clickstream::sessionize {

std::string to_json_row(const session_row& r) {
    const nlohmann::json j = {
        {"site", r.site},
        {"session_id", r.session_id},
        {"segment", r.segment},
        {"version", r.version},
        {"anonymous_id", r.anonymous_id},
        {"user_id", r.user_id},
        {"start_ms", r.start_ms},
        {"end_ms", r.end_ms},
        {"start_date", utc_date(r.start_ms)},
        {"duration_ms", r.end_ms - r.start_ms},
        {"events", r.events},
        {"page_views", r.page_views},
        {"clicks", r.clicks},
        {"scrolls", r.scrolls},
        {"hovers", r.hovers},
        {"max_scroll_depth", r.max_scroll_depth},
        {"pages", r.pages},
        {"landing_page", r.landing_page},
        {"exit_page", r.exit_page},
        {"referrer", r.referrer},
        {"referrer_medium", r.referrer_medium},
        {"referrer_source", r.referrer_source},
        {"utm_source", r.utm_source},
        {"utm_medium", r.utm_medium},
        {"utm_campaign", r.utm_campaign},
        {"utm_term", r.utm_term},
        {"utm_content", r.utm_content},
        {"channel", r.channel},
        {"device_type", r.device_type},
        {"browser_family", r.browser_family},
        {"os_family", r.os_family},
        {"country", r.country},
        {"conversions", r.conversions},
        {"conversion_names", r.conversion_names},
        // Decimal(18, 4) from a JSON number.
        {"revenue", std::round(r.revenue * 10'000) / 10'000},
        {"currency", r.currency},
        {"converted", r.converted ? 1 : 0},
        {"bounce", r.bounce ? 1 : 0},
        {"missing_events", r.missing_events},
        {"sdk_timeout_s", r.sdk_timeout_s},
        {"close_reason", to_string(r.reason)},
        {"chain_start_ms", r.chain_start_ms},
        {"segment_index", r.segment_index},
        {"platform", r.platform},
        {"sdk_name", r.sdk_name},
    };
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace clickstream::sessionize
