#include "processor/analysis/paths.h"

#include <algorithm>
#include <map>

namespace clickstream::analysis {
namespace {

std::string session_range(const filters& f) {
    std::string c = "start_ms >= " + std::to_string(f.from_ms()) + " AND start_ms < " +
                    std::to_string(f.to_ms());
    if (!f.site.empty()) c += " AND site = " + sql_string(f.site);
    return c;
}

// Sessions' page sequences (`p`), collapsed when asked, and which of them
// match the start/end page.
std::string sequences_from(const paths_options& o) {
    const std::string p = o.collapse ? "arrayFilter((x, i) -> i = 1 OR x != pages[i - 1], pages, "
                                       "arrayEnumerate(pages))"
                                     : "pages";
    std::string sql = "SELECT " + path_expression(o) + " AS path FROM (SELECT " + p +
                      " AS p FROM sessions FINAL WHERE events > 0 AND notEmpty(pages) AND " +
                      session_range(o.where) + ")";
    if (!o.start_page.empty()) sql += " WHERE has(p, " + sql_string(o.start_page) + ")";
    if (!o.end_page.empty()) sql += " WHERE has(p, " + sql_string(o.end_page) + ")";
    return sql;
}

}  // namespace

result<paths_options> parse_paths_params(const params& p, std::int64_t now_ms) {
    if (auto k = check_known(p, {"start", "end", "depth", "collapse", "exits", "limit",
                                 "transitions_limit", "site", "from", "to"});
        !k) {
        return failure<error>{k.error()};
    }
    paths_options o;
    auto f = parse_filters(p, now_ms);
    if (!f) return failure<error>{f.error()};
    o.where = *f;
    if (const auto* s = find(p, "start")) o.start_page = *s;
    if (const auto* s = find(p, "end")) o.end_page = *s;
    if (!o.start_page.empty() && !o.end_page.empty()) {
        return bad_request("give a start page or an end page, not both");
    }
    for (const auto* page : {&o.start_page, &o.end_page}) {
        if (!page->empty() && page->front() != '/') {
            return bad_request("bad page '" + *page + "': a page path starts with '/'");
        }
    }
    auto depth = parse_int(p, "depth", 4, 2, 20);
    if (!depth) return failure<error>{depth.error()};
    o.depth = *depth;
    auto limit = parse_int(p, "limit", 20, 1, 1000);
    if (!limit) return failure<error>{limit.error()};
    o.limit = *limit;
    auto tl = parse_int(p, "transitions_limit", 50, 1, 1000);
    if (!tl) return failure<error>{tl.error()};
    o.transitions_limit = *tl;
    auto collapse = parse_bool(p, "collapse", false);
    if (!collapse) return failure<error>{collapse.error()};
    o.collapse = *collapse;
    auto exits = parse_bool(p, "exits", false);
    if (!exits) return failure<error>{exits.error()};
    o.exits = *exits;
    return o;
}

std::string path_expression(const paths_options& o) {
    const std::string d = std::to_string(o.depth);
    if (!o.end_page.empty()) {
        // The `depth` pages up to the end page's first view in the session.
        const std::string idx = "toInt64(indexOf(p, " + sql_string(o.end_page) + "))";
        const std::string off = "greatest(1, " + idx + " - " + d + " + 1)";
        const std::string slice = "arraySlice(p, " + off + ", " + idx + " - " + off + " + 1)";
        if (!o.exits) return slice;
        return "if(" + off + " = 1, arrayPushFront(" + slice + ", " + sql_string(entrance_marker) +
               "), " + slice + ")";
    }
    const std::string idx = o.start_page.empty()
                                ? std::string("toInt64(1)")
                                : "toInt64(indexOf(p, " + sql_string(o.start_page) + "))";
    const std::string slice = "arraySlice(p, " + idx + ", " + d + ")";
    if (!o.exits) return slice;
    // The session ends within the slice: mark its exit.
    return "if(" + idx + " + " + d + " - 1 >= length(p), arrayPushBack(" + slice + ", " +
           sql_string(exit_marker) + "), " + slice + ")";
}

std::string paths_sql(const paths_options& o) {
    // The sessions are read and their sequences grouped once; the (few)
    // distinct sequences are then unrolled into one row per kind of answer:
    // i = -1 the number of sessions, i = 0 each sequence, i >= 1 the
    // transition from page i to page i + 1 (key [from, to], which orders as
    // from, then to).
    const std::int64_t n = std::max(o.limit, o.transitions_limit);
    return "SELECT i, if(i < 0, emptyArrayString(), if(i = 0, path, [path[i], path[i + 1]])) AS "
           "key, sum(c) AS sessions FROM (SELECT path, count() AS c FROM (" +
           sequences_from(o) +
           ") GROUP BY path) ARRAY JOIN arrayConcat([-1, 0], arrayEnumerate(arrayPopBack(path))) "
           "AS i GROUP BY i, key ORDER BY i, sessions DESC, key LIMIT " +
           std::to_string(n) + " BY i";
}

result<paths_result> run_paths(const paths_options& o, query_runner& db) {
    auto answer = db.run(paths_sql(o));
    if (!answer) return failure<error>{answer.error()};
    paths_result out;
    try {
        for (const auto& r : answer->data) {
            if (as_int(r.at(0)) < 0) out.sessions = static_cast<std::uint64_t>(as_int(r.at(2)));
        }
        std::map<std::int64_t, std::int64_t> taken;  // rows kept per step (LIMIT BY the larger)
        for (const auto& r : answer->data) {
            const std::int64_t i = as_int(r.at(0));
            const auto& key = r.at(1);
            const auto sessions = static_cast<std::uint64_t>(as_int(r.at(2)));
            if (i < 0) continue;
            if (++taken[i] > (i == 0 ? o.limit : o.transitions_limit)) continue;
            if (i == 0) {
                path_sequence s;
                for (const auto& page : key) s.pages.push_back(as_string(page));
                s.sessions = sessions;
                s.share = out.sessions > 0 ? double(s.sessions) / double(out.sessions) : 0;
                out.sequences.push_back(std::move(s));
            } else {
                out.transitions.push_back(
                    {i, as_string(key.at(0)), as_string(key.at(1)), sessions});
            }
        }
    } catch (const std::exception& e) {
        return failure<error>{{errc::bad_answer, e.what()}};
    }
    return out;
}

nlohmann::json to_json(const paths_options& o, const paths_result& r) {
    nlohmann::json seqs = nlohmann::json::array();
    for (const auto& s : r.sequences) {
        seqs.push_back({{"pages", s.pages}, {"sessions", s.sessions}, {"share", s.share}});
    }
    nlohmann::json tr = nlohmann::json::array();
    for (const auto& t : r.transitions) {
        tr.push_back({{"step", t.step}, {"from", t.from}, {"to", t.to}, {"sessions", t.sessions}});
    }
    return {{"query",
             {{"start", o.start_page.empty() ? nlohmann::json() : nlohmann::json(o.start_page)},
              {"end", o.end_page.empty() ? nlohmann::json() : nlohmann::json(o.end_page)},
              {"depth", o.depth},
              {"collapse", o.collapse},
              {"exits", o.exits},
              {"site", o.where.site},
              {"from", format_date(o.where.from_day)},
              {"to", format_date(o.where.to_day)}}},
            {"sessions", r.sessions},
            {"sequences", seqs},
            {"transitions", tr}};
}

std::vector<table> to_tables(const paths_options& o, const paths_result& r) {
    table s;
    s.title = "Paths " +
              (o.start_page.empty() ? (o.end_page.empty() ? std::string("from the landing page")
                                                          : "into " + o.end_page)
                                    : "from " + o.start_page) +
              " (" + format_count(double(r.sessions)) + " sessions)";
    s.columns = {"sessions", "share", "path"};
    s.numeric = {true, true, false};
    for (const auto& q : r.sequences) {
        std::string path;
        for (const auto& p : q.pages) path += (path.empty() ? "" : " > ") + p;
        s.rows.push_back({format_count(double(q.sessions)), format_percent(q.share), path});
    }
    table t;
    t.title = "Transitions";
    t.columns = {"step", "from", "to", "sessions"};
    t.numeric = {true, false, false, true};
    for (const auto& x : r.transitions) {
        t.rows.push_back({std::to_string(x.step), x.from, x.to, format_count(double(x.sessions))});
    }
    return {s, t};
}

}  // namespace clickstream::analysis
