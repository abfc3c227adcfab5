// Paths: the most frequent page sequences of sessions, from a start page or
// into an end page, and the step-to-step transitions behind a Sankey chart
// (docs/analysis.md, "Paths").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "processor/analysis/params.h"
#include "processor/analysis/query_runner.h"
#include "processor/analysis/render.h"

namespace clickstream::analysis {

// Markers added to sequences when `exits` is on.
inline constexpr std::string_view exit_marker = "(exit)";
inline constexpr std::string_view entrance_marker = "(entrance)";

struct paths_options {
    filters where;
    std::string start_page;               // sequences from its first view in the session
    std::string end_page;                 // sequences into its first view in the session
    std::int64_t depth = 4;               // pages per sequence (2-20)
    bool collapse = false;                // a page repeated in a row (reloads, A A B) counts once
    bool exits = false;                   // mark where sessions end (or, into an end page, begin)
    std::int64_t limit = 20;              // sequences returned
    std::int64_t transitions_limit = 50;  // transitions per step
};

// Parameters: start, end (not both), depth, collapse, exits, limit,
// transitions_limit, site, from, to.
result<paths_options> parse_paths_params(const params& p, std::int64_t now_ms);

struct path_sequence {
    std::vector<std::string> pages;
    std::uint64_t sessions = 0;
    double share = 0;  // of all matching sessions
};
struct path_transition {
    std::int64_t step = 0;  // 1: from the sequence's first page to its second
    std::string from;
    std::string to;
    std::uint64_t sessions = 0;
};
struct paths_result {
    std::uint64_t sessions = 0;  // sessions that matched (had the start/end page)
    std::vector<path_sequence> sequences;
    std::vector<path_transition> transitions;
};

// The SQL expression of the sequence (an Array(String)) over `sessions`, and
// the one SELECT that answers all of it, rows (i, key, sessions): i = -1 the
// matching sessions (key empty), i = 0 the sequences (key: the pages), i >= 1
// the transitions out of page i (key: [from, to]); each i ordered by sessions
// descending, then key, and cut at the larger of the two limits.
std::string path_expression(const paths_options& o);
std::string paths_sql(const paths_options& o);
result<paths_result> run_paths(const paths_options& o, query_runner& db);

nlohmann::json to_json(const paths_options& o, const paths_result& r);
std::vector<table> to_tables(const paths_options& o, const paths_result& r);

}  // namespace clickstream::analysis
