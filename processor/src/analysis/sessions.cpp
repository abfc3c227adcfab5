#include "processor/analysis/sessions.h"

#include "processor/analysis/identity.h"

namespace clickstream::analysis {
namespace {

// The filters on the session's own columns (applied before the identity
// join, which ClickHouse 18.16 would otherwise run over every session).
std::string where_clause(const sessions_options& o) {
    std::string w = "events > 0 AND start_ms >= " + std::to_string(o.where.from_ms()) +
                    " AND start_ms < " + std::to_string(o.where.to_ms());
    if (!o.where.site.empty()) w += " AND site = " + sql_string(o.where.site);
    if (!o.channel.empty()) w += " AND channel = " + sql_string(o.channel);
    if (o.converted_only) w += " AND conversions > 0";
    return w;
}

// The filtered sessions with the person's identity joined; the person filter
// needs the joined map, so it comes after the join. The map is built only for
// the anonymous ids the filter lets through (read without FINAL: a superset).
std::string filtered_sessions(const sessions_options& o) {
    const std::string w = where_clause(o);
    std::string sql =
        "(SELECT site, session_id, anonymous_id, user_id, channel, utm_campaign, landing_page, "
        "exit_page, device_type, start_ms, duration_ms, events, page_views, conversions, "
        "revenue, bounce FROM sessions FINAL WHERE " +
        w + ") " +
        identity_join("SELECT site, anonymous_id FROM sessions WHERE " + w, o.where.site);
    if (!o.person.empty()) {
        sql += " WHERE (" + person_expression() + " = " + sql_string(o.person) +
               " OR anonymous_id = " + sql_string(o.person) + ")";
    }
    return sql;
}

}  // namespace

result<sessions_options> parse_sessions_params(const params& p, std::int64_t now_ms) {
    if (auto k = check_known(p, {"person", "channel", "converted", "limit", "site", "from", "to"});
        !k) {
        return failure<error>{k.error()};
    }
    sessions_options o;
    auto f = parse_filters(p, now_ms);
    if (!f) return failure<error>{f.error()};
    o.where = *f;
    if (const auto* s = find(p, "person")) o.person = *s;
    if (const auto* s = find(p, "channel")) o.channel = *s;
    auto c = parse_bool(p, "converted", false);
    if (!c) return failure<error>{c.error()};
    o.converted_only = *c;
    auto limit = parse_int(p, "limit", 50, 1, 10000);
    if (!limit) return failure<error>{limit.error()};
    o.limit = *limit;
    return o;
}

std::string sessions_sql(const sessions_options& o) {
    return "SELECT site, session_id, " + person_expression() +
           " AS person, channel, utm_campaign, landing_page, exit_page, device_type, start_ms, "
           "duration_ms, events, page_views, conversions, toFloat64(revenue) FROM " +
           filtered_sessions(o) + " ORDER BY start_ms DESC, site, session_id LIMIT " +
           std::to_string(o.limit);
}

std::string sessions_summary_sql(const sessions_options& o) {
    return "SELECT count(), uniqExact(site, " + person_expression() +
           "), countIf(conversions > 0), sum(conversions), sum(toFloat64(revenue)), avg(bounce) "
           "FROM " +
           filtered_sessions(o);
}

result<sessions_result> run_sessions(const sessions_options& o, query_runner& db) {
    auto summary = db.run(sessions_summary_sql(o));
    if (!summary) return failure<error>{summary.error()};
    auto list = db.run(sessions_sql(o));
    if (!list) return failure<error>{list.error()};
    sessions_result out;
    try {
        if (!summary->data.empty()) {
            const auto& r = summary->data.front();
            out.summary.sessions = static_cast<std::uint64_t>(as_int(r.at(0)));
            out.summary.people = static_cast<std::uint64_t>(as_int(r.at(1)));
            out.summary.converted = static_cast<std::uint64_t>(as_int(r.at(2)));
            out.summary.conversions = static_cast<std::uint64_t>(as_int(r.at(3)));
            out.summary.revenue = as_double(r.at(4));
            out.summary.bounce_rate = out.summary.sessions > 0 ? as_double(r.at(5)) : 0;
        }
        for (const auto& r : list->data) {
            session_item s;
            s.site = as_string(r.at(0));
            s.session_id = as_string(r.at(1));
            s.person = as_string(r.at(2));
            s.channel = as_string(r.at(3));
            s.campaign = as_string(r.at(4));
            s.landing_page = as_string(r.at(5));
            s.exit_page = as_string(r.at(6));
            s.device = as_string(r.at(7));
            s.start_ms = as_int(r.at(8));
            s.duration_ms = as_int(r.at(9));
            s.events = static_cast<std::uint64_t>(as_int(r.at(10)));
            s.page_views = static_cast<std::uint64_t>(as_int(r.at(11)));
            s.conversions = static_cast<std::uint64_t>(as_int(r.at(12)));
            s.revenue = as_double(r.at(13));
            out.items.push_back(std::move(s));
        }
    } catch (const std::exception& e) {
        return failure<error>{{errc::bad_answer, e.what()}};
    }
    return out;
}

nlohmann::json to_json(const sessions_options& o, const sessions_result& r) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& s : r.items) {
        items.push_back({{"site", s.site},
                         {"session_id", s.session_id},
                         {"person", s.person},
                         {"start_ms", s.start_ms},
                         {"duration_ms", s.duration_ms},
                         {"channel", s.channel},
                         {"campaign", s.campaign},
                         {"landing_page", s.landing_page},
                         {"exit_page", s.exit_page},
                         {"device", s.device},
                         {"events", s.events},
                         {"page_views", s.page_views},
                         {"conversions", s.conversions},
                         {"revenue", s.revenue}});
    }
    const auto& m = r.summary;
    return {{"query",
             {{"person", o.person},
              {"channel", o.channel},
              {"converted", o.converted_only},
              {"site", o.where.site},
              {"from", format_date(o.where.from_day)},
              {"to", format_date(o.where.to_day)}}},
            {"summary",
             {{"sessions", m.sessions},
              {"people", m.people},
              {"converted_sessions", m.converted},
              {"conversions", m.conversions},
              {"revenue", m.revenue},
              {"bounce_rate", m.bounce_rate}}},
            {"sessions", items}};
}

std::vector<table> to_tables(const sessions_options& o, const sessions_result& r) {
    table s;
    s.title = "Sessions " + format_date(o.where.from_day) + " to " + format_date(o.where.to_day);
    s.columns = {"sessions", "people", "converted", "conversions", "revenue", "bounce rate"};
    s.numeric = {true, true, true, true, true, true};
    const auto& m = r.summary;
    s.rows.push_back({format_count(double(m.sessions)), format_count(double(m.people)),
                      format_count(double(m.converted)), format_count(double(m.conversions)),
                      format_decimal(m.revenue, 2), format_percent(m.bounce_rate)});
    table t;
    t.title = "Newest " + std::to_string(r.items.size()) + " sessions";
    t.columns = {"start (UTC)", "person", "session",  "channel", "landing",
                 "exit",        "pages",  "duration", "conv",    "revenue"};
    t.numeric = {false, false, false, false, false, false, true, true, true, true};
    for (const auto& x : r.items) {
        const std::int64_t sec = x.start_ms / 1000;
        char clock[16];
        std::snprintf(clock, sizeof clock, "%02lld:%02lld:%02lld",
                      static_cast<long long>(sec / 3600 % 24),
                      static_cast<long long>(sec / 60 % 60), static_cast<long long>(sec % 60));
        t.rows.push_back({format_date(sec / 86400) + " " + clock, x.person, x.session_id, x.channel,
                          x.landing_page, x.exit_page, format_count(double(x.page_views)),
                          format_duration_ms(double(x.duration_ms)),
                          format_count(double(x.conversions)), format_decimal(x.revenue, 2)});
    }
    return {s, t};
}

}  // namespace clickstream::analysis
