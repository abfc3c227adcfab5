#include "clickstream/event.h"

#include <cmath>

#include "clickstream/wire/batch_v1.h"

namespace clickstream {

namespace v1 = wire::batch_v1;

const char* to_string(event_type t) noexcept {
    switch (t) {
        case event_type::page_view:
            return "page_view";
        case event_type::screen_view:
            return "screen_view";
        case event_type::click:
            return "click";
        case event_type::scroll:
            return "scroll";
        case event_type::hover:
            return "hover";
        case event_type::custom:
            return "custom";
        case event_type::identify:
            return "identify";
        case event_type::conversion:
            return "conversion";
    }
    return "custom";
}

properties& properties::set(std::string key, property_value value) {
    for (auto& [k, v] : entries_) {
        if (std::string_view(k) == key) {
            v = std::move(value);
            return *this;
        }
    }
    entries_.emplace_back(std::move(key), std::move(value));
    return *this;
}

event page_view(std::string url, std::string title, std::string referrer) {
    event e;
    e.type = event_type::page_view;
    e.url = std::move(url);
    e.title = std::move(title);
    e.referrer = std::move(referrer);
    return e;
}

event screen_view(std::string name) {
    event e;
    e.type = event_type::screen_view;
    e.name = std::move(name);
    return e;
}

event click(element_info element, std::string url) {
    event e;
    e.type = event_type::click;
    e.element = std::move(element);
    e.url = std::move(url);
    return e;
}

event hover(element_info element, std::string url) {
    event e = click(std::move(element), std::move(url));
    e.type = event_type::hover;
    return e;
}

event scroll(int depth_percent, std::string url) {
    event e;
    e.type = event_type::scroll;
    e.depth = depth_percent;
    e.url = std::move(url);
    return e;
}

event custom(std::string name) {
    event e;
    e.type = event_type::custom;
    e.name = std::move(name);
    return e;
}

event conversion(std::string name, double value, std::string currency) {
    event e;
    e.type = event_type::conversion;
    e.name = std::move(name);
    e.value = value;
    e.currency = std::move(currency);
    return e;
}

result<void, errc> validate(const event& e) noexcept {
    const auto fail = [](errc c) -> result<void, errc> { return failure{c}; };
    const bool needs_name = e.type == event_type::custom || e.type == event_type::conversion ||
                            e.type == event_type::screen_view;
    if (needs_name && e.name.empty()) return fail(errc::invalid_argument);
    if (e.name.size() > v1::max_name) return fail(errc::too_large);
    if (e.url.size() > v1::max_url || e.referrer.size() > v1::max_url) {
        return fail(errc::too_large);
    }
    if (e.title.size() > v1::max_title) return fail(errc::too_large);
    if (e.type == event_type::scroll && !e.depth) return fail(errc::invalid_argument);
    if (e.depth && (*e.depth < 0 || *e.depth > 100)) return fail(errc::invalid_argument);
    const bool needs_element = e.type == event_type::click || e.type == event_type::hover;
    if (needs_element && !e.element) return fail(errc::invalid_argument);
    if (e.element) {
        if (e.element->selector.size() > v1::max_selector ||
            e.element->text.size() > v1::max_element_text || e.element->href.size() > v1::max_url) {
            return fail(errc::too_large);
        }
    }
    if (e.value) {
        if (!std::isfinite(*e.value)) return fail(errc::invalid_argument);
        if (!v1::is_valid_currency(e.currency)) return fail(errc::invalid_argument);
    } else if (!e.currency.empty() && !v1::is_valid_currency(e.currency)) {
        return fail(errc::invalid_argument);
    }
    if (e.props.size() > v1::max_props) return fail(errc::too_large);
    for (const auto& [key, value] : e.props.entries()) {
        if (key.size() > v1::max_prop_key) return fail(errc::too_large);
        if (value.type() == property_value::kind::string &&
            value.as_string().size() > v1::max_prop_string) {
            return fail(errc::too_large);
        }
        if (value.type() == property_value::kind::number && !std::isfinite(value.as_number())) {
            return fail(errc::invalid_argument);
        }
    }
    for (const auto& t : {e.at, e.ts}) {
        if (t && (*t < 0 || *t > v1::max_epoch_ms)) return fail(errc::invalid_argument);
    }
    return {};
}

}  // namespace clickstream
