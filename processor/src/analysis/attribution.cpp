#include "processor/analysis/attribution.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "processor/analysis/identity.h"

namespace clickstream::analysis {

std::string_view to_string(model m) noexcept {
    switch (m) {
        case model::first_touch:
            return "first_touch";
        case model::last_touch:
            return "last_touch";
        case model::last_non_direct:
            return "last_non_direct";
        case model::linear:
            return "linear";
        case model::time_decay:
            return "time_decay";
        case model::position_based:
            return "position_based";
        case model::markov:
            return "markov";
    }
    return "unknown";
}

namespace {

// Probability of reaching `conversion` from `start` in the chain whose
// transition counts are `counts` (states: 0 start, 1..m values, m+1
// conversion, m+2 null), with the values in `removed` turned into null.
double conversion_probability(const std::vector<std::vector<double>>& counts, std::size_t m,
                              std::size_t removed) {
    const std::size_t conv = m + 1;
    const std::size_t n = m + 1;  // transient states: start and values
    // (I - Q) p = b, with Q among transient states and b into conversion.
    std::vector<std::vector<double>> a(n, std::vector<double>(n + 1, 0.0));
    for (std::size_t s = 0; s < n; ++s) {
        a[s][s] = 1.0;
        if (s == removed && s != 0) continue;  // removed: p = 0 (goes to null)
        double out = 0;
        for (double c : counts[s]) out += c;
        if (out <= 0) continue;  // never left: p = 0
        for (std::size_t j = 0; j < n; ++j) {
            if (j == removed && j != 0) continue;  // into a removed state: null
            a[s][j] -= counts[s][j] / out;
        }
        a[s][n] = counts[s][conv] / out;
    }
    // Gaussian elimination with partial pivoting.
    for (std::size_t col = 0; col < n; ++col) {
        std::size_t pivot = col;
        for (std::size_t r = col + 1; r < n; ++r) {
            if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
        }
        std::swap(a[col], a[pivot]);
        const double d = a[col][col];
        if (std::abs(d) < 1e-15) continue;
        for (std::size_t r = 0; r < n; ++r) {
            if (r == col) continue;
            const double f = a[r][col] / d;
            if (f == 0) continue;
            for (std::size_t k = col; k <= n; ++k) a[r][k] -= f * a[col][k];
        }
    }
    return std::abs(a[0][0]) < 1e-15 ? 0.0 : a[0][n] / a[0][0];
}

}  // namespace

std::vector<null_transition> transitions_of(const std::vector<null_path>& paths) {
    std::vector<null_transition> out;
    for (const auto& p : paths) {
        if (p.values.empty() || p.count <= 0) continue;
        std::string from;
        for (const auto& v : p.values) {
            out.push_back({from, v, p.count});
            from = v;
        }
        out.push_back({from, {}, p.count});
    }
    return out;
}

std::vector<std::pair<std::string, double>> markov_shares(
    const std::vector<journey>& journeys, const std::vector<null_transition>& nulls) {
    std::map<std::string, std::size_t> index;
    for (const auto& j : journeys) {
        for (const auto& t : j.touches) index.emplace(t.value, 0);
    }
    for (const auto& t : nulls) {
        if (t.count <= 0) continue;
        if (!t.from.empty()) index.emplace(t.from, 0);
        if (!t.to.empty()) index.emplace(t.to, 0);
    }
    std::size_t m = 0;
    for (auto& [value, i] : index) i = ++m;
    const std::size_t conv = m + 1;
    const std::size_t null = m + 2;
    std::vector<std::vector<double>> counts(m + 3, std::vector<double>(m + 3, 0.0));
    for (const auto& j : journeys) {
        if (j.touches.empty() || j.conversions <= 0) continue;
        std::size_t s = 0;
        for (const auto& t : j.touches) {
            const std::size_t next = index[t.value];
            counts[s][next] += j.conversions;
            s = next;
        }
        counts[s][conv] += j.conversions;
    }
    for (const auto& t : nulls) {
        if (t.count <= 0) continue;
        const std::size_t from = t.from.empty() ? 0 : index[t.from];
        counts[from][t.to.empty() ? null : index[t.to]] += t.count;
    }
    std::vector<std::pair<std::string, double>> out;
    const double base = conversion_probability(counts, m, 0);
    if (base <= 0) return out;
    double sum = 0;
    for (const auto& [value, i] : index) {
        const double effect = std::max(0.0, 1.0 - conversion_probability(counts, m, i) / base);
        out.emplace_back(value, effect);
        sum += effect;
    }
    for (auto& [value, e] : out) e = sum > 0 ? e / sum : 0;
    return out;
}

attribution_result attribute(const std::vector<journey>& journeys,
                             const std::vector<null_transition>& nulls,
                             const attribution_settings& settings) {
    attribution_result out;
    std::map<std::string, attribution_row> rows;
    auto give = [&](model m, const std::string& value, double share, const journey& j) {
        auto& row = rows[value];
        row.value = value;
        auto& c = row.by_model[static_cast<std::size_t>(m)];
        c.conversions += share * j.conversions;
        c.revenue += share * j.revenue;
    };
    for (const auto& j : journeys) {
        if (j.touches.empty() || j.conversions <= 0) continue;
        ++out.journeys;
        out.conversions += j.conversions;
        out.revenue += j.revenue;
        const auto& t = j.touches;
        const std::size_t n = t.size();
        give(model::first_touch, t.front().value, 1.0, j);
        give(model::last_touch, t.back().value, 1.0, j);
        std::size_t lnd = n - 1;
        for (std::size_t i = n; i-- > 0;) {
            if (!t[i].direct) {
                lnd = i;
                break;
            }
        }
        give(model::last_non_direct, t[lnd].value, 1.0, j);
        for (const auto& x : t) give(model::linear, x.value, 1.0 / double(n), j);
        std::vector<double> w(n);
        double total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double age = double(std::max<std::int64_t>(0, j.converted_at_ms - t[i].at_ms));
            w[i] = std::exp2(-age / double(settings.half_life_ms));
            total += w[i];
        }
        for (std::size_t i = 0; i < n; ++i) give(model::time_decay, t[i].value, w[i] / total, j);
        if (n == 1) {
            give(model::position_based, t[0].value, 1.0, j);
        } else if (n == 2) {
            give(model::position_based, t[0].value, 0.5, j);
            give(model::position_based, t[1].value, 0.5, j);
        } else {
            give(model::position_based, t[0].value, 0.4, j);
            give(model::position_based, t[n - 1].value, 0.4, j);
            for (std::size_t i = 1; i + 1 < n; ++i) {
                give(model::position_based, t[i].value, 0.2 / double(n - 2), j);
            }
        }
    }
    for (const auto& t : nulls) {
        if (t.from.empty() && t.count > 0) out.null_paths += static_cast<std::uint64_t>(t.count);
    }
    const auto shares = markov_shares(journeys, nulls);
    for (const auto& [value, share] : shares) {
        auto& row = rows[value];
        row.value = value;
        auto& c = row.by_model[static_cast<std::size_t>(model::markov)];
        c.conversions = share * out.conversions;
        c.revenue = share * out.revenue;
    }
    for (auto& [value, row] : rows) {
        for (std::size_t m = 0; m < model_count; ++m) {
            out.totals[m].conversions += row.by_model[m].conversions;
            out.totals[m].revenue += row.by_model[m].revenue;
        }
        out.rows.push_back(std::move(row));
    }
    const auto last = static_cast<std::size_t>(model::last_touch);
    std::stable_sort(out.rows.begin(), out.rows.end(),
                     [&](const attribution_row& a, const attribution_row& b) {
                         return a.by_model[last].conversions > b.by_model[last].conversions;
                     });
    return out;
}

result<attribution_options> parse_attribution_params(const params& p, std::int64_t now_ms) {
    if (auto k = check_known(p, {"by", "lookback", "half_life", "site", "from", "to"}); !k) {
        return failure<error>{k.error()};
    }
    attribution_options o;
    auto f = parse_filters(p, now_ms);
    if (!f) return failure<error>{f.error()};
    o.where = *f;
    if (const auto* s = find(p, "by")) {
        if (*s != "channel" && *s != "source" && *s != "campaign") {
            return bad_request("bad by '" + *s + "': expected channel, source or campaign");
        }
        o.by = *s;
    }
    if (const auto* s = find(p, "lookback")) {
        auto d = parse_duration_ms(*s);
        if (!d) return failure<error>{d.error()};
        o.lookback_ms = *d;
    }
    if (const auto* s = find(p, "half_life")) {
        auto d = parse_duration_ms(*s);
        if (!d) return failure<error>{d.error()};
        o.settings.half_life_ms = *d;
    }
    return o;
}

namespace {

std::string value_expression(const std::string& by) {
    if (by == "source") {
        return "if(utm_source != '', utm_source, if(referrer_source != '', referrer_source, "
               "if(channel IN ('direct', ''), '(direct)', '(other)')))";
    }
    if (by == "campaign") return "if(utm_campaign != '', utm_campaign, '(none)')";
    return "if(channel = '', 'direct', channel)";
}

// The sessions the touches read: those with events whose start is in the
// range or the lookback before it.
std::string touches_where(const attribution_options& o) {
    std::string where =
        "events > 0 AND start_ms >= " + std::to_string(o.where.from_ms() - o.lookback_ms) +
        " AND start_ms < " + std::to_string(o.where.to_ms());
    if (!o.where.site.empty()) where += " AND site = " + sql_string(o.where.site);
    return where;
}

// Per person, every session of the range and the lookback before it, as
// (start_ms, session_id, value, direct, conversions, revenue), oldest first
// (ties in start time by session id). `sessions FINAL` is read over every
// partition, its conditions in WHERE: a row's versions can sit in two months'
// partitions (a late earlier event moves its start back), and only FINAL
// over all of them keeps the newest; a start_date condition would prune
// before that merge (docs/analysis.md, "How the queries read the tables").
// With a split point, the read is two reads by key range, session_id below
// it and from it on: every version of a row has the row's session id, so
// each FINAL still sees all of them, and the index skips the other half's
// granules. In 18.16 one FINAL read is one stream, and so is everything
// after it; two let the per-person grouping run on two cores.
std::string touches_sql(const attribution_options& o, std::string_view split_hex) {
    const std::string where = touches_where(o);
    const std::string key = site_key(o.where.site) + "person";  // people are per site
    // The direct flag and the revenue are worked out after the reads: 18.16
    // takes `channel IN (...)` in a UNION ALL's branch for a constant.
    const std::string read = "SELECT site, " + person_expression() +
                             " AS person, start_ms, session_id, " + value_expression(o.by) +
                             " AS v, channel, conversions, revenue "
                             "FROM sessions FINAL " +
                             identity_join({}, o.where.site) + " WHERE " + where;
    std::string reads = read;
    if (!split_hex.empty()) {
        reads = read + " AND " + below_split(split_hex) + " UNION ALL " + read + " AND " +
                from_split(split_hex);
    }
    return "SELECT arraySort(groupArray((start_ms, session_id, v, channel IN ('direct', ''), "
           "conversions, toFloat64(revenue)))) AS touches FROM (" +
           reads + ") GROUP BY " + key;
}

}  // namespace

std::string attribution_split_sql(const attribution_options& o) {
    return split_point_sql(touches_where(o));
}

std::string attribution_sql(const attribution_options& o, std::string_view split_hex) {
    const std::string lookback = std::to_string(o.lookback_ms);
    const std::string from = std::to_string(o.where.from_ms());
    // One pass over each person's sorted sessions yields both kinds of row,
    // so the sessions are read and grouped once.
    // 1. The sorted touches split into one array per field (start s, value
    //    v, direct d, conversions c, revenue r), so that no lambda below
    //    captures the array of tuples: 18.16 copies a captured array once
    //    per element it maps over.
    std::string split =
        "SELECT arrayMap(t -> t.1, touches) AS s, arrayMap(t -> t.3, touches) AS v, "
        "arrayMap(t -> t.4, touches) AS d, arrayMap(t -> t.5, touches) AS c, "
        "arrayMap(t -> t.6, touches) AS r, length(touches) AS n, "
        "arrayReduce('max', arrayMap((x, i) -> if(x > 0, i, 0), c, arrayEnumerate(c))) AS lc "
        "FROM (" +
        touches_sql(o, split_hex) + ")";
    // 2. Per person, ci runs over 0 (the non-converting path) and the index
    //    of each converting session in the range. Each is a run [lo, hi] of
    //    the touches, as they are sorted by start: a journey (ci > 0) the
    //    sessions up to and including ci within the lookback of it; the
    //    non-converting path (ci = 0) the sessions after the last conversion
    //    (lc) within the lookback of the last session, which must be in the
    //    range. Journeys are grouped by everything the models read (equal
    //    ones are counted); paths by their values.
    std::string runs =
        "SELECT ci = 0 AS np, if(np, n, ci) AS hi, s[hi] AS at, greatest(if(np, lc + 1, 1), "
        "arrayFirstIndex(x -> x + " +
        lookback +
        " >= at, s)) AS lo, arraySlice(v, lo, hi + 1 - lo) AS jv, if(np, emptyArrayUInt8(), "
        "arraySlice(d, lo, hi + 1 - lo)) AS jd, if(np, emptyArrayUInt64(), arraySlice(s, lo, "
        "hi + 1 - lo)) AS js, if(np, 0, at) AS cat, if(np, 0, c[ci]) AS cc, if(np, 0, r[ci]) "
        "AS cr FROM (" +
        split + ") ARRAY JOIN arrayConcat([0], arrayFilter((i, x, st) -> x > 0 AND st >= " + from +
        ", arrayEnumerate(c), c, s)) AS ci WHERE NOT np OR (lo <= hi AND at >= " + from + ")";
    std::string grouped = "SELECT np, jv, jd, js, cat, cc, cr, count() AS k FROM (" + runs +
                          ") GROUP BY np, jv, jd, js, cat, cc, cr";
    // 3. The distinct paths unrolled into the chain's steps (start → v1, ...,
    //    vn → null; '' is the start or the end), counted: the Markov model
    //    needs no more, and a few dozen rows travel instead of a row per
    //    path. Rows are (is_null_step, journey values or [from, to], direct
    //    flags, start times, converted at, conversions, revenue, count).
    return "SELECT np, if(np, [if(x = 0, '', jv[x]), if(x = length(jv), '', jv[x + 1])], jv) AS "
           "vals, jd, js, cat, cc, cr, sum(k) FROM (" +
           grouped +
           ") ARRAY JOIN if(np, range(length(jv) + 1), [0]) AS x GROUP BY np, vals, jd, js, cat, "
           "cc, cr";
}

result<attribution_result> run_attribution(const attribution_options& o, query_runner& db) {
    auto split = find_split_point(db, touches_where(o));
    if (!split) return failure<error>{split.error()};
    auto answer = db.run(attribution_sql(o, split->point));
    if (!answer) return failure<error>{answer.error()};
    std::vector<journey> journeys;
    std::vector<null_transition> nulls;
    try {
        for (const auto& r : answer->data) {
            const auto& values = r.at(1);
            const auto count = as_int(r.at(7));
            if (as_int(r.at(0)) != 0) {
                if (values.size() != 2) {
                    return failure<error>{{errc::bad_answer, "a path step is not [from, to]"}};
                }
                nulls.push_back({as_string(values[0]), as_string(values[1]), double(count)});
                continue;
            }
            journey j;
            const auto& direct = r.at(2);
            const auto& at = r.at(3);
            if (values.size() != direct.size() || values.size() != at.size()) {
                return failure<error>{{errc::bad_answer, "journey arrays of unequal length"}};
            }
            for (std::size_t i = 0; i < values.size(); ++i) {
                j.touches.push_back({as_string(values[i]), as_int(direct[i]) != 0, as_int(at[i])});
            }
            j.converted_at_ms = as_int(r.at(4));
            j.conversions = as_double(r.at(5));
            j.revenue = as_double(r.at(6));
            for (std::int64_t c = 1; c < count; ++c) journeys.push_back(j);
            journeys.push_back(std::move(j));
        }
    } catch (const std::exception& e) {
        return failure<error>{{errc::bad_answer, e.what()}};
    }
    // ClickHouse returns the groups in no set order, and a floating-point
    // sum depends on the order of its terms: sorted, the same sessions give
    // the same credits to the last bit in every run.
    const auto touch_key = [](const touch& t) { return std::tie(t.value, t.direct, t.at_ms); };
    const auto head = [](const journey& j) {
        return std::tie(j.converted_at_ms, j.conversions, j.revenue);
    };
    std::sort(journeys.begin(), journeys.end(), [&](const journey& a, const journey& b) {
        if (head(a) != head(b)) return head(a) < head(b);
        return std::lexicographical_compare(
            a.touches.begin(), a.touches.end(), b.touches.begin(), b.touches.end(),
            [&](const touch& x, const touch& y) { return touch_key(x) < touch_key(y); });
    });
    std::sort(nulls.begin(), nulls.end(), [](const null_transition& a, const null_transition& b) {
        return std::tie(a.from, a.to, a.count) < std::tie(b.from, b.to, b.count);
    });
    return attribute(journeys, nulls, o.settings);
}

nlohmann::json to_json(const attribution_options& o, const attribution_result& r) {
    nlohmann::json models = nlohmann::json::array();
    for (auto m : all_models) models.push_back(to_string(m));
    auto credits = [](const std::array<credit, model_count>& c) {
        nlohmann::json out = nlohmann::json::object();
        for (auto m : all_models) {
            const auto& x = c[static_cast<std::size_t>(m)];
            out[std::string(to_string(m))] = {{"conversions", x.conversions},
                                              {"revenue", x.revenue}};
        }
        return out;
    };
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : r.rows)
        rows.push_back({{"value", row.value}, {"models", credits(row.by_model)}});
    return {{"query",
             {{"by", o.by},
              {"lookback_ms", o.lookback_ms},
              {"half_life_ms", o.settings.half_life_ms},
              {"site", o.where.site},
              {"from", format_date(o.where.from_day)},
              {"to", format_date(o.where.to_day)}}},
            {"models", models},
            {"conversions", r.conversions},
            {"revenue", r.revenue},
            {"converting_sessions", r.journeys},
            {"non_converting_paths", r.null_paths},
            {"rows", rows},
            {"totals", credits(r.totals)}};
}

std::vector<table> to_tables(const attribution_options& o, const attribution_result& r) {
    auto make = [&](bool revenue) {
        table t;
        t.title = std::string(revenue ? "Revenue" : "Conversions") + " credited by " + o.by + " (" +
                  format_count(r.conversions) + " conversions, " + format_decimal(r.revenue, 2) +
                  " revenue, lookback " + format_duration_ms(double(o.lookback_ms)) + ")";
        t.columns = {o.by};
        t.numeric = {false};
        for (auto m : all_models) {
            t.columns.emplace_back(to_string(m));
            t.numeric.push_back(true);
        }
        auto line = [&](const std::string& name, const std::array<credit, model_count>& c) {
            std::vector<std::string> cells{name};
            for (auto m : all_models) {
                const auto& x = c[static_cast<std::size_t>(m)];
                cells.push_back(format_decimal(revenue ? x.revenue : x.conversions, 2));
            }
            t.rows.push_back(std::move(cells));
        };
        for (const auto& row : r.rows) line(row.value, row.by_model);
        line("(total)", r.totals);
        return t;
    };
    return {make(false), make(true)};
}

}  // namespace clickstream::analysis
