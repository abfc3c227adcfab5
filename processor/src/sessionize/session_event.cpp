#include "processor/sessionize/session_event.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

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

// The fast path: one pass over the line, no DOM. It takes only what it is
// sure of — a JSON object whose needed fields have the right types and no
// escapes — and answers nullopt for anything else, which the DOM parse
// (parse_clean_event_dom) then decides, with its errors. So both paths give
// the same result for every line; the fast one only makes the common case
// cheap. It validates the whole line as the DOM parser does (structure,
// numbers, escapes, UTF-8), so a line it accepts is one the DOM accepts.
class fast_reader {
public:
    explicit fast_reader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

    std::optional<parsed_event> parse(std::string_view line) {
        parsed_event out;
        session_event& e = out.event;
        bool has_device_date = false, has_device_ts = false;
        std::int64_t device_ts = 0;
        std::uint32_t sdk_timeout = 0, legacy_timeout = 0;
        bool has_sdk_timeout = false;
        std::uint32_t dropped[3] = {0, 0, 0};
        unsigned required = 0;   // site, session_id, event_id, event_time_ms present
        std::uint64_t seen = 0;  // needed keys met (by needed_index)
        ws();
        if (!eat('{')) return std::nullopt;
        ws();
        if (!eat('}')) {
            while (true) {
                ws();
                std::string_view key;
                if (!plain_string(key)) return std::nullopt;
                ws();
                if (!eat(':')) return std::nullopt;
                ws();
                bool ok = true;
                const int index = needed_index(key);
                if (index >= 0) {
                    // A needed key given twice: the DOM parse decides which counts.
                    if ((seen & (std::uint64_t{1} << index)) != 0) return std::nullopt;
                    seen |= std::uint64_t{1} << index;
                }
                if (index >= 0 && static_cast<std::size_t>(index) < std::size(string_fields)) {
                    std::string* target = &(e.*string_fields[index].member);
                    if (key == "site") required |= 1;
                    if (key == "session_id") required |= 2;
                    if (key == "event_id") required |= 4;
                    ok = string_value(*target);
                } else if (key == "event_time_ms") {
                    required |= 8;
                    ok = int_value(e.event_time_ms);
                } else if (key == "seq") {
                    ok = uint_value(e.seq);
                } else if (key == "scroll_depth") {
                    ok = uint_value(e.scroll_depth);
                } else if (key == "sdk_session_timeout_s") {
                    has_sdk_timeout = !null_ahead();
                    ok = uint_value(sdk_timeout);
                } else if (key == "session_timeout_s") {
                    ok = uint_value(legacy_timeout);
                } else if (key == "dropped_queue_full") {
                    ok = uint_value(dropped[0]);
                } else if (key == "dropped_consent_denied") {
                    ok = uint_value(dropped[1]);
                } else if (key == "dropped_rejected") {
                    ok = uint_value(dropped[2]);
                } else if (key == "value") {
                    ok = double_value(e.value);
                } else if (key == "device_ts_ms") {
                    has_device_ts = !null_ahead();
                    ok = int_value(device_ts);
                } else {
                    if (key == "device_date") has_device_date = true;
                    ok = skip_value(0);
                }
                if (!ok) return std::nullopt;
                ws();
                if (eat('}')) break;
                if (!eat(',')) return std::nullopt;
            }
        }
        ws();
        if (p_ != end_) return std::nullopt;  // trailing bytes
        if (required != 15 || e.site.empty() || e.session_id.empty() || e.event_id.empty()) {
            return std::nullopt;
        }
        e.session_timeout_s = has_sdk_timeout ? sdk_timeout : legacy_timeout;
        e.sdk_dropped = dropped[0] + dropped[1] + dropped[2];
        out.row.assign(line.begin(), line.end());
        if (!has_device_date) {
            const std::int64_t ts = has_device_ts ? device_ts : e.event_time_ms;
            const auto brace = out.row.find('{');
            out.row.insert(brace + 1, "\"device_date\":\"" + utc_date(ts) + "\",");
        }
        return out;
    }

private:
    struct string_member {
        std::string_view name;
        std::string session_event::*member;
    };
    static constexpr string_member string_fields[] = {
        {"site", &session_event::site},
        {"session_id", &session_event::session_id},
        {"event_id", &session_event::event_id},
        {"time_source", &session_event::time_source},
        {"type", &session_event::type},
        {"name", &session_event::name},
        {"anonymous_id", &session_event::anonymous_id},
        {"user_id", &session_event::user_id},
        {"tab_id", &session_event::tab_id},
        {"url_path", &session_event::url_path},
        {"referrer", &session_event::referrer},
        {"referrer_medium", &session_event::referrer_medium},
        {"referrer_source", &session_event::referrer_source},
        {"utm_source", &session_event::utm_source},
        {"utm_medium", &session_event::utm_medium},
        {"utm_campaign", &session_event::utm_campaign},
        {"utm_term", &session_event::utm_term},
        {"utm_content", &session_event::utm_content},
        {"channel", &session_event::channel},
        {"device_type", &session_event::device_type},
        {"browser_family", &session_event::browser_family},
        {"os_family", &session_event::os_family},
        {"country", &session_event::country},
        {"currency", &session_event::currency},
        {"sdk_name", &session_event::sdk_name},
        {"platform", &session_event::platform},
    };
    static constexpr std::string_view other_fields[] = {"event_time_ms",
                                                        "seq",
                                                        "scroll_depth",
                                                        "sdk_session_timeout_s",
                                                        "session_timeout_s",
                                                        "dropped_queue_full",
                                                        "dropped_consent_denied",
                                                        "dropped_rejected",
                                                        "value",
                                                        "device_ts_ms",
                                                        "device_date"};

    // The index of a key the parse reads (string fields first), or -1.
    static int needed_index(std::string_view key) noexcept {
        for (std::size_t i = 0; i < std::size(string_fields); ++i) {
            if (string_fields[i].name == key) return static_cast<int>(i);
        }
        for (std::size_t i = 0; i < std::size(other_fields); ++i) {
            if (other_fields[i] == key) return static_cast<int>(std::size(string_fields) + i);
        }
        return -1;
    }

    bool eat(char c) noexcept {
        if (p_ == end_ || *p_ != c) return false;
        ++p_;
        return true;
    }
    void ws() noexcept {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
    }
    bool literal(std::string_view word) noexcept {
        if (static_cast<std::size_t>(end_ - p_) < word.size() ||
            std::string_view(p_, word.size()) != word) {
            return false;
        }
        p_ += word.size();
        return true;
    }
    bool null_ahead() const noexcept { return p_ != end_ && *p_ == 'n'; }

    // A string without escapes, valid UTF-8 and no control characters:
    // its bytes. Anything else: false (the DOM parse decides).
    bool plain_string(std::string_view& out) noexcept {
        if (!eat('"')) return false;
        const char* start = p_;
        while (p_ != end_) {
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                out = std::string_view(start, static_cast<std::size_t>(p_ - start));
                ++p_;
                return true;
            }
            if (c == '\\' || c < 0x20) return false;
            if (c < 0x80) {
                ++p_;
            } else if (!utf8()) {
                return false;
            }
        }
        return false;
    }
    // A needed string field: a plain string, or null (left as it is).
    bool string_value(std::string& target) {
        if (literal("null")) return true;
        std::string_view v;
        if (!plain_string(v)) return false;
        target.assign(v);
        return true;
    }
    // One UTF-8 sequence at p_ (RFC 3629: no overlongs, no surrogates, at
    // most U+10FFFF).
    bool utf8() noexcept {
        const auto b = [&](std::ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
        const unsigned char c = b(0);
        std::ptrdiff_t n = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (end_ - p_ <= n) return false;
        if (b(1) < lo || b(1) > hi) return false;
        for (std::ptrdiff_t i = 2; i <= n; ++i) {
            if (b(i) < 0x80 || b(i) > 0xBF) return false;
        }
        p_ += n + 1;
        return true;
    }
    // A JSON number's extent; `integral` when it has no fraction or exponent.
    bool number(std::string_view& text, bool& integral) noexcept {
        const char* start = p_;
        integral = true;
        eat('-');
        if (p_ == end_ || !std::isdigit(static_cast<unsigned char>(*p_))) return false;
        if (*p_ == '0') {
            ++p_;
        } else {
            while (p_ != end_ && std::isdigit(static_cast<unsigned char>(*p_))) ++p_;
        }
        if (p_ != end_ && *p_ == '.') {
            integral = false;
            ++p_;
            if (p_ == end_ || !std::isdigit(static_cast<unsigned char>(*p_))) return false;
            while (p_ != end_ && std::isdigit(static_cast<unsigned char>(*p_))) ++p_;
        }
        if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
            integral = false;
            ++p_;
            if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (p_ == end_ || !std::isdigit(static_cast<unsigned char>(*p_))) return false;
            while (p_ != end_ && std::isdigit(static_cast<unsigned char>(*p_))) ++p_;
        }
        text = std::string_view(start, static_cast<std::size_t>(p_ - start));
        if (!integral || text.size() > 18) {
            // The DOM parser refuses a number out of double's range.
            double v = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc{} || end != text.data() + text.size()) return false;
        }
        return true;
    }
    bool int_value(std::int64_t& target) noexcept {
        if (literal("null")) return true;
        std::string_view text;
        bool integral = false;
        if (!number(text, integral) || !integral) return false;
        std::int64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size()) return false;
        target = v;
        return true;
    }
    // What read_int does for an unsigned field: negatives refused, larger
    // values cut to the field's width (as the DOM path's static_cast).
    bool uint_value(std::uint32_t& target) noexcept {
        if (literal("null")) return true;
        std::string_view text;
        bool integral = false;
        if (!number(text, integral) || !integral || text.front() == '-') return false;
        std::uint64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size()) return false;
        target = static_cast<std::uint32_t>(v);
        return true;
    }
    bool double_value(double& target) noexcept {
        if (literal("null")) return true;
        std::string_view text;
        bool integral = false;
        if (!number(text, integral)) return false;
        if (integral && text.size() > 18) return false;  // the DOM path reads it as an integer
        double v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size()) return false;
        target = v;
        return true;
    }
    // Any JSON value, checked and passed over (strings may hold escapes).
    bool skip_value(int depth) noexcept {
        if (depth > 64 || p_ == end_) return false;
        switch (*p_) {
            case '"':
                return skip_string();
            case '{': {
                ++p_;
                ws();
                if (eat('}')) return true;
                while (true) {
                    ws();
                    if (!skip_string()) return false;
                    ws();
                    if (!eat(':')) return false;
                    ws();
                    if (!skip_value(depth + 1)) return false;
                    ws();
                    if (eat('}')) return true;
                    if (!eat(',')) return false;
                }
            }
            case '[': {
                ++p_;
                ws();
                if (eat(']')) return true;
                while (true) {
                    ws();
                    if (!skip_value(depth + 1)) return false;
                    ws();
                    if (eat(']')) return true;
                    if (!eat(',')) return false;
                }
            }
            case 't':
                return literal("true");
            case 'f':
                return literal("false");
            case 'n':
                return literal("null");
            default: {
                std::string_view text;
                bool integral = false;
                return number(text, integral);
            }
        }
    }
    bool skip_string() noexcept {
        if (!eat('"')) return false;
        while (p_ != end_) {
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                ++p_;
                return true;
            }
            if (c < 0x20) return false;
            if (c == '\\') {
                if (!escape()) return false;
                continue;
            }
            if (c < 0x80) {
                ++p_;
            } else if (!utf8()) {
                return false;
            }
        }
        return false;
    }

    // One escape at p_ ('\\' ...), checked as the DOM parser does: a \\u
    // high surrogate must be followed by a \\u low one, a low one alone is
    // refused.
    bool escape() noexcept {
        ++p_;
        if (p_ == end_) return false;
        const char c = *p_++;
        if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' ||
            c == 't') {
            return true;
        }
        if (c != 'u') return false;
        unsigned cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned low = 0;
            if (!literal("\\u") || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
        }
        return true;
    }
    bool hex4(unsigned& out) noexcept {
        if (end_ - p_ < 4) return false;
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = *p_++;
            out <<= 4;
            if (h >= '0' && h <= '9') {
                out |= static_cast<unsigned>(h - '0');
            } else if (h >= 'a' && h <= 'f') {
                out |= static_cast<unsigned>(h - 'a' + 10);
            } else if (h >= 'A' && h <= 'F') {
                out |= static_cast<unsigned>(h - 'A' + 10);
            } else {
                return false;
            }
        }
        return true;
    }

    const char* p_;
    const char* end_;
};

}  // namespace

result<parsed_event> parse_clean_event(std::string_view line) {
    if (auto fast = fast_reader(line).parse(line)) return std::move(*fast);
    return parse_clean_event_dom(line);
}

result<parsed_event> parse_clean_event_dom(std::string_view line) {
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
              read_int(j, "session_timeout_s", e.session_timeout_s) &&
              // The contract's name; `session_timeout_s` is read for older producers.
              read_int(j, "sdk_session_timeout_s", e.session_timeout_s);
    for (const char* dropped :
         {"dropped_queue_full", "dropped_consent_denied", "dropped_rejected"}) {
        std::uint32_t n = 0;
        ok = ok && read_int(j, dropped, n);
        e.sdk_dropped += n;
    }
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
