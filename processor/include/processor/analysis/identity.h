// Who a "person" is, for per-user funnels and attribution (docs/analysis.md,
// "Identity"):
//
//   1. the row's own user id, if it has one;
//   2. else the user id most recently seen (by session end) with the same
//      anonymous id on the same site: a visitor who signs in later is joined
//      to the anonymous sessions of that browser or device before it;
//   3. else the anonymous id.
//
// People are per site. The map of step 2 is built at each query from
// `session_identities` (migration 0005: the rows of `sessions` with a user id,
// kept by a materialized view), so a sign-in re-attributes earlier sessions at
// the next query.
#pragma once

#include <string>

namespace clickstream::analysis {

// `ANY LEFT JOIN (anonymous id → known user id) USING (site, anonymous_id)`,
// to follow a FROM over `events` or `sessions`; it adds `known_user_id`.
// The FROM needs no subquery to filter first: ClickHouse 18.16 applies the
// WHERE on the left side before it joins (measured: a pre-filtering subquery
// changed no time; docs/analysis.md). `only_from`, when given, is a SELECT of
// (site, anonymous_id) pairs that holds at least every pair of the joined
// rows: the map is built for those alone, which changes no answer and keeps
// the map small when few rows are joined.
// `site`, when given, is the one site every joined row is of (the query
// filters on it): the map is built for it alone and joined USING
// (anonymous_id), which gives the same answer for those rows, faster.
std::string identity_join(const std::string& only_from = {}, const std::string& site = {});
// The person id, over a row with user_id, anonymous_id and known_user_id.
std::string person_expression();
// What leads a grouping or join key of per-site ids (sessions, people,
// anonymous ids): "site, " when the query spans sites, "" when it filters on
// one (`site`): a single string key groups and joins far faster than the
// (site, id) pair in ClickHouse 18.16, and the answer is the same.
std::string site_key(const std::string& site);

}  // namespace clickstream::analysis
