// Funnels: how many sessions (or people) go through ordered steps, where they
// drop off and how long each step takes (docs/analysis.md, "Funnels").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "processor/analysis/params.h"
#include "processor/analysis/query_runner.h"
#include "processor/analysis/render.h"
#include "processor/analysis/steps.h"

namespace clickstream::analysis {

enum class funnel_scope { session, user };
enum class funnel_order { strict, any };

struct funnel_options {
    filters where;
    std::vector<step> steps;
    funnel_scope scope = funnel_scope::session;
    funnel_order order = funnel_order::strict;
    std::int64_t window_ms = 7LL * 86'400'000;  // user scope: from the first step
    std::string breakdown;                      // "", channel, device, campaign, landing_page
};

// Parameters: step (repeated, 2-10), scope=session|user, order=strict|any,
// window=7d, by=channel|device|campaign|landing_page, site, from, to.
result<funnel_options> parse_funnel_params(const params& p, std::int64_t now_ms);

struct funnel_step {
    std::string label;
    std::uint64_t count = 0;          // units that reached this step
    double conversion = 0;            // count / first step's count
    double step_conversion = 0;       // count / previous step's count
    std::uint64_t drop_off = 0;       // previous step's count - count
    std::optional<double> median_ms;  // from the previous step (strict order only)
};
struct funnel_group {
    std::string value;  // the breakdown value ("" for the total)
    std::vector<funnel_step> steps;
};
struct funnel_result {
    funnel_group total;
    std::vector<funnel_group> groups;  // by the breakdown, largest first
};

// A session funnel is two queries. First the split point (key_split.h): the
// median id of the sessions in the range, and the server's max_threads; then
// the SELECT (grouped by the breakdown, WITH TOTALS), with its reads in two
// key ranges split there (`split_hex`, from split_point_hex; empty: one
// read), each range's work held to `threads_each` threads (0: the server's
// setting). The split decides only how the work divides, never the answer.
// A person funnel is the SELECT alone, never split: a person's sessions fall
// in both ranges.
std::string funnel_split_sql(const funnel_options& o);
std::string funnel_sql(const funnel_options& o, std::string_view split_hex = {},
                       unsigned threads_each = 0);
result<funnel_result> read_funnel(const funnel_options& o, const rows& answer);
result<funnel_result> run_funnel(const funnel_options& o, query_runner& db);

nlohmann::json to_json(const funnel_options& o, const funnel_result& r);
std::vector<table> to_tables(const funnel_options& o, const funnel_result& r);

}  // namespace clickstream::analysis
