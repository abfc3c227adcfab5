#include "processor/analysis/identity.h"

namespace clickstream::analysis {

std::string identity_join(const std::string& only_from) {
    // Merged sessions (events = 0) are empty rows and carry no identity.
    std::string where = "user_id != '' AND events > 0";
    if (!only_from.empty()) where += " AND (site, anonymous_id) IN (" + only_from + ")";
    return "ANY LEFT JOIN (SELECT site, anonymous_id, argMax(user_id, end_ms) AS known_user_id "
           "FROM sessions FINAL WHERE " +
           where + " GROUP BY site, anonymous_id) USING (site, anonymous_id)";
}

std::string person_expression() {
    return "if(user_id != '', user_id, if(known_user_id != '', known_user_id, anonymous_id))";
}

}  // namespace clickstream::analysis
