#include "batch_encoder.h"

#include "clickstream/wire/batch_v1.h"
#include "json_writer.h"

namespace clickstream {

std::string encode_event(const event& e, const event_stamp& stamp, std::string_view encoded_props) {
    std::string out;
    out.reserve(256);
    json_writer w(out);
    w.begin_object()
        .string_member("id", stamp.id)
        .string_member("type", to_string(e.type))
        .integer_member("ts", stamp.ts);
    if (e.at) w.integer_member("true_ts", *e.at);
    w.string_member("session_id", stamp.session_id)
        .integer_member("session_index", stamp.session_index)
        .integer_member("seq", stamp.seq);
    if (!e.url.empty()) w.string_member("url", e.url);
    if (!e.referrer.empty()) w.string_member("referrer", e.referrer);
    if (!e.title.empty()) w.string_member("title", e.title);
    if (!e.name.empty()) w.string_member("name", e.name);
    if (!encoded_props.empty()) {
        // The members go in as raw_element writes an array's first element.
        w.begin_object("props").raw_element(encoded_props).end_object();
    } else if (!e.props.empty()) {
        w.begin_object("props");
        for (const auto& [key, value] : e.props.entries()) {
            switch (value.type()) {
                case property_value::kind::string:
                    w.string_member(key, value.as_string());
                    break;
                case property_value::kind::integer:
                    w.integer_member(key, value.as_integer());
                    break;
                case property_value::kind::number:
                    w.number_member(key, value.as_number());
                    break;
                case property_value::kind::boolean:
                    w.bool_member(key, value.as_bool());
                    break;
            }
        }
        w.end_object();
    }
    if (e.value) w.number_member("value", *e.value);
    if (!e.currency.empty()) w.string_member("currency", e.currency);
    if (e.element) {
        const auto& el = *e.element;
        w.begin_object("element");
        if (!el.selector.empty()) w.string_member("selector", el.selector);
        if (!el.text.empty()) w.string_member("text", el.text);
        if (!el.href.empty()) w.string_member("href", el.href);
        if (el.outbound) w.bool_member("outbound", *el.outbound);
        w.end_object();
    }
    if (e.depth) w.integer_member("depth", *e.depth);
    w.end_object();
    return out;
}

namespace {

void write_size(json_writer& w, std::string_view key, const std::optional<screen_size>& s) {
    if (!s) return;
    w.begin_object(key).integer_member("w", s->w).integer_member("h", s->h).end_object();
}

}  // namespace

batch_encoder::batch_encoder(const batch_header& h) {
    const auto& o = h.options;
    const auto& c = o.context;
    body_.reserve(o.batching.max_batch_bytes + 1024);
    json_writer w(body_);
    w.begin_object()
        .integer_member("v", wire::batch_v1::version)
        .string_member("site", o.site)
        .integer_member("sent_at", h.sent_at);
    w.begin_object("sdk").string_member("name", o.sdk_name).string_member("version", o.sdk_version);
    w.end_object();
    w.begin_object("context").string_member("anonymous_id", h.anonymous_id);
    if (!h.user_id.empty()) w.string_member("user_id", h.user_id);
    w.string_member("platform", to_string(c.platform_kind));
    if (!c.app_name.empty() || !c.app_version.empty()) {
        w.begin_object("app");
        if (!c.app_name.empty()) w.string_member("name", c.app_name);
        if (!c.app_version.empty()) w.string_member("version", c.app_version);
        w.end_object();
    }
    write_size(w, "screen", c.screen);
    write_size(w, "viewport", c.viewport);
    if (!c.language.empty()) w.string_member("language", c.language);
    if (!c.time_zone.empty()) w.string_member("time_zone", c.time_zone);
    w.integer_member("session_timeout_s", h.session_timeout_s);
    if (!c.tab_id.empty()) w.string_member("tab_id", c.tab_id);
    if (c.webdriver) w.bool_member("webdriver", *c.webdriver);
    w.end_object();
    if (h.dropped) {
        w.begin_object("dropped")
            .integer_member("queue_full", static_cast<std::int64_t>(h.dropped->queue_full))
            .integer_member("consent_denied", static_cast<std::int64_t>(h.dropped->consent_denied))
            .integer_member("rejected", static_cast<std::int64_t>(h.dropped->rejected))
            .end_object();
    }
    w.begin_array("events");
}

void batch_encoder::add(std::string_view event_json) {
    if (!first_event_) body_ += ',';
    body_.append(event_json);
    first_event_ = false;
}

std::string batch_encoder::finish() && {
    body_ += "]}";
    return std::move(body_);
}

}  // namespace clickstream
