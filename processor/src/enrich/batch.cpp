#include "processor/enrich/batch.h"

#include <clickstream/wire/batch_v1.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "processor/enrich/url.h"
#include "text.h"

namespace clickstream::enrich {

std::string_view to_string(batch_reason r) noexcept {
    switch (r) {
        case batch_reason::not_json:
            return "not_json";
        case batch_reason::wrong_type:
            return "wrong_type";
        case batch_reason::missing_field:
            return "missing_field";
        case batch_reason::unsupported_version:
            return "unsupported_version";
        case batch_reason::bad_value:
            return "bad_value";
        case batch_reason::too_large:
            return "too_large";
    }
    return "unknown";
}

namespace {

using json = nlohmann::json;
namespace wire = clickstream::wire::batch_v1;

// The deepest nesting of arrays and objects, stopping early past `limit`.
// Strings are skipped (with their escapes), so brackets inside them do not
// count. Malformed JSON is left for the parser to refuse.
std::size_t nesting_depth(std::string_view body, std::size_t limit) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > limit) return deepest;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

// Characters (code points) of valid UTF-8, as JSON Schema's maxLength counts.
std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

bool is_uuid_v4(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < 36; ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

// Walks a parsed document in the schema's field order and stops at the first
// violation, keeping the JSON Pointer of where it is.
class validator {
public:
    std::optional<batch_error> error;

    bool fail(batch_reason reason, std::string path, std::string detail) {
        if (!error) error = batch_error{reason, std::move(path), std::move(detail)};
        return false;
    }

    // The member `key` of `obj` (an object), or nullptr when absent; a
    // required one that is absent is a violation.
    const json* member(const json& obj, const std::string& path, const char* key, bool required) {
        const auto it = obj.find(key);
        if (it == obj.end()) {
            if (required) fail(batch_reason::missing_field, path + "/" + key, "required");
            return nullptr;
        }
        return &*it;
    }

    bool object(const json& j, const std::string& path) {
        return j.is_object() || fail(batch_reason::wrong_type, path, "expected an object");
    }

    // A string of at most `max` characters (and at least `min`).
    bool string(const json* j, const std::string& path, std::size_t min, std::size_t max,
                std::string& out) {
        if (j == nullptr) return !error;
        if (!j->is_string()) return fail(batch_reason::wrong_type, path, "expected a string");
        const auto& s = j->get_ref<const std::string&>();
        const std::size_t n = code_points(s);
        if (n > max) {
            return fail(batch_reason::too_large, path,
                        "longer than " + std::to_string(max) + " characters");
        }
        if (n < min) return fail(batch_reason::bad_value, path, "empty");
        out = s;
        return true;
    }

    // An integer in [min, max]; a number with a zero fraction counts (as in
    // JSON Schema).
    bool integer(const json* j, const std::string& path, std::int64_t min, std::int64_t max,
                 std::int64_t& out) {
        if (j == nullptr) return !error;
        std::int64_t v = 0;
        if (j->is_number_integer() && !j->is_number_unsigned()) {
            v = j->get<std::int64_t>();
        } else if (j->is_number_unsigned()) {
            const auto u = j->get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(max)) {
                return fail(batch_reason::bad_value, path, "out of range");
            }
            v = static_cast<std::int64_t>(u);
        } else if (j->is_number_float()) {
            const double d = j->get<double>();
            if (!std::isfinite(d) || std::floor(d) != d) {
                return fail(batch_reason::wrong_type, path, "expected an integer");
            }
            if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
                return fail(batch_reason::bad_value, path, "out of range");
            }
            v = static_cast<std::int64_t>(d);
        } else {
            return fail(batch_reason::wrong_type, path, "expected an integer");
        }
        if (v < min || v > max) return fail(batch_reason::bad_value, path, "out of range");
        out = v;
        return true;
    }

    bool boolean(const json* j, const std::string& path, bool& out) {
        if (j == nullptr) return !error;
        if (!j->is_boolean()) return fail(batch_reason::wrong_type, path, "expected a boolean");
        out = j->get<bool>();
        return true;
    }

    bool size(const json* j, const std::string& path, std::optional<batch_size>& out) {
        if (j == nullptr) return !error;
        if (!object(*j, path)) return false;
        batch_size s;
        const auto max = static_cast<std::int64_t>(wire::max_screen_side);
        if (!integer(member(*j, path, "w", true), path + "/w", 0, max, s.w)) return false;
        if (!integer(member(*j, path, "h", true), path + "/h", 0, max, s.h)) return false;
        out = s;
        return true;
    }

    bool context(const json& j, const std::string& path, batch_context& c) {
        if (!object(j, path)) return false;
        if (!string(member(j, path, "anonymous_id", true), path + "/anonymous_id", 1,
                    wire::max_anonymous_id, c.anonymous_id) ||
            !string(member(j, path, "user_id", false), path + "/user_id", 1, wire::max_user_id,
                    c.user_id)) {
            return false;
        }
        if (const json* p = member(j, path, "platform", true)) {
            static constexpr std::array<std::string_view, 5> platforms = {"web", "ios", "android",
                                                                          "desktop", "server"};
            const bool known =
                p->is_string() && std::find(platforms.begin(), platforms.end(),
                                            p->get_ref<const std::string&>()) != platforms.end();
            if (!known)
                return fail(batch_reason::bad_value, path + "/platform", "unknown platform");
            c.platform = p->get<std::string>();
        } else {
            return false;
        }
        if (const json* app = member(j, path, "app", false)) {
            if (!object(*app, path + "/app") ||
                !string(member(*app, path + "/app", "name", false), path + "/app/name", 0, 128,
                        c.app_name) ||
                !string(member(*app, path + "/app", "version", false), path + "/app/version", 0, 64,
                        c.app_version)) {
                return false;
            }
        }
        if (!size(member(j, path, "screen", false), path + "/screen", c.screen) ||
            !size(member(j, path, "viewport", false), path + "/viewport", c.viewport) ||
            !string(member(j, path, "language", false), path + "/language", 0, 35, c.language) ||
            !string(member(j, path, "time_zone", false), path + "/time_zone", 0, 64, c.time_zone) ||
            !integer(member(j, path, "session_timeout_s", true), path + "/session_timeout_s",
                     wire::min_session_timeout_s, wire::max_session_timeout_s,
                     c.session_timeout_s) ||
            !string(member(j, path, "tab_id", false), path + "/tab_id", 1, wire::max_tab_id,
                    c.tab_id) ||
            !boolean(member(j, path, "webdriver", false), path + "/webdriver", c.webdriver)) {
            return false;
        }
        return true;
    }

    bool dropped(const json* j, const std::string& path, batch_dropped& d) {
        if (j == nullptr) return !error;
        if (!object(*j, path)) return false;
        const std::int64_t max = wire::max_epoch_ms;
        return integer(member(*j, path, "queue_full", false), path + "/queue_full", 0, max,
                       d.queue_full) &&
               integer(member(*j, path, "consent_denied", false), path + "/consent_denied", 0, max,
                       d.consent_denied) &&
               integer(member(*j, path, "rejected", false), path + "/rejected", 0, max, d.rejected);
    }

    bool props(const json* j, const std::string& path, std::string& out) {
        if (j == nullptr) return !error;
        if (!object(*j, path)) return false;
        if (j->size() > wire::max_props) {
            return fail(batch_reason::too_large, path,
                        "more than " + std::to_string(wire::max_props) + " properties");
        }
        for (const auto& [key, value] : j->items()) {
            // The pointer escapes '~' and '/' in the key (RFC 6901).
            std::string token;
            for (const char c : key) {
                if (c == '~') {
                    token += "~0";
                } else if (c == '/') {
                    token += "~1";
                } else {
                    token += c;
                }
            }
            const std::string at = path + "/" + token;
            if (code_points(key) > wire::max_prop_key) {
                return fail(batch_reason::too_large, at, "property name too long");
            }
            if (value.is_string()) {
                if (code_points(value.get_ref<const std::string&>()) > wire::max_prop_string) {
                    return fail(batch_reason::too_large, at, "property value too long");
                }
            } else if (!value.is_number() && !value.is_boolean()) {
                return fail(batch_reason::wrong_type, at, "expected a string, number or boolean");
            }
        }
        out = j->dump();
        return true;
    }

    bool element(const json* j, const std::string& path, std::optional<batch_element>& out) {
        if (j == nullptr) return !error;
        if (!object(*j, path)) return false;
        batch_element e;
        bool outbound = false;
        const json* o = member(*j, path, "outbound", false);
        if (!string(member(*j, path, "selector", false), path + "/selector", 0, wire::max_selector,
                    e.selector) ||
            !string(member(*j, path, "text", false), path + "/text", 0, wire::max_element_text,
                    e.text) ||
            !string(member(*j, path, "href", false), path + "/href", 0, wire::max_url, e.href) ||
            !boolean(o, path + "/outbound", outbound)) {
            return false;
        }
        if (o != nullptr) e.outbound = outbound;
        out = std::move(e);
        return true;
    }

    bool event(const json& j, const std::string& path, batch_event& e) {
        if (!object(j, path)) return false;
        if (const json* id = member(j, path, "id", true)) {
            if (!id->is_string()) return fail(batch_reason::wrong_type, path + "/id", "string");
            if (!is_uuid_v4(id->get_ref<const std::string&>())) {
                return fail(batch_reason::bad_value, path + "/id", "not a lower-case UUIDv4");
            }
            e.id = id->get<std::string>();
        } else {
            return false;
        }
        if (const json* type = member(j, path, "type", true)) {
            static constexpr std::array<std::string_view, 8> types = {
                "page_view", "screen_view", "click",    "scroll",
                "hover",     "custom",      "identify", "conversion"};
            const bool known =
                type->is_string() && std::find(types.begin(), types.end(),
                                               type->get_ref<const std::string&>()) != types.end();
            if (!known) return fail(batch_reason::bad_value, path + "/type", "unknown type");
            e.type = type->get<std::string>();
        } else {
            return false;
        }
        std::int64_t true_ts = 0;
        const json* tt = member(j, path, "true_ts", false);
        std::int64_t depth = 0;
        const json* d = member(j, path, "depth", false);
        double value = 0;
        const json* v = member(j, path, "value", false);
        if (!integer(member(j, path, "ts", true), path + "/ts", 0, wire::max_epoch_ms, e.ts) ||
            !integer(tt, path + "/true_ts", 0, wire::max_epoch_ms, true_ts) ||
            !string(member(j, path, "session_id", true), path + "/session_id", 1, 64,
                    e.session_id) ||
            !integer(member(j, path, "session_index", true), path + "/session_index", 1,
                     wire::max_epoch_ms, e.session_index) ||
            !integer(member(j, path, "seq", true), path + "/seq", 1, wire::max_epoch_ms, e.seq) ||
            !string(member(j, path, "url", false), path + "/url", 0, wire::max_url, e.url) ||
            !string(member(j, path, "referrer", false), path + "/referrer", 0, wire::max_url,
                    e.referrer) ||
            !string(member(j, path, "title", false), path + "/title", 0, wire::max_title,
                    e.title) ||
            !string(member(j, path, "name", false), path + "/name", 1, wire::max_name, e.name) ||
            !props(member(j, path, "props", false), path + "/props", e.props)) {
            return false;
        }
        if (v != nullptr) {
            if (!v->is_number()) return fail(batch_reason::wrong_type, path + "/value", "number");
            value = v->get<double>();
            e.value = value;
        }
        if (const json* c = member(j, path, "currency", false)) {
            if (!c->is_string())
                return fail(batch_reason::wrong_type, path + "/currency", "string");
            if (!wire::is_valid_currency(c->get_ref<const std::string&>())) {
                return fail(batch_reason::bad_value, path + "/currency", "not ISO 4217");
            }
            e.currency = c->get<std::string>();
        }
        if (!element(member(j, path, "element", false), path + "/element", e.element) ||
            !integer(d, path + "/depth", 0, 100, depth)) {
            return false;
        }
        if (tt != nullptr) e.true_ts = true_ts;
        if (d != nullptr) e.depth = static_cast<int>(depth);
        // The rules across fields, in the schema's order.
        if ((e.type == "custom" || e.type == "conversion" || e.type == "screen_view") &&
            e.name.empty()) {
            return fail(batch_reason::missing_field, path + "/name", "required for " + e.type);
        }
        if (e.type == "scroll" && !e.depth) {
            return fail(batch_reason::missing_field, path + "/depth", "required for scroll");
        }
        if ((e.type == "click" || e.type == "hover") && !e.element) {
            return fail(batch_reason::missing_field, path + "/element", "required for " + e.type);
        }
        if (e.value && e.currency.empty()) {
            return fail(batch_reason::missing_field, path + "/currency", "required with a value");
        }
        return true;
    }

    bool document(const json& j, batch& b) {
        if (!object(j, "")) return false;
        if (const json* v = member(j, "", "v", true)) {
            if (!v->is_number_integer() || v->get<std::int64_t>() != wire::version) {
                return fail(batch_reason::unsupported_version, "/v", "this consumer reads v 1");
            }
        } else {
            return false;
        }
        if (const json* site = member(j, "", "site", true)) {
            if (!site->is_string()) return fail(batch_reason::wrong_type, "/site", "string");
            if (!wire::is_valid_site_key(site->get_ref<const std::string&>())) {
                return fail(batch_reason::bad_value, "/site", "not a site key");
            }
            b.site = site->get<std::string>();
        } else {
            return false;
        }
        if (!integer(member(j, "", "sent_at", true), "/sent_at", 0, wire::max_epoch_ms,
                     b.sent_at)) {
            return false;
        }
        if (const json* sdk = member(j, "", "sdk", true)) {
            if (!object(*sdk, "/sdk") ||
                !string(member(*sdk, "/sdk", "name", true), "/sdk/name", 1, 64, b.sdk_name) ||
                !string(member(*sdk, "/sdk", "version", true), "/sdk/version", 1, 32,
                        b.sdk_version)) {
                return false;
            }
        } else {
            return false;
        }
        const json* ctx = member(j, "", "context", true);
        if (ctx == nullptr || !context(*ctx, "/context", b.context)) return false;
        if (!dropped(member(j, "", "dropped", false), "/dropped", b.dropped)) return false;
        const json* events = member(j, "", "events", true);
        if (events == nullptr) return false;
        if (!events->is_array()) return fail(batch_reason::wrong_type, "/events", "array");
        if (events->empty()) return fail(batch_reason::bad_value, "/events", "no events");
        if (events->size() > wire::max_events) {
            return fail(batch_reason::too_large, "/events",
                        "more than " + std::to_string(wire::max_events) + " events");
        }
        b.events.resize(events->size());
        for (std::size_t i = 0; i < events->size(); ++i) {
            if (!event((*events)[i], "/events/" + std::to_string(i), b.events[i])) return false;
        }
        return true;
    }
};

batch_result validate(const json& doc) {
    validator v;
    batch b;
    if (!v.document(doc, b)) return failure{std::move(*v.error)};
    return b;
}

}  // namespace

batch_result parse_batch(std::string_view body, const batch_limits& limits) {
    if (body.size() > limits.max_body_bytes) {
        return failure{
            batch_error{batch_reason::too_large, "",
                        "body over " + std::to_string(limits.max_body_bytes) + " bytes"}};
    }
    if (nesting_depth(body, limits.max_depth) > limits.max_depth) {
        return failure{batch_error{batch_reason::too_large, "",
                                   "nested deeper than " + std::to_string(limits.max_depth)}};
    }
    // No exceptions: a parse error gives a discarded value. The lexer also
    // refuses ill-formed UTF-8 in strings.
    const json doc = json::parse(body.begin(), body.end(), nullptr, false);
    if (doc.is_discarded()) {
        return failure{batch_error{batch_reason::not_json, "", "not well-formed UTF-8 JSON"}};
    }
    return validate(doc);
}

namespace {

// A pixel parameter as a JSON number (integer when it reads as one), or the
// string itself so that validation names it as the wrong type.
json pixel_number(const std::string& text) {
    std::int64_t i = 0;
    const char* end = text.data() + text.size();
    if (auto [p, ec] = std::from_chars(text.data(), end, i); ec == std::errc{} && p == end) {
        return i;
    }
    double d = 0;
    if (auto [p, ec] = std::from_chars(text.data(), end, d); ec == std::errc{} && p == end) {
        return d;
    }
    return text;
}

}  // namespace

batch_result parse_pixel(std::string_view query, const batch_limits& limits) {
    if (query.size() > limits.max_body_bytes) {
        return failure{batch_error{batch_reason::too_large, "", "query string too long"}};
    }
    json b = json::object();
    json context = {{"platform", "web"}, {"session_timeout_s", 1800}};
    json event = {{"type", "page_view"}, {"session_index", 1}, {"seq", 1}};
    std::optional<json> sent_at;
    for (const auto& p : parse_query(query)) {
        const std::string& n = p.name;
        const std::string& v = p.value;
        if (n == "s") {
            b["site"] = v;
        } else if (n == "aid") {
            context["anonymous_id"] = v;
        } else if (n == "uid") {
            context["user_id"] = v;
        } else if (n == "p") {
            context["platform"] = v;
        } else if (n == "to") {
            context["session_timeout_s"] = pixel_number(v);
        } else if (n == "tab") {
            context["tab_id"] = v;
        } else if (n == "wd") {
            context["webdriver"] = v == "1" || v == "true";
        } else if (n == "id") {
            event["id"] = v;
        } else if (n == "e") {
            event["type"] = v;
        } else if (n == "ts") {
            event["ts"] = pixel_number(v);
        } else if (n == "tts") {
            event["true_ts"] = pixel_number(v);
        } else if (n == "sat") {
            sent_at = pixel_number(v);
        } else if (n == "sid") {
            event["session_id"] = v;
        } else if (n == "si") {
            event["session_index"] = pixel_number(v);
        } else if (n == "q") {
            event["seq"] = pixel_number(v);
        } else if (n == "u") {
            event["url"] = v;
        } else if (n == "r") {
            event["referrer"] = v;
        } else if (n == "t") {
            event["title"] = v;
        } else if (n == "n") {
            event["name"] = v;
        } else if (n == "v") {
            event["value"] = pixel_number(v);
        } else if (n == "c") {
            event["currency"] = v;
        }
    }
    b["v"] = 1;
    if (sent_at) {
        b["sent_at"] = *sent_at;
    } else if (event.contains("ts")) {
        b["sent_at"] = event["ts"];
    }
    b["sdk"] = {{"name", "pixel"}, {"version", "1"}};
    b["context"] = std::move(context);
    b["events"] = json::array({std::move(event)});
    // percent_decode() keeps undecodable escapes as written, so the decoded
    // parameters are UTF-8 exactly when the query string itself is.
    if (!text::valid_utf8(query)) {
        return failure{batch_error{batch_reason::not_json, "", "the query string is not UTF-8"}};
    }
    return validate(b);
}

}  // namespace clickstream::enrich
