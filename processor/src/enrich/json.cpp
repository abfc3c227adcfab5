#include "processor/enrich/json.h"

#include <string>

namespace clickstream::enrich {
namespace {

nlohmann::json or_null(const std::string& s) {
    return s.empty() ? nlohmann::json() : nlohmann::json(s);
}

}  // namespace

void to_json(nlohmann::json& j, const parsed_url& u) {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& p : u.params) {
        if (!params.contains(p.name)) params[p.name] = p.value;
    }
    j = {{"scheme", u.scheme},
         {"host", u.host},
         {"port", u.port ? nlohmann::json(*u.port) : nlohmann::json()},
         {"path", u.path},
         {"normalized_path", u.normalized_path},
         {"query", u.query},
         {"params", std::move(params)},
         {"fragment", u.fragment}};
}

void to_json(nlohmann::json& j, const campaign& c) {
    j = {{"source", or_null(c.source)},   {"medium", or_null(c.medium)},
         {"name", or_null(c.name)},       {"term", or_null(c.term)},
         {"content", or_null(c.content)}, {"id", or_null(c.id)},
         {"gclid", or_null(c.gclid)},     {"gbraid", or_null(c.gbraid)},
         {"wbraid", or_null(c.wbraid)},   {"dclid", or_null(c.dclid)},
         {"fbclid", or_null(c.fbclid)},   {"msclkid", or_null(c.msclkid)},
         {"ttclid", or_null(c.ttclid)},   {"li_fat_id", or_null(c.li_fat_id)}};
}

void to_json(nlohmann::json& j, const referrer_info& r) {
    j = {{"medium", to_string(r.medium)},
         {"host", or_null(r.host)},
         {"source", or_null(r.source)},
         {"term", or_null(r.term)}};
}

void to_json(nlohmann::json& j, const user_agent_info& ua) {
    j = {{"browser",
          {{"family", ua.browser.family},
           {"major", or_null(ua.browser.major)},
           {"minor", or_null(ua.browser.minor)},
           {"patch", or_null(ua.browser.patch)},
           {"patch_minor", or_null(ua.browser.patch_minor)}}},
         {"os",
          {{"family", ua.os.family},
           {"major", or_null(ua.os.major)},
           {"minor", or_null(ua.os.minor)},
           {"patch", or_null(ua.os.patch)},
           {"patch_minor", or_null(ua.os.patch_minor)}}},
         {"device",
          {{"family", ua.device.family},
           {"brand", or_null(ua.device.brand)},
           {"model", or_null(ua.device.model)},
           {"type", to_string(ua.type)}}}};
}

void to_json(nlohmann::json& j, const bot_verdict& v) {
    j = {{"is_bot", v.bot}, {"rule", to_string(v.rule)}, {"detail", or_null(v.detail)}};
}

void to_json(nlohmann::json& j, const event_time& t) {
    nlohmann::json flags = nlohmann::json::array();
    for (const auto name : time_flag_names(t.flags)) flags.push_back(name);
    j = {{"event_ms", t.event_ms},
         {"source", t.source == time_source::true_ts ? "true_ts" : "skew_corrected"},
         {"clock_skew_ms", t.clock_skew_ms},
         {"flags", std::move(flags)}};
}

std::string dump_line(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace clickstream::enrich
