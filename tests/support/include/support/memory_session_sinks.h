// In-memory event_sink and session_sink for the sessionize stage's unit
// tests: they keep what they took and can refuse (`fail_next(n)`), as
// ClickHouse does during an outage. Header-only; link clickstream::sessionize.
#pragma once

#include <string>
#include <vector>

#include "processor/sessionize/sink.h"

namespace clickstream::test {

class memory_session_sinks final : public sessionize::event_sink, public sessionize::session_sink {
public:
    result<void, sessionize::errc> write_events(
        const std::vector<std::string>& rows) noexcept override {
        ++attempts;
        if (failures_left > 0) {
            --failures_left;
            return failure{sessionize::errc::clickhouse_unreachable};
        }
        events.insert(events.end(), rows.begin(), rows.end());
        return {};
    }
    result<void, sessionize::errc> write_sessions(
        const std::vector<sessionize::session_row>& rows) noexcept override {
        ++attempts;
        if (failures_left > 0) {
            --failures_left;
            return failure{sessionize::errc::clickhouse_unreachable};
        }
        sessions.insert(sessions.end(), rows.begin(), rows.end());
        return {};
    }
    void fail_next(int n) { failures_left = n; }

    std::vector<std::string> events;
    std::vector<sessionize::session_row> sessions;
    int attempts = 0;
    int failures_left = 0;
};

}  // namespace clickstream::test
