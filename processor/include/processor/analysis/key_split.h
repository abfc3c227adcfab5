// Reading the session-keyed tables in two ranges of the session id, so that
// what follows a read runs on two threads in ClickHouse 18.16, where one read
// (and one `FINAL`) is one stream, and so is everything after it
// (docs/analysis.md, "How the queries read the tables").
//
// A key range is exact wherever a session's rows are all that is grouped
// together (attribution's people, whose sessions are joined after the reads;
// a session funnel's units): every row of a session, and every version of a
// session row, has the session's id, so each read holds all of them, and the
// index skips the other range's granules. The point only decides how the
// work divides, never the answer.
#pragma once

#include <string>
#include <string_view>

#include "processor/analysis/query_runner.h"

namespace clickstream::analysis {

// The split point of the rows that match `sessions_where` in `sessions`:
// the median of their ids (no FINAL: a version more or less moves the
// median, not the answer), as the hex of their first 8 bytes read as a
// big-endian number, zero-padded, '' without rows; the sample is chosen by
// the id, so the point repeats. Beside it, the server's max_threads for this
// user (what one read of the query after it may use), or 0 where the user
// may not change a setting in a query (readonly = 1). One row.
std::string split_point_sql(const std::string& sessions_where);
// The split point from that hex: trailing zero bytes dropped; empty for no
// split (no sessions, or not hex).
std::string split_point_hex(std::string_view median_hex);
struct key_split {
    std::string point;     // split_point_hex's; empty: no split, one read
    unsigned threads = 0;  // the server's max_threads (0: not known or not settable)
};
// Runs split_point_sql.
result<key_split> find_split_point(query_runner& db, const std::string& sessions_where);
// The two ranges, as conditions on `session_id`: below the point, and from
// it on (`split_hex` from split_point_hex, not empty).
std::string below_split(std::string_view split_hex);
std::string from_split(std::string_view split_hex);

}  // namespace clickstream::analysis
