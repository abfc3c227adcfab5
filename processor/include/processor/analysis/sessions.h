// Sessions: a list of the newest sessions matching a filter, with a summary,
// for looking at what the other queries counted (docs/analysis.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "processor/analysis/params.h"
#include "processor/analysis/query_runner.h"
#include "processor/analysis/render.h"

namespace clickstream::analysis {

struct sessions_options {
    filters where;
    std::string person;  // a user id or anonymous id (the identity rule's person)
    std::string channel;
    bool converted_only = false;
    std::int64_t limit = 50;
};
// Parameters: person, channel, converted, limit, site, from, to.
result<sessions_options> parse_sessions_params(const params& p, std::int64_t now_ms);

struct session_item {
    std::string site, session_id, person, channel, campaign, landing_page, exit_page, device;
    std::int64_t start_ms = 0, duration_ms = 0;
    std::uint64_t events = 0, page_views = 0, conversions = 0;
    double revenue = 0;
};
struct sessions_summary {
    std::uint64_t sessions = 0, people = 0, converted = 0, conversions = 0;
    double revenue = 0, bounce_rate = 0;
};
struct sessions_result {
    sessions_summary summary;
    std::vector<session_item> items;  // newest first
};

std::string sessions_sql(const sessions_options& o);
std::string sessions_summary_sql(const sessions_options& o);
result<sessions_result> run_sessions(const sessions_options& o, query_runner& db);

nlohmann::json to_json(const sessions_options& o, const sessions_result& r);
std::vector<table> to_tables(const sessions_options& o, const sessions_result& r);

}  // namespace clickstream::analysis
