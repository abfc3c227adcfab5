// Where the sessionize stage writes: the interfaces the stage talks to, so
// that tests give it in-memory fakes (tests/support/memory_session_sinks.h)
// and production the ClickHouse writer (clickhouse.h). A sink answers written
// or an error to retry later; it never drops rows on its own.
#pragma once

#include <string>
#include <vector>

#include "processor/sessionize/errc.h"
#include "processor/sessionize/session_window.h"

namespace clickstream::sessionize {

class event_sink {
public:
    virtual ~event_sink() = default;
    // Rows of `events`: clean-event JSON objects, one per element. All or
    // nothing from the caller's view: on an error it writes them all again.
    virtual result<void> write_events(const std::vector<std::string>& rows) noexcept = 0;
};

class session_sink {
public:
    virtual ~session_sink() = default;
    virtual result<void> write_sessions(const std::vector<session_row>& rows) noexcept = 0;
};

}  // namespace clickstream::sessionize
