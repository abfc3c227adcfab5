#include "processor/analysis/funnel.h"

#include <algorithm>
#include <cstdint>

#include "processor/analysis/identity.h"
#include "processor/analysis/key_split.h"

namespace clickstream::analysis {
namespace {

std::string n(std::size_t i) {
    return std::to_string(i + 1);
}

// The sessions column a breakdown reads (the entry session's value).
const char* breakdown_column(const std::string& by) {
    if (by == "channel") return "channel";
    if (by == "device") return "device_type";
    if (by == "campaign") return "utm_campaign";
    if (by == "landing_page") return "landing_page";
    return nullptr;
}

std::string range_condition(const filters& f, const char* column) {
    std::string c = std::string(column) + " >= " + std::to_string(f.from_ms()) + " AND " + column +
                    " < " + std::to_string(f.to_ms());
    if (!f.site.empty()) c += " AND site = " + sql_string(f.site);
    return c;
}

// The sessions rows a funnel reads (a session funnel's breakdown, a person
// funnel's entry sessions, the split point): those with events that start
// in the range or the day before it, as a session holding an event of the
// range starts at most a day (the maximum session length) before it.
std::string funnel_sessions_where(const funnel_options& o) {
    filters wide = o.where;
    wide.from_day -= 1;
    return "events > 0 AND " + range_condition(wide, "start_ms");
}

}  // namespace

result<funnel_options> parse_funnel_params(const params& p, std::int64_t now_ms) {
    if (auto k = check_known(p, {"step", "scope", "order", "window", "by", "site", "from", "to"});
        !k) {
        return failure<error>{k.error()};
    }
    funnel_options o;
    auto f = parse_filters(p, now_ms);
    if (!f) return failure<error>{f.error()};
    o.where = *f;
    auto steps = parse_steps(find_all(p, "step"));
    if (!steps) return failure<error>{steps.error()};
    o.steps = std::move(*steps);
    if (const auto* s = find(p, "scope")) {
        if (*s == "session") {
            o.scope = funnel_scope::session;
        } else if (*s == "user") {
            o.scope = funnel_scope::user;
        } else {
            return bad_request("bad scope '" + *s + "': expected session or user");
        }
    }
    if (const auto* s = find(p, "order")) {
        if (*s == "strict") {
            o.order = funnel_order::strict;
        } else if (*s == "any") {
            o.order = funnel_order::any;
        } else {
            return bad_request("bad order '" + *s + "': expected strict or any");
        }
    }
    if (const auto* s = find(p, "window")) {
        if (o.scope != funnel_scope::user) {
            return bad_request("window applies to scope=user (a session is its own window)");
        }
        auto w = parse_duration_ms(*s);
        if (!w) return failure<error>{w.error()};
        o.window_ms = *w;
    }
    if (const auto* s = find(p, "by")) {
        if (!s->empty() && breakdown_column(*s) == nullptr) {
            return bad_request("bad by '" + *s +
                               "': expected channel, device, campaign or landing_page");
        }
        o.breakdown = *s;
    }
    return o;
}

namespace {

// 1-2. Per unit, when it reached each step (t1..tk, strict order) and how far
// it got (level), from the events (and sessions rows) whose session id
// satisfies `key_range` (a condition on session_id; empty: every one).
std::string reached_sql(const funnel_options& o, const std::string& key_range) {
    const std::size_t k = o.steps.size();
    const bool user = o.scope == funnel_scope::user;
    const bool strict = o.order == funnel_order::strict;
    const std::string window = user ? std::to_string(o.window_ms) : "";
    // Units are per site; with one site, the id alone is the key.
    const std::string site_prefix = site_key(o.where.site);

    // The breakdown's column, and whether the sessions' rows join the events'
    // in the one grouping below: a session funnel takes each session's own
    // entry value, so its sessions rows (flagged `sess`, value `v`) are
    // grouped with its events, which costs less than grouping them apart and
    // joining the million units afterwards.
    const char* column = breakdown_column(o.breakdown);
    const bool with_sessions = !user && column != nullptr;
    const std::string time = with_sessions ? "t" : "event_time_ms";
    auto condition = [&](std::size_t i) {
        return with_sessions ? "c" + n(i) : step_condition(o.steps[i]);
    };

    // 1. Per unit (session id, or person), the times of each step's events;
    // in order, of the first step only the earliest (t1), and the times of
    // steps 2..k in one array `p` of time * 2^(k-1) + a mask of the steps the
    // event matches (bit i-2 for step i), read step by step in 2. below:
    // one array state per unit instead of k-1 (a million units'
    // states were 830 MB with k = 4, 560 MB packed; docs/analysis.md). Times
    // are milliseconds (< 2^42), so the packed value fits with 10 steps.
    std::string any_step;
    std::string inner = "SELECT " + site_prefix +
                        (user ? person_expression() : std::string("session_id")) + " AS unit";
    const std::string packing = std::to_string(std::uint64_t{1} << (k - 1));
    std::string mask, later_step;
    for (std::size_t i = 0; i < k; ++i) {
        const std::string c = condition(i);
        if (strict && i == 0) {
            inner += ", minIf(" + time + ", " + c + ") AS t1";
        } else if (strict) {
            mask += (i > 1 ? " + " : "") + ("(" + c + ") * " + std::to_string(1u << (i - 1)));
            later_step += (i > 1 ? " OR " : "") + ("(" + c + ")");
        } else {
            inner += ", groupArrayIf(" + time + ", " + c + ") AS a" + n(i);
        }
        any_step += (i > 0 ? " OR " : "") + step_condition(o.steps[i]);
    }
    if (strict) {
        inner += ", groupArrayIf(" + time + " * " + packing + " + " + mask + ", " + later_step +
                 ") AS p";
    }
    // The entry session, only for a breakdown: per person, the session of
    // the first step's earliest event (any order: of the earliest step
    // event); a session is its own, and its value the earliest (by start)
    // of its rows in `sessions`.
    if (user && column != nullptr) {
        inner += strict ? ", argMinIf(session_id, event_time_ms, " + step_condition(o.steps[0]) +
                              ") AS entry_session"
                        : ", argMin(session_id, event_time_ms) AS entry_session";
    }
    if (with_sessions) inner += ", argMinIf(v, t, sess) AS b";
    const std::string in_range = key_range.empty() ? "" : " AND " + key_range;
    const std::string events_where =
        range_condition(o.where, "event_time_ms") + in_range + " AND (" + any_step + ")";
    const std::string sessions_where = funnel_sessions_where(o) + in_range;
    if (with_sessions) {
        std::string events_side = "SELECT " + site_prefix + "session_id, event_time_ms AS t";
        std::string sessions_side = "SELECT " + site_prefix + "session_id, start_ms";
        for (std::size_t i = 0; i < k; ++i) {
            events_side += ", " + step_condition(o.steps[i]) + " AS c" + n(i);
            sessions_side += ", materialize(0)";
        }
        // Constants materialized: UNION ALL in 18.16 refuses a column that is
        // constant in one SELECT and not in the other, or constant in both
        // with different values.
        events_side +=
            ", materialize(0) AS sess, materialize('') AS v FROM events WHERE " + events_where;
        sessions_side += ", materialize(1), " + std::string(column) +
                         " FROM sessions FINAL WHERE " + sessions_where;
        inner += " FROM (" + events_side + " UNION ALL " + sessions_side + ")";
    } else {
        inner += " FROM events";
        if (user) inner += " " + identity_join({}, o.where.site);
        inner += " WHERE " + events_where;
    }
    inner += " GROUP BY " + site_prefix + "unit";
    // A unit that never reached the first step is no unit of the funnel.
    if (strict) {
        inner += " HAVING t1 > 0";
    } else if (with_sessions) {
        inner += " HAVING notEmpty(a1)";
    }

    // 2. When each step was reached (0: not reached) and how far the unit got.
    std::string mid = "SELECT ";
    if (with_sessions) {
        mid += "b, ";
    } else if (column != nullptr) {
        mid += site_prefix + "entry_session AS session_id, ";
    }
    if (strict) {
        // Each step is the earliest matching event at or after the previous
        // one (ties in time count as in order), within the window of the first.
        // Read from the packed array itself: time * 2^(k-1) + mask orders as
        // the time does (t >= T is x >= T * 2^(k-1), t <= T is
        // x < (T + 1) * 2^(k-1)), so no array per step is built; those arrays
        // were most of the work after the grouping, which runs on one thread.
        mid += "t1";
        for (std::size_t i = 1; i < k; ++i) {
            std::string cond = "bitAnd(x, " + std::to_string(1u << (i - 1)) + ") != 0 AND x >= t" +
                               std::to_string(i) + " * " + packing;
            if (user) cond += " AND x < (t1 + " + window + " + 1) * " + packing;
            mid += ", if(t" + std::to_string(i) +
                   " > 0, intDiv(arrayReduce('min', arrayFilter(x -> " + cond + ", p)), " +
                   packing + "), 0) AS t" + n(i);
        }
        mid += ", ";
        for (std::size_t i = 0; i < k; ++i) mid += (i > 0 ? " + " : "") + ("(t" + n(i) + " > 0)");
        mid += " AS level";
    } else {
        // Any order: each step counts if it happened (within the window from
        // the unit's first step event); the level is the run of leading steps.
        std::string all;
        for (std::size_t i = 0; i < k; ++i) all += (i > 0 ? ", " : "") + ("a" + n(i));
        mid += "arrayReduce('min', arrayConcat(" + all + ")) AS s";
        for (std::size_t i = 0; i < k; ++i) {
            mid += user ? ", notEmpty(arrayFilter(x -> x <= s + " + window + ", a" + n(i) + "))"
                        : ", notEmpty(a" + n(i) + ")";
            mid += " AS r" + n(i);
        }
        // Built from the last step down: if(r1, if(r2, ..., 1), 0).
        std::string level = std::to_string(k);
        for (std::size_t i = k; i-- > 0;) {
            level = "if(r" + n(i) + ", " + level + ", " + std::to_string(i) + ")";
        }
        mid += ", " + level + " AS level";
    }
    return mid + " FROM (" + inner + ")";
}

// 3. The per-step columns of a group: how many units reached each step
// and, in a strict funnel, `median_if` of each step's time from the one
// before, over the units that reached it; named n<i> and m<i> when `named`
// (a key range's branch, summed and merged above it).
std::string step_columns(std::size_t k, bool strict, const char* median_if, bool named) {
    std::string c;
    for (std::size_t i = 0; i < k; ++i) {
        c += ", countIf(level >= " + n(i) + ")" + (named ? " AS n" + n(i) : "");
    }
    for (std::size_t i = 1; strict && i < k; ++i) {
        c += std::string(", ") + median_if + "(t" + n(i) + " - t" + std::to_string(i) +
             ", level >= " + n(i) + ")" + (named ? " AS m" + n(i) : "");
    }
    return c;
}

}  // namespace

std::string funnel_split_sql(const funnel_options& o) {
    return split_point_sql(funnel_sessions_where(o));
}

std::string funnel_sql(const funnel_options& o, std::string_view split_hex, unsigned threads_each) {
    const std::size_t k = o.steps.size();
    const bool user = o.scope == funnel_scope::user;
    const bool strict = o.order == funnel_order::strict;
    const std::string site_prefix = site_key(o.where.site);
    const char* column = breakdown_column(o.breakdown);

    // 3. Counts and medians per breakdown value, with the total.
    const std::string group = column != nullptr ? "if(b = '', '(none)', b) AS g" : "'' AS g";
    if (!user && !split_hex.empty()) {
        // Each key range's units counted apart, the two in parallel (a UNION
        // ALL's branches are streams of their own), then summed: a session's
        // rows all have its id, so each unit is whole in one range. The
        // medians travel as states of the same sampler and are merged, exact
        // up to 8,192 units in all, as one medianIf is. With `threads_each`,
        // a branch's own SETTINGS hold it to that many threads (the top's
        // stay), so the two share the server's rather than each taking all:
        // on 2 cores one thread a branch groups its units without the merge
        // of per-thread states, 0.1-0.6 CPU s less (docs/analysis.md).
        auto branch = [&](const std::string& key_range) {
            std::string b = "SELECT " + group + step_columns(k, strict, "medianStateIf", true) +
                            " FROM (" + reached_sql(o, key_range) + ") WHERE level >= 1 GROUP BY g";
            if (threads_each > 0) b += " SETTINGS max_threads = " + std::to_string(threads_each);
            return b;
        };
        std::string top = "SELECT g";
        for (std::size_t i = 0; i < k; ++i) top += ", sum(n" + n(i) + ")";
        for (std::size_t i = 1; strict && i < k; ++i) top += ", medianMerge(m" + n(i) + ")";
        return top + " FROM (" + branch(below_split(split_hex)) + " UNION ALL " +
               branch(from_split(split_hex)) + ") GROUP BY g WITH TOTALS ORDER BY sum(n1) DESC, g";
    }
    std::string outer = "SELECT " + group + step_columns(k, strict, "medianIf", false) + " FROM (" +
                        reached_sql(o, {}) + ")";
    if (column != nullptr && user) {
        outer += " ANY LEFT JOIN (SELECT " + site_prefix + "session_id, argMin(" +
                 std::string(column) + ", start_ms) AS b FROM sessions FINAL WHERE " +
                 funnel_sessions_where(o) + " GROUP BY " + site_prefix + "session_id) USING (" +
                 site_prefix + "session_id)";
    }
    outer += " WHERE level >= 1 GROUP BY g WITH TOTALS ORDER BY countIf(level >= 1) DESC, g";
    return outer;
}

namespace {

funnel_group read_group(const funnel_options& o, const nlohmann::json& row) {
    funnel_group g;
    const std::size_t k = o.steps.size();
    g.value = as_string(row.at(0));
    std::uint64_t first = 0;
    std::uint64_t previous = 0;
    for (std::size_t i = 0; i < k; ++i) {
        funnel_step s;
        s.label = o.steps[i].text;
        s.count = static_cast<std::uint64_t>(as_int(row.at(1 + i)));
        if (i == 0) first = s.count;
        s.conversion = first > 0 ? static_cast<double>(s.count) / static_cast<double>(first) : 0;
        s.step_conversion = i == 0 ? 1.0
                            : previous > 0
                                ? static_cast<double>(s.count) / static_cast<double>(previous)
                                : 0;
        s.drop_off = i == 0 ? 0 : previous - s.count;
        if (o.order == funnel_order::strict && i > 0 && s.count > 0) {
            s.median_ms = as_double(row.at(k + i));
        }
        previous = s.count;
        g.steps.push_back(std::move(s));
    }
    return g;
}

}  // namespace

result<funnel_result> read_funnel(const funnel_options& o, const rows& answer) {
    const std::size_t width =
        1 + o.steps.size() + (o.order == funnel_order::strict ? o.steps.size() - 1 : 0);
    auto fits = [&](const nlohmann::json& r) { return r.is_array() && r.size() == width; };
    funnel_result out;
    try {
        for (const auto& r : answer.data) {
            if (!fits(r))
                return failure<error>{{errc::bad_answer, "funnel row of the wrong width"}};
            if (!o.breakdown.empty()) out.groups.push_back(read_group(o, r));
        }
        if (fits(answer.totals)) {
            out.total = read_group(o, answer.totals);
        } else {
            // No unit reached the first step: ClickHouse sends no totals row
            // for an empty result; every count is 0.
            nlohmann::json zero = nlohmann::json::array({""});
            for (std::size_t i = 1; i < width; ++i) zero.push_back(0);
            out.total = read_group(o, zero);
        }
        out.total.value.clear();
    } catch (const std::exception& e) {
        return failure<error>{{errc::bad_answer, e.what()}};
    }
    return out;
}

result<funnel_result> run_funnel(const funnel_options& o, query_runner& db) {
    // A session funnel reads in two key ranges split at the sessions' median
    // id; a person's sessions can fall in both, so a person funnel reads once.
    // The two ranges' reads share the server's threads.
    key_split split;
    if (o.scope == funnel_scope::session) {
        auto found = find_split_point(db, funnel_sessions_where(o));
        if (!found) return failure<error>{found.error()};
        split = std::move(*found);
    }
    const unsigned threads_each = split.threads > 0 ? std::max(1u, split.threads / 2) : 0;
    auto answer = db.run(funnel_sql(o, split.point, threads_each));
    if (!answer) return failure<error>{answer.error()};
    return read_funnel(o, *answer);
}

namespace {

nlohmann::json group_json(const funnel_group& g) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : g.steps) {
        steps.push_back({{"step", s.label},
                         {"count", s.count},
                         {"conversion", s.conversion},
                         {"step_conversion", s.step_conversion},
                         {"drop_off", s.drop_off},
                         {"median_ms_from_previous",
                          s.median_ms ? nlohmann::json(*s.median_ms) : nlohmann::json()}});
    }
    return steps;
}

}  // namespace

nlohmann::json to_json(const funnel_options& o, const funnel_result& r) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : o.steps) steps.push_back(s.text);
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& g : r.groups) groups.push_back({{"value", g.value}, {"steps", group_json(g)}});
    return {{"query",
             {{"steps", steps},
              {"scope", o.scope == funnel_scope::user ? "user" : "session"},
              {"order", o.order == funnel_order::strict ? "strict" : "any"},
              {"window_ms",
               o.scope == funnel_scope::user ? nlohmann::json(o.window_ms) : nlohmann::json()},
              {"by", o.breakdown.empty() ? nlohmann::json() : nlohmann::json(o.breakdown)},
              {"site", o.where.site},
              {"from", format_date(o.where.from_day)},
              {"to", format_date(o.where.to_day)}}},
            {"unit", o.scope == funnel_scope::user ? "people" : "sessions"},
            {"steps", group_json(r.total)},
            {"groups", groups}};
}

std::vector<table> to_tables(const funnel_options& o, const funnel_result& r) {
    const std::string unit = o.scope == funnel_scope::user ? "people" : "sessions";
    auto make = [&](const funnel_group& g, std::string title) {
        table t;
        t.title = std::move(title);
        t.columns = {"#", "step", unit, "conversion", "from previous", "drop-off", "median time"};
        t.numeric = {true, false, true, true, true, true, true};
        for (std::size_t i = 0; i < g.steps.size(); ++i) {
            const auto& s = g.steps[i];
            t.rows.push_back({std::to_string(i + 1), s.label, format_count(double(s.count)),
                              format_percent(s.conversion),
                              i == 0 ? "" : format_percent(s.step_conversion),
                              i == 0 ? "" : format_count(double(s.drop_off)),
                              s.median_ms ? format_duration_ms(*s.median_ms) : ""});
        }
        return t;
    };
    std::vector<table> out;
    out.push_back(make(r.total, "Funnel (" + unit + ", " +
                                    (o.order == funnel_order::strict ? "in order" : "any order") +
                                    ", " + format_date(o.where.from_day) + " to " +
                                    format_date(o.where.to_day) + ")"));
    for (const auto& g : r.groups) out.push_back(make(g, o.breakdown + " = " + g.value));
    return out;
}

}  // namespace clickstream::analysis
