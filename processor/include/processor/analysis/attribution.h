// Attribution: conversions and revenue credited to the channels (or sources,
// or campaigns) of each person's sessions in a lookback window, under seven
// models side by side (docs/analysis.md, "Attribution"). The models are pure
// functions of journeys, so the C++ here is what the tests work out by hand.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "processor/analysis/key_split.h"
#include "processor/analysis/params.h"
#include "processor/analysis/query_runner.h"
#include "processor/analysis/render.h"

namespace clickstream::analysis {

enum class model {
    first_touch,
    last_touch,
    last_non_direct,
    linear,
    time_decay,
    position_based,
    markov,
};
inline constexpr std::size_t model_count = 7;
std::string_view to_string(model m) noexcept;
inline constexpr std::array<model, model_count> all_models = {
    model::first_touch, model::last_touch,     model::last_non_direct, model::linear,
    model::time_decay,  model::position_based, model::markov};

// One session before (or of) a conversion.
struct touch {
    std::string value;  // channel, source or campaign
    bool direct = false;
    std::int64_t at_ms = 0;  // session start
};
// The touches of one converting session (oldest first, the converting
// session last) and what it converted.
struct journey {
    std::vector<touch> touches;
    std::int64_t converted_at_ms = 0;
    double conversions = 0;
    double revenue = 0;
};
// Touch values of people's sessions after their last conversion: the paths
// that did not (yet) convert, which the Markov model needs.
struct null_path {
    std::vector<std::string> values;
    double count = 0;
};
// The non-converting paths as the Markov chain walks them: how often each
// step between two states was taken. An empty `from` is the start, an empty
// `to` the end without a conversion (null); values themselves are never
// empty (the query names an empty channel `direct`, an empty campaign
// `(none)`). The query sends these rather than the paths: a few dozen rows
// instead of one per distinct path, and the same chain.
struct null_transition {
    std::string from;
    std::string to;
    double count = 0;
};
// The steps of `paths` (start → v1 → ... → vn → null, each `count` times);
// empty paths and those counted 0 or less are left out.
std::vector<null_transition> transitions_of(const std::vector<null_path>& paths);

struct attribution_settings {
    std::int64_t half_life_ms = 7LL * 86'400'000;  // time decay
};

struct credit {
    double conversions = 0;
    double revenue = 0;
};
struct attribution_row {
    std::string value;
    std::array<credit, model_count> by_model{};
};
struct attribution_result {
    std::vector<attribution_row> rows;  // by last-touch conversions, then name
    std::array<credit, model_count> totals{};
    double conversions = 0;  // conversions in the range (every model sees all)
    double revenue = 0;
    std::uint64_t journeys = 0;    // converting sessions
    std::uint64_t null_paths = 0;  // non-converting paths (Markov)
};

// The models over journeys. Rules (each tested against hand-worked values):
// first/last touch: all credit to that touch; last non-direct: the last touch
// that is not direct, else the last touch; linear: equal shares; time decay:
// weight 2^(-(conversion - touch) / half-life), normalised; position-based:
// 40 % first, 40 % last, 20 % shared by the middle (one touch: 100 %, two:
// 50/50); Markov: a first-order chain start → values → conversion | null over
// converting and null paths, each value credited in proportion to its removal
// effect (1 - P(convert without it) / P(convert)).
// `null_paths` of the result counts the paths: the transitions from the start.
attribution_result attribute(const std::vector<journey>& journeys,
                             const std::vector<null_transition>& nulls,
                             const attribution_settings& settings);
// The Markov removal effect of each value, normalised to sum 1 (exposed for
// tests); values in sorted order.
std::vector<std::pair<std::string, double>> markov_shares(
    const std::vector<journey>& journeys, const std::vector<null_transition>& nulls);

struct attribution_options {
    filters where;                                 // conversions in these dates
    std::string by = "channel";                    // channel, source, campaign
    std::int64_t lookback_ms = 30LL * 86'400'000;  // touches before a conversion
    attribution_settings settings;
};
// Parameters: by, lookback=30d, half_life=7d, site, from, to.
result<attribution_options> parse_attribution_params(const params& p, std::int64_t now_ms);

// Two queries. First the split point: the median of the sessions' ids in
// the range (their first 8 bytes, as hex of a big-endian number); then every
// converting session's journey and the transitions of the non-converting
// paths, from one grouping of each person's sessions, read in two key
// ranges split there (`split_hex`, from split_point_hex in key_split.h;
// empty: one read). The split decides only how the work divides, never the
// answer.
std::string attribution_split_sql(const attribution_options& o);
std::string attribution_sql(const attribution_options& o, std::string_view split_hex = {});
result<attribution_result> run_attribution(const attribution_options& o, query_runner& db);

nlohmann::json to_json(const attribution_options& o, const attribution_result& r);
std::vector<table> to_tables(const attribution_options& o, const attribution_result& r);

}  // namespace clickstream::analysis
