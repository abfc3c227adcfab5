// The event model: what an app tracks. The tracker adds the id, timestamps,
// session and sequence number; everything here is the app's input.
//
//   tracker.track(clickstream::screen_view("Checkout"));
//   tracker.track(clickstream::conversion("purchase", 49.9, "EUR").prop("items", 2));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clickstream/errc.h"
#include "clickstream/result.h"

namespace clickstream {

enum class event_type : std::uint8_t {
    page_view,
    screen_view,
    click,
    scroll,
    hover,
    custom,
    identify,
    conversion,
};

// The contract's name of the type ("page_view").
const char* to_string(event_type t) noexcept;

// A property value: a string, an integer, a real number or a bool. The
// contract allows no nesting. Integers are written without a fraction.
class property_value {
public:
    enum class kind : std::uint8_t { string, integer, number, boolean };

    property_value(std::string v) : kind_(kind::string), string_(std::move(v)) {}  // NOLINT
    property_value(std::string_view v) : kind_(kind::string), string_(v) {}        // NOLINT
    property_value(const char* v) : kind_(kind::string), string_(v) {}             // NOLINT
    property_value(int v) : kind_(kind::integer), integer_(v) {}                   // NOLINT
    property_value(long v) : kind_(kind::integer), integer_(v) {}                  // NOLINT
    property_value(long long v) : kind_(kind::integer), integer_(v) {}             // NOLINT
    property_value(unsigned v) : kind_(kind::integer), integer_(v) {}              // NOLINT
    property_value(unsigned long v)                                                // NOLINT
        : kind_(kind::integer), integer_(static_cast<std::int64_t>(v)) {}
    property_value(unsigned long long v)  // NOLINT
        : kind_(kind::integer), integer_(static_cast<std::int64_t>(v)) {}
    property_value(double v) : kind_(kind::number), number_(v) {}  // NOLINT
    property_value(bool v) : kind_(kind::boolean), boolean_(v) {}  // NOLINT

    kind type() const noexcept { return kind_; }
    const std::string& as_string() const noexcept { return string_; }
    std::int64_t as_integer() const noexcept { return integer_; }
    double as_number() const noexcept { return number_; }
    bool as_bool() const noexcept { return boolean_; }

private:
    kind kind_;
    std::string string_;
    std::int64_t integer_ = 0;
    double number_ = 0;
    bool boolean_ = false;
};

// Properties in the order they were set; setting a key again replaces it.
class properties {
public:
    using entry = std::pair<std::string, property_value>;

    properties& set(std::string key, property_value value);
    bool empty() const noexcept { return entries_.empty(); }
    std::size_t size() const noexcept { return entries_.size(); }
    const std::vector<entry>& entries() const noexcept { return entries_; }

private:
    std::vector<entry> entries_;
};

// The element a click or hover happened on. Empty strings are left out.
struct element_info {
    std::string selector;
    std::string text;
    std::string href;
    std::optional<bool> outbound;
};

// One event as the app describes it. Empty strings and unset optionals are
// left out of the batch.
struct event {
    event_type type = event_type::custom;
    std::string url;
    std::string referrer;
    std::string title;
    std::string name;  // required for custom, conversion and screen_view
    properties props;
    std::optional<double> value;          // conversions; requires currency
    std::string currency;                 // ISO 4217, e.g. "EUR"
    std::optional<element_info> element;  // required for click and hover
    std::optional<int> depth;             // scroll depth in percent; required for scroll
    // The event's real time (ms since the epoch) for imports and server-side
    // use; sent as true_ts and used for sessions. Unset: now.
    std::optional<std::int64_t> at;
    // Device time (ms). Unset: the tracker's clock when it takes the event.
    // The native tracker stamps it on the calling thread.
    std::optional<std::int64_t> ts;

    event& prop(std::string key, property_value v) {
        props.set(std::move(key), std::move(v));
        return *this;
    }
    event& with_url(std::string v) {
        url = std::move(v);
        return *this;
    }
    event& with_title(std::string v) {
        title = std::move(v);
        return *this;
    }
    event& with_referrer(std::string v) {
        referrer = std::move(v);
        return *this;
    }
    event& happened_at(std::int64_t epoch_ms) {
        at = epoch_ms;
        return *this;
    }
};

// Builders for each type.
event page_view(std::string url, std::string title = {}, std::string referrer = {});
event screen_view(std::string name);
event click(element_info element, std::string url = {});
event hover(element_info element, std::string url = {});
event scroll(int depth_percent, std::string url = {});
event custom(std::string name);
event conversion(std::string name, double value, std::string currency);

// Checks an event against the contract before it is queued: required fields
// per type, ranges, string limits (in bytes), finite numbers.
result<void, errc> validate(const event& e) noexcept;

}  // namespace clickstream
