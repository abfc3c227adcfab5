#include "processor/analysis/identity.h"

#include "processor/analysis/params.h"

namespace clickstream::analysis {

std::string identity_join(const std::string& only_from, const std::string& site) {
    // session_identities (migration 0005) is `sessions` cut to the rows with a
    // user id: its FINAL rows are those of `sessions FINAL` that have one.
    // Merged sessions (events = 0) are empty rows and carry no identity.
    std::string where = "events > 0";
    if (!only_from.empty()) where += " AND (site, anonymous_id) IN (" + only_from + ")";
    // One site: the map is that site's alone.
    if (!site.empty()) where += " AND site = " + sql_string(site);
    const std::string key = site_key(site) + "anonymous_id";
    return "ANY LEFT JOIN (SELECT " + key +
           ", argMax(user_id, end_ms) AS known_user_id FROM session_identities FINAL WHERE " +
           where + " GROUP BY " + key + ") USING (" + key + ")";
}

std::string person_expression() {
    return "if(user_id != '', user_id, if(known_user_id != '', known_user_id, anonymous_id))";
}

std::string site_key(const std::string& site) {
    return site.empty() ? "site, " : "";
}

}  // namespace clickstream::analysis
