// Session rows as ClickHouse JSONEachRow lines (the `sessions` columns of
// 0002_sessions.sql and 0004_sessions_chain.sql). Pure.
#pragma once

#include <string>

#include "processor/sessionize/session_window.h"

namespace clickstream::sessionize {

// One JSON object, no newline.
std::string to_json_row(const session_row& r);

}  // namespace clickstream::sessionize
