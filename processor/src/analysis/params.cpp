#include "processor/analysis/params.h"

#include <charconv>
#include <cstdio>

namespace clickstream::analysis {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(std::int64_t y) noexcept {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool digits(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

std::int64_t to_int(std::string_view s) noexcept {
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

}  // namespace

const std::string* find(const params& p, std::string_view name) noexcept {
    const std::string* found = nullptr;
    for (const auto& x : p) {
        if (x.name == name) found = &x.value;
    }
    return found;
}

std::vector<std::string> find_all(const params& p, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& x : p) {
        if (x.name == name) out.push_back(x.value);
    }
    return out;
}

result<void> check_known(const params& p, std::initializer_list<std::string_view> known) {
    for (const auto& x : p) {
        bool ok = false;
        for (auto k : known) ok = ok || x.name == k;
        if (!ok) {
            std::string list;
            for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
            return bad_request("unknown parameter '" + x.name + "' (known: " + list + ")");
        }
    }
    return {};
}

result<std::int64_t> parse_date(std::string_view text) {
    const std::string shown = "bad date '" + std::string(text) + "': ";
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(text.substr(0, 4)) ||
        !digits(text.substr(5, 2)) || !digits(text.substr(8, 2))) {
        return bad_request(shown + "expected YYYY-MM-DD, e.g. 2026-11-25");
    }
    const std::int64_t y = to_int(text.substr(0, 4));
    const std::int64_t m = to_int(text.substr(5, 2));
    const std::int64_t d = to_int(text.substr(8, 2));
    if (y < 1970) return bad_request(shown + "the year must be 1970 or later");
    if (m < 1 || m > 12) return bad_request(shown + "the month must be 01 to 12");
    static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const std::int64_t last = month_days[m - 1] + (m == 2 && leap(y) ? 1 : 0);
    if (d < 1 || d > last) {
        return bad_request(shown + "that month has days 01 to " + std::to_string(last));
    }
    return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::string format_date(std::int64_t days) {
    // civil_from_days
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
    return buf;
}

result<std::int64_t> parse_duration_ms(std::string_view text) {
    const std::string shown = "bad duration '" + std::string(text) + "': ";
    if (text.size() < 2 || !digits(text.substr(0, text.size() - 1))) {
        return bad_request(shown + "expected a whole number and a unit (s, m, h, d), e.g. 30d");
    }
    if (text.size() > 10) return bad_request(shown + "too large");
    const std::int64_t n = to_int(text.substr(0, text.size() - 1));
    std::int64_t unit = 0;
    switch (text.back()) {
        case 's':
            unit = 1000;
            break;
        case 'm':
            unit = 60'000;
            break;
        case 'h':
            unit = 3'600'000;
            break;
        case 'd':
            unit = 86'400'000;
            break;
        default:
            return bad_request(shown + "the unit must be s, m, h or d");
    }
    if (n <= 0) return bad_request(shown + "must be more than zero");
    if (n * unit > 3660LL * 86'400'000) return bad_request(shown + "at most 3660 days");
    return n * unit;
}

result<std::int64_t> parse_int(const params& p, std::string_view name, std::int64_t fallback,
                               std::int64_t min, std::int64_t max) {
    const std::string* v = find(p, name);
    if (v == nullptr) return fallback;
    const std::string range = std::to_string(min) + " to " + std::to_string(max);
    if (!digits(*v) || v->size() > 9) {
        return bad_request("bad " + std::string(name) + " '" + *v + "': expected a number, " +
                           range);
    }
    const std::int64_t n = to_int(*v);
    if (n < min || n > max) {
        return bad_request("bad " + std::string(name) + " '" + *v + "': must be " + range);
    }
    return n;
}

result<bool> parse_bool(const params& p, std::string_view name, bool fallback) {
    const std::string* v = find(p, name);
    if (v == nullptr) return fallback;
    if (v->empty() || *v == "1" || *v == "true" || *v == "yes") return true;
    if (*v == "0" || *v == "false" || *v == "no") return false;
    return bad_request("bad " + std::string(name) + " '" + *v + "': expected true or false");
}

result<filters> parse_filters(const params& p, std::int64_t now_ms) {
    filters f;
    if (const auto* s = find(p, "site")) f.site = *s;
    const std::int64_t today = now_ms / 86'400'000;
    f.to_day = today;
    if (const auto* t = find(p, "to")) {
        auto d = parse_date(*t);
        if (!d) return failure<error>{d.error()};
        f.to_day = *d;
    }
    f.from_day = f.to_day - 29;
    if (const auto* t = find(p, "from")) {
        auto d = parse_date(*t);
        if (!d) return failure<error>{d.error()};
        f.from_day = *d;
    }
    if (f.from_day > f.to_day) {
        return bad_request("from (" + format_date(f.from_day) + ") is after to (" +
                           format_date(f.to_day) + ")");
    }
    if (f.to_day - f.from_day > 3660) return bad_request("the date range is longer than 3660 days");
    return f;
}

std::string sql_string(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    out += '\'';
    return out;
}

}  // namespace clickstream::analysis
