#include "processor/enrich/batch.h"

#include <clickstream/wire/batch_v1.h>
#include <json_writer.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "json_tape.h"
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

// Back to a default-constructed event, keeping the strings' storage. Every
// field of batch_event is here: the validator writes only what a body holds.
void reset(batch_event& e) {
    e.id.clear();
    e.type.clear();
    e.ts = 0;
    e.true_ts.reset();
    e.session_id.clear();
    e.session_index = 0;
    e.seq = 0;
    e.url.clear();
    e.referrer.clear();
    e.title.clear();
    e.name.clear();
    e.props.clear();
    e.value.reset();
    e.currency.clear();
    e.element.reset();
    e.depth.reset();
}

// The same for the batch's own fields (its events are reset one by one as
// the validator reaches them).
void reset(batch& b) {
    b.v = 1;
    b.site.clear();
    b.sent_at = 0;
    b.sdk_name.clear();
    b.sdk_version.clear();
    batch_context& c = b.context;
    c.anonymous_id.clear();
    c.user_id.clear();
    c.platform.clear();
    c.app_name.clear();
    c.app_version.clear();
    c.screen.reset();
    c.viewport.reset();
    c.language.clear();
    c.time_zone.clear();
    c.session_timeout_s = 0;
    c.tab_id.clear();
    c.webdriver = false;
    b.dropped = {};
}

// Walks a parsed document in the schema's field order and stops at the first
// violation, keeping the JSON Pointer of where it is. `R` is a reference to
// a node: detail::tape_ref for bodies, json_ref (below) for the pixel's
// document. Pointers are built only for a violation: `base` is the parent's
// pointer and `field` the member's name.
template <class R>
class validator {
public:
    std::optional<batch_error> error;

    static std::string at(const std::string& base, std::string_view field) {
        std::string p;
        p.reserve(base.size() + 1 + field.size());
        p += base;
        p += '/';
        p += field;
        return p;
    }

    bool fail(batch_reason reason, std::string path, std::string detail) {
        if (!error) error = batch_error{reason, std::move(path), std::move(detail)};
        return false;
    }

    // The member `key` of `obj` (an object), or absent; a required one that
    // is absent is a violation.
    R member(const R& obj, const std::string& base, std::string_view key, bool required) {
        R m = obj.member(key);
        if (!m && required) fail(batch_reason::missing_field, at(base, key), "required");
        return m;
    }

    // The members of `obj` (an object) named in `keys`, each the last of its
    // name or absent: one pass over a body's members instead of one per
    // name (a lookup must see every member, for the last duplicate). The
    // pixel's document (a map without duplicates) is looked up by name.
    template <std::size_t N>
    static std::array<R, N> members(const R& obj, const std::array<std::string_view, N>& keys) {
        std::array<R, N> out{};
        if constexpr (std::is_same_v<R, detail::tape_ref>) {
            for (R c = obj.first_child(); c; c = c.next_sibling(obj)) {
                const std::string_view k = c.key();
                for (std::size_t i = 0; i < N; ++i) {
                    if (keys[i].size() == k.size() && keys[i][0] == k[0] && keys[i] == k) {
                        out[i] = c;
                        break;
                    }
                }
            }
        } else {
            for (std::size_t i = 0; i < N; ++i) out[i] = obj.member(keys[i]);
        }
        return out;
    }

    // A member found by members(); a required one that is absent is a
    // violation.
    R found(const R& m, const std::string& base, std::string_view key, bool required) {
        if (!m && required) fail(batch_reason::missing_field, at(base, key), "required");
        return m;
    }

    bool object(const R& j, const std::string& path) {
        return j.is_object() || fail(batch_reason::wrong_type, path, "expected an object");
    }

    // A string of at most `max` characters (and at least `min`).
    bool string(const R& j, const std::string& base, std::string_view field, std::size_t min,
                std::size_t max, std::string& out) {
        if (!j) return !error;
        if (!j.is_string())
            return fail(batch_reason::wrong_type, at(base, field), "expected a string");
        const std::string_view s = j.str();
        const std::size_t n = code_points(s);
        if (n > max) {
            return fail(batch_reason::too_large, at(base, field),
                        "longer than " + std::to_string(max) + " characters");
        }
        if (n < min) return fail(batch_reason::bad_value, at(base, field), "empty");
        out.assign(s.data(), s.size());
        return true;
    }

    // An integer in [min, max]; a number with a zero fraction counts (as in
    // JSON Schema).
    bool integer(const R& j, const std::string& base, std::string_view field, std::int64_t min,
                 std::int64_t max, std::int64_t& out) {
        if (!j) return !error;
        std::int64_t v = 0;
        switch (j.kind()) {
            case detail::tape_kind::integer:
                v = j.integer();
                break;
            case detail::tape_kind::unsigned_: {
                const auto u = j.unsigned_integer();
                if (u > static_cast<std::uint64_t>(max)) {
                    return fail(batch_reason::bad_value, at(base, field), "out of range");
                }
                v = static_cast<std::int64_t>(u);
                break;
            }
            case detail::tape_kind::floating: {
                const double d = j.floating();
                if (!std::isfinite(d) || std::floor(d) != d) {
                    return fail(batch_reason::wrong_type, at(base, field), "expected an integer");
                }
                if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
                    return fail(batch_reason::bad_value, at(base, field), "out of range");
                }
                v = static_cast<std::int64_t>(d);
                break;
            }
            default:
                return fail(batch_reason::wrong_type, at(base, field), "expected an integer");
        }
        if (v < min || v > max)
            return fail(batch_reason::bad_value, at(base, field), "out of range");
        out = v;
        return true;
    }

    bool boolean(const R& j, const std::string& base, std::string_view field, bool& out) {
        if (!j) return !error;
        if (!j.is_boolean()) {
            return fail(batch_reason::wrong_type, at(base, field), "expected a boolean");
        }
        out = j.boolean();
        return true;
    }

    bool size(const R& j, const std::string& base, std::string_view field,
              std::optional<batch_size>& out) {
        if (!j) return !error;
        const std::string path = at(base, field);
        if (!object(j, path)) return false;
        batch_size s;
        const auto max = static_cast<std::int64_t>(wire::max_screen_side);
        if (!integer(member(j, path, "w", true), path, "w", 0, max, s.w)) return false;
        if (!integer(member(j, path, "h", true), path, "h", 0, max, s.h)) return false;
        out = s;
        return true;
    }

    bool context(const R& j, const std::string& path, batch_context& c) {
        if (!object(j, path)) return false;
        enum {
            k_anonymous_id,
            k_user_id,
            k_platform,
            k_app,
            k_screen,
            k_viewport,
            k_language,
            k_time_zone,
            k_session_timeout_s,
            k_tab_id,
            k_webdriver
        };
        static constexpr std::array<std::string_view, 11> keys = {
            "anonymous_id", "user_id",   "platform",          "app",    "screen",   "viewport",
            "language",     "time_zone", "session_timeout_s", "tab_id", "webdriver"};
        static_assert(keys[k_anonymous_id] == "anonymous_id" && keys[k_user_id] == "user_id" &&
                      keys[k_platform] == "platform" && keys[k_app] == "app" &&
                      keys[k_screen] == "screen" && keys[k_viewport] == "viewport" &&
                      keys[k_language] == "language" && keys[k_time_zone] == "time_zone" &&
                      keys[k_session_timeout_s] == "session_timeout_s" &&
                      keys[k_tab_id] == "tab_id" && keys[k_webdriver] == "webdriver");
        const std::array<R, 11> m = members(j, keys);
        if (!string(found(m[k_anonymous_id], path, "anonymous_id", true), path, "anonymous_id", 1,
                    wire::max_anonymous_id, c.anonymous_id) ||
            !string(found(m[k_user_id], path, "user_id", false), path, "user_id", 1,
                    wire::max_user_id, c.user_id)) {
            return false;
        }
        if (const R p = found(m[k_platform], path, "platform", true)) {
            static constexpr std::array<std::string_view, 5> platforms = {"web", "ios", "android",
                                                                          "desktop", "server"};
            const bool known = p.is_string() && std::find(platforms.begin(), platforms.end(),
                                                          p.str()) != platforms.end();
            if (!known)
                return fail(batch_reason::bad_value, at(path, "platform"), "unknown platform");
            c.platform.assign(p.str());
        } else {
            return false;
        }
        if (const R app = found(m[k_app], path, "app", false)) {
            const std::string app_path = at(path, "app");
            if (!object(app, app_path) ||
                !string(member(app, app_path, "name", false), app_path, "name", 0, 128,
                        c.app_name) ||
                !string(member(app, app_path, "version", false), app_path, "version", 0, 64,
                        c.app_version)) {
                return false;
            }
        }
        if (!size(found(m[k_screen], path, "screen", false), path, "screen", c.screen) ||
            !size(found(m[k_viewport], path, "viewport", false), path, "viewport", c.viewport) ||
            !string(found(m[k_language], path, "language", false), path, "language", 0, 35,
                    c.language) ||
            !string(found(m[k_time_zone], path, "time_zone", false), path, "time_zone", 0, 64,
                    c.time_zone) ||
            !integer(found(m[k_session_timeout_s], path, "session_timeout_s", true), path,
                     "session_timeout_s", wire::min_session_timeout_s, wire::max_session_timeout_s,
                     c.session_timeout_s) ||
            !string(found(m[k_tab_id], path, "tab_id", false), path, "tab_id", 1, wire::max_tab_id,
                    c.tab_id) ||
            !boolean(found(m[k_webdriver], path, "webdriver", false), path, "webdriver",
                     c.webdriver)) {
            return false;
        }
        return true;
    }

    bool dropped(const R& j, const std::string& path, batch_dropped& d) {
        if (!j) return !error;
        if (!object(j, path)) return false;
        const std::int64_t max = wire::max_epoch_ms;
        return integer(member(j, path, "queue_full", false), path, "queue_full", 0, max,
                       d.queue_full) &&
               integer(member(j, path, "consent_denied", false), path, "consent_denied", 0, max,
                       d.consent_denied) &&
               integer(member(j, path, "rejected", false), path, "rejected", 0, max, d.rejected);
    }

    // The props object, checked, and written back compactly with its keys in
    // byte order, a repeated key once with its last value (as the DOM held
    // it), numbers as JSON.stringify writes them.
    bool props(const R& j, const std::string& base, std::string& out) {
        if (!j) return !error;
        const std::string path = at(base, "props");
        if (!object(j, path)) return false;
        std::vector<std::pair<std::string_view, R>> items;
        items.reserve(j.size());
        for (R c = j.first_child(); c; c = c.next_sibling(j)) items.emplace_back(c.key(), c);
        // Stable: among equal keys the last stays last, and it is the one kept.
        std::stable_sort(items.begin(), items.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        std::size_t unique = 0;
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i + 1 < items.size() && items[i + 1].first == items[i].first) continue;
            items[unique++] = items[i];
        }
        items.resize(unique);
        if (items.size() > wire::max_props) {
            return fail(batch_reason::too_large, path,
                        "more than " + std::to_string(wire::max_props) + " properties");
        }
        for (const auto& [key, value] : items) {
            if (code_points(key) > wire::max_prop_key) {
                return fail(batch_reason::too_large, at(path, pointer_token(key)),
                            "property name too long");
            }
            if (value.is_string()) {
                if (code_points(value.str()) > wire::max_prop_string) {
                    return fail(batch_reason::too_large, at(path, pointer_token(key)),
                                "property value too long");
                }
            } else if (!value.is_number() && !value.is_boolean()) {
                return fail(batch_reason::wrong_type, at(path, pointer_token(key)),
                            "expected a string, number or boolean");
            }
        }
        out.clear();
        out += '{';
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i > 0) out += ',';
            append_json_string(out, items[i].first);
            out += ':';
            const R& v = items[i].second;
            switch (v.kind()) {
                case detail::tape_kind::string:
                    append_json_string(out, v.str());
                    break;
                case detail::tape_kind::boolean:
                    out += v.boolean() ? "true" : "false";
                    break;
                case detail::tape_kind::integer:
                    append_json_integer(out, v.integer());
                    break;
                case detail::tape_kind::unsigned_: {
                    char digits[24];
                    const auto r =
                        std::to_chars(digits, digits + sizeof digits, v.unsigned_integer());
                    out.append(digits, r.ptr);
                    break;
                }
                default:
                    append_json_number(out, v.floating());
                    break;
            }
        }
        out += '}';
        return true;
    }

    bool element(const R& j, const std::string& base, std::optional<batch_element>& out) {
        if (!j) return !error;
        const std::string path = at(base, "element");
        if (!object(j, path)) return false;
        batch_element& e = out ? *out : out.emplace();
        bool outbound = false;
        const R o = member(j, path, "outbound", false);
        if (!string(member(j, path, "selector", false), path, "selector", 0, wire::max_selector,
                    e.selector) ||
            !string(member(j, path, "text", false), path, "text", 0, wire::max_element_text,
                    e.text) ||
            !string(member(j, path, "href", false), path, "href", 0, wire::max_url, e.href) ||
            !boolean(o, path, "outbound", outbound)) {
            return false;
        }
        if (o) {
            e.outbound = outbound;
        } else {
            e.outbound.reset();
        }
        return true;
    }

    bool event(const R& j, const std::string& path, batch_event& e) {
        if (!object(j, path)) return false;
        enum {
            k_id,
            k_type,
            k_true_ts,
            k_depth,
            k_value,
            k_ts,
            k_session_id,
            k_session_index,
            k_seq,
            k_url,
            k_referrer,
            k_title,
            k_name,
            k_props,
            k_currency,
            k_element
        };
        static constexpr std::array<std::string_view, 16> keys = {
            "id",  "type", "true_ts",  "depth", "value", "ts",    "session_id", "session_index",
            "seq", "url",  "referrer", "title", "name",  "props", "currency",   "element"};
        static_assert(
            keys[k_id] == "id" && keys[k_type] == "type" && keys[k_true_ts] == "true_ts" &&
            keys[k_depth] == "depth" && keys[k_value] == "value" && keys[k_ts] == "ts" &&
            keys[k_session_id] == "session_id" && keys[k_session_index] == "session_index" &&
            keys[k_seq] == "seq" && keys[k_url] == "url" && keys[k_referrer] == "referrer" &&
            keys[k_title] == "title" && keys[k_name] == "name" && keys[k_props] == "props" &&
            keys[k_currency] == "currency" && keys[k_element] == "element");
        const std::array<R, 16> m = members(j, keys);
        if (const R id = found(m[k_id], path, "id", true)) {
            if (!id.is_string()) return fail(batch_reason::wrong_type, at(path, "id"), "string");
            if (!is_uuid_v4(id.str())) {
                return fail(batch_reason::bad_value, at(path, "id"), "not a lower-case UUIDv4");
            }
            e.id.assign(id.str());
        } else {
            return false;
        }
        if (const R type = found(m[k_type], path, "type", true)) {
            static constexpr std::array<std::string_view, 8> types = {
                "page_view", "screen_view", "click",    "scroll",
                "hover",     "custom",      "identify", "conversion"};
            const bool known = type.is_string() &&
                               std::find(types.begin(), types.end(), type.str()) != types.end();
            if (!known) return fail(batch_reason::bad_value, at(path, "type"), "unknown type");
            e.type.assign(type.str());
        } else {
            return false;
        }
        std::int64_t true_ts = 0;
        const R tt = found(m[k_true_ts], path, "true_ts", false);
        std::int64_t depth = 0;
        const R d = found(m[k_depth], path, "depth", false);
        const R v = found(m[k_value], path, "value", false);
        if (!integer(found(m[k_ts], path, "ts", true), path, "ts", 0, wire::max_epoch_ms, e.ts) ||
            !integer(tt, path, "true_ts", 0, wire::max_epoch_ms, true_ts) ||
            !string(found(m[k_session_id], path, "session_id", true), path, "session_id", 1, 64,
                    e.session_id) ||
            !integer(found(m[k_session_index], path, "session_index", true), path, "session_index",
                     1, wire::max_epoch_ms, e.session_index) ||
            !integer(found(m[k_seq], path, "seq", true), path, "seq", 1, wire::max_epoch_ms,
                     e.seq) ||
            !string(found(m[k_url], path, "url", false), path, "url", 0, wire::max_url, e.url) ||
            !string(found(m[k_referrer], path, "referrer", false), path, "referrer", 0,
                    wire::max_url, e.referrer) ||
            !string(found(m[k_title], path, "title", false), path, "title", 0, wire::max_title,
                    e.title) ||
            !string(found(m[k_name], path, "name", false), path, "name", 1, wire::max_name,
                    e.name) ||
            !props(found(m[k_props], path, "props", false), path, e.props)) {
            return false;
        }
        if (v) {
            if (!v.is_number()) return fail(batch_reason::wrong_type, at(path, "value"), "number");
            e.value = v.as_double();
        }
        if (const R c = found(m[k_currency], path, "currency", false)) {
            if (!c.is_string())
                return fail(batch_reason::wrong_type, at(path, "currency"), "string");
            if (!wire::is_valid_currency(c.str())) {
                return fail(batch_reason::bad_value, at(path, "currency"), "not ISO 4217");
            }
            e.currency.assign(c.str());
        }
        if (!element(found(m[k_element], path, "element", false), path, e.element) ||
            !integer(d, path, "depth", 0, 100, depth)) {
            return false;
        }
        if (tt) e.true_ts = true_ts;
        if (d) e.depth = static_cast<int>(depth);
        // The rules across fields, in the schema's order.
        if ((e.type == "custom" || e.type == "conversion" || e.type == "screen_view") &&
            e.name.empty()) {
            return fail(batch_reason::missing_field, at(path, "name"), "required for " + e.type);
        }
        if (e.type == "scroll" && !e.depth) {
            return fail(batch_reason::missing_field, at(path, "depth"), "required for scroll");
        }
        if ((e.type == "click" || e.type == "hover") && !e.element) {
            return fail(batch_reason::missing_field, at(path, "element"), "required for " + e.type);
        }
        if (e.value && e.currency.empty()) {
            return fail(batch_reason::missing_field, at(path, "currency"), "required with a value");
        }
        return true;
    }

    bool document(const R& j, batch& b) {
        const std::string root;
        if (!object(j, root)) return false;
        if (const R v = member(j, root, "v", true)) {
            const bool one =
                (v.kind() == detail::tape_kind::integer && v.integer() == wire::version) ||
                (v.kind() == detail::tape_kind::unsigned_ &&
                 v.unsigned_integer() == static_cast<std::uint64_t>(wire::version));
            if (!one) {
                return fail(batch_reason::unsupported_version, "/v", "this consumer reads v 1");
            }
        } else {
            return false;
        }
        if (const R site = member(j, root, "site", true)) {
            if (!site.is_string()) return fail(batch_reason::wrong_type, "/site", "string");
            if (!wire::is_valid_site_key(site.str())) {
                return fail(batch_reason::bad_value, "/site", "not a site key");
            }
            b.site.assign(site.str());
        } else {
            return false;
        }
        if (!integer(member(j, root, "sent_at", true), root, "sent_at", 0, wire::max_epoch_ms,
                     b.sent_at)) {
            return false;
        }
        if (const R sdk = member(j, root, "sdk", true)) {
            if (!object(sdk, "/sdk") ||
                !string(member(sdk, "/sdk", "name", true), "/sdk", "name", 1, 64, b.sdk_name) ||
                !string(member(sdk, "/sdk", "version", true), "/sdk", "version", 1, 32,
                        b.sdk_version)) {
                return false;
            }
        } else {
            return false;
        }
        const R ctx = member(j, root, "context", true);
        if (!ctx || !context(ctx, "/context", b.context)) return false;
        if (!dropped(member(j, root, "dropped", false), "/dropped", b.dropped)) return false;
        const R events = member(j, root, "events", true);
        if (!events) return false;
        if (!events.is_array()) return fail(batch_reason::wrong_type, "/events", "array");
        if (events.size() == 0) return fail(batch_reason::bad_value, "/events", "no events");
        if (events.size() > wire::max_events) {
            return fail(batch_reason::too_large, "/events",
                        "more than " + std::to_string(wire::max_events) + " events");
        }
        b.events.resize(events.size());
        std::size_t i = 0;
        std::string path = "/events/";
        for (R e = events.first_child(); e; e = e.next_sibling(events), ++i) {
            path.resize(8);
            path += std::to_string(i);
            reset(b.events[i]);  // a reused batch's event holds the previous body's
            if (!event(e, path, b.events[i])) return false;
        }
        return true;
    }

private:
    // A JSON Pointer token: '~' and '/' escaped (RFC 6901).
    static std::string pointer_token(std::string_view key) {
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
        return token;
    }
};

// An nlohmann::json node with tape_ref's interface, for the pixel (whose
// document is built in code, not parsed).
class json_ref {
public:
    json_ref() = default;
    explicit json_ref(const json* j) : j_(j) {}

    explicit operator bool() const noexcept { return j_ != nullptr; }
    detail::tape_kind kind() const noexcept {
        using detail::tape_kind;
        if (j_->is_object()) return tape_kind::object;
        if (j_->is_array()) return tape_kind::array;
        if (j_->is_string()) return tape_kind::string;
        if (j_->is_boolean()) return tape_kind::boolean;
        if (j_->is_number_unsigned()) return tape_kind::unsigned_;
        if (j_->is_number_integer()) return tape_kind::integer;
        if (j_->is_number_float()) return tape_kind::floating;
        return tape_kind::null;
    }
    bool is_object() const noexcept { return j_->is_object(); }
    bool is_array() const noexcept { return j_->is_array(); }
    bool is_string() const noexcept { return j_->is_string(); }
    bool is_boolean() const noexcept { return j_->is_boolean(); }
    bool is_number() const noexcept { return j_->is_number(); }
    std::string_view str() const { return j_->get_ref<const std::string&>(); }
    std::string_view key() const { return key_; }
    bool boolean() const { return j_->get<bool>(); }
    std::int64_t integer() const { return j_->get<std::int64_t>(); }
    std::uint64_t unsigned_integer() const { return j_->get<std::uint64_t>(); }
    double floating() const { return j_->get<double>(); }
    double as_double() const { return j_->get<double>(); }
    std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(j_->size()); }

    json_ref member(std::string_view key) const {
        const auto it = j_->find(std::string(key));
        if (it == j_->end()) return {};
        return child(it, 0);
    }
    json_ref first_child() const {
        if (j_->empty()) return {};
        return child(j_->begin(), 0);
    }
    json_ref next_sibling(const json_ref& parent) const {
        if (index_ + 1 >= parent.j_->size()) return {};
        return parent.child(std::next(parent.j_->begin(), static_cast<std::ptrdiff_t>(index_ + 1)),
                            index_ + 1);
    }

private:
    json_ref child(json::const_iterator it, std::size_t index) const {
        json_ref r(&*it);
        if (j_->is_object()) r.key_ = it.key();
        r.index_ = index;
        return r;
    }
    const json* j_ = nullptr;
    std::string_view key_;
    std::size_t index_ = 0;
};

}  // namespace

clickstream::result<void, batch_error> parse_batch(std::string_view body, batch& into,
                                                   const batch_limits& limits) {
    if (body.size() > limits.max_body_bytes) {
        return failure{
            batch_error{batch_reason::too_large, "",
                        "body over " + std::to_string(limits.max_body_bytes) + " bytes"}};
    }
    // One tape per thread, reused: after the first batches it no longer
    // allocates. The lexer also refuses ill-formed UTF-8 in strings. Too deep
    // a nesting is the reason whether or not the body is JSON: the parse
    // stops at it, and only a body it refuses earlier is scanned for it.
    thread_local detail::json_tape tape;
    // (The parse also ends at a NUL byte, as nlohmann's does: what follows
    // one is scanned too.)
    const auto parsed = tape.parse(body, limits.max_depth);
    const bool scan =
        parsed == detail::json_tape::outcome::malformed ||
        (parsed == detail::json_tape::outcome::ok && body.find('\0') != std::string_view::npos);
    if (parsed == detail::json_tape::outcome::too_deep ||
        (scan && nesting_depth(body, limits.max_depth) > limits.max_depth)) {
        return failure{batch_error{batch_reason::too_large, "",
                                   "nested deeper than " + std::to_string(limits.max_depth)}};
    }
    if (parsed != detail::json_tape::outcome::ok) {
        return failure{batch_error{batch_reason::not_json, "", "not well-formed UTF-8 JSON"}};
    }
    reset(into);
    validator<detail::tape_ref> v;
    if (!v.document(detail::tape_ref(&tape, 0), into)) return failure{std::move(*v.error)};
    return {};
}

batch_result parse_batch(std::string_view body, const batch_limits& limits) {
    batch b;
    if (auto parsed = parse_batch(body, b, limits); !parsed)
        return failure{std::move(parsed.error())};
    return b;
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
    validator<json_ref> check;
    batch out;
    if (!check.document(json_ref(&b), out)) return failure{std::move(*check.error)};
    return out;
}

}  // namespace clickstream::enrich
