// Request parameters shared by the HTTP API and the command line: both turn
// their input into name/value pairs (the CLI's `--step X` is `step=X`), and
// the same parsers check them, so both give the same answers and errors.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "processor/analysis/errc.h"

namespace clickstream::analysis {

struct param {
    std::string name;
    std::string value;
};
using params = std::vector<param>;  // in order; a name may repeat (step=…&step=…)

// The last value given for `name`, or nullptr.
const std::string* find(const params& p, std::string_view name) noexcept;
std::vector<std::string> find_all(const params& p, std::string_view name);
// A bad_request naming the first parameter not in `known`.
result<void> check_known(const params& p, std::initializer_list<std::string_view> known);

// Days since 1970-01-01 of a UTC calendar date "YYYY-MM-DD" (checked: month
// 1-12, the day exists in that month).
result<std::int64_t> parse_date(std::string_view text);
std::string format_date(std::int64_t days);
// A duration: a whole number and a unit, "30d", "12h", "90m", "45s"; > 0.
result<std::int64_t> parse_duration_ms(std::string_view text);
// An integer parameter in [min, max], `fallback` when absent.
result<std::int64_t> parse_int(const params& p, std::string_view name, std::int64_t fallback,
                               std::int64_t min, std::int64_t max);
// "1", "true", "yes" / "0", "false", "no" (absent: fallback; "" is true: `?exits`).
result<bool> parse_bool(const params& p, std::string_view name, bool fallback);

// What every query filters on: an optional site and the dates, inclusive,
// in UTC. `from`/`to` default to the 30 days up to today (from `now_ms`).
struct filters {
    std::string site;
    std::int64_t from_day = 0;  // days since the epoch
    std::int64_t to_day = 0;    // inclusive
    std::int64_t from_ms() const noexcept { return from_day * 86'400'000; }
    std::int64_t to_ms() const noexcept { return (to_day + 1) * 86'400'000; }  // exclusive
};
result<filters> parse_filters(const params& p, std::int64_t now_ms);

// A ClickHouse string literal: 'it\'s' (backslash and quote escaped).
std::string sql_string(std::string_view s);

}  // namespace clickstream::analysis
