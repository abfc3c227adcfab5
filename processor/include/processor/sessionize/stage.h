// The sessionize stage without Kafka: messages of the clean topic in (by
// partition and offset), rows out to the sinks in batches, and the offsets
// that may be committed. The Kafka loop (service.cpp) feeds it; tests feed it
// by hand with in-memory sinks.
//
// Delivery: flush() writes every pending event row, then every pending
// session row, retrying each with backoff until the sink takes it (an outage
// pauses the stage; nothing is dropped or skipped). Only after a flush are
// commit points valid: per partition the lowest offset an open session still
// needs (session_window::lowest_needed), never past what was read.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "processor/sessionize/probe.h"
#include "processor/sessionize/session_window.h"
#include "processor/sessionize/sink.h"

namespace clickstream::sessionize {

struct stage_options {
    window_options window;
    std::size_t batch_events = 5000;                 // flush when this many event rows wait
    std::chrono::milliseconds batch_interval{1000};  // or when the oldest waited this long
    std::chrono::milliseconds backoff_initial{200};
    std::chrono::milliseconds backoff_max{30'000};
};

struct commit_point {
    std::int32_t partition = -1;
    std::int64_t offset = -1;  // the next offset to read after a restart
    std::string metadata;      // to commit with it: encode_marks() of the marks there
};

// The partition marks as commit metadata ("wm1 <live> <import>", "-" for
// none), and back; nullopt for anything else (another format, another tool).
std::string encode_marks(const partition_marks& marks);
std::optional<partition_marks> decode_marks(std::string_view metadata) noexcept;

class stage {
public:
    // `sleep(ms)` waits between retries and answers false when the stage must
    // stop (the pending rows then stay pending, nothing is committed).
    using sleeper = std::function<bool(std::chrono::milliseconds)>;

    stage(stage_options options, event_sink& events, session_sink& sessions, probe& metrics,
          common::logger& log);

    // One message. A partition read again from an earlier offset (a
    // rebalance handed it back from its committed offset) is rebuilt from
    // there: its state is dropped first.
    void on_message(std::int32_t partition, std::int64_t offset, std::string_view value,
                    std::int64_t wall_ms);
    // True when a message at `offset` starts the partition afresh: the stage
    // holds nothing for it (just assigned) or it was read again from an
    // earlier offset (a rebalance handed it back from the committed one).
    // The caller then looks up the committed offset and calls resume().
    bool starts_partition(std::int32_t partition, std::int64_t offset) const noexcept;
    // Starts `partition` afresh at `offset` (dropping what it held). When
    // that is the committed offset and `metadata` holds marks, the window
    // resumes from them, so the restart takes every event as the run that
    // committed did.
    void resume(std::int32_t partition, std::int64_t offset, std::int64_t committed_offset,
                std::string_view metadata);
    // Idle rows for sessions that got nothing for the idle timeout.
    void tick(std::int64_t wall_ms);
    bool flush_due(std::int64_t wall_ms) const noexcept;
    // Writes what is pending; false if `sleep` said stop before all was written.
    bool flush(std::int64_t wall_ms, const sleeper& sleep);
    // After a successful flush: what to commit for these partitions (only
    // those that moved since the last call).
    std::vector<commit_point> commit_points(const std::vector<std::int32_t>& assigned);
    // A partition this instance no longer holds.
    void drop_partition(std::int32_t partition);

    const session_window& window() const noexcept { return window_; }
    std::size_t pending_events() const noexcept { return events_pending_.size(); }
    std::size_t pending_sessions() const noexcept { return sessions_pending_.size(); }

private:
    template <class Write>
    bool write_with_retry(std::string_view table, Write&& write, const sleeper& sleep);
    void take_rows();

    stage_options options_;
    session_window window_;
    event_sink& events_;
    session_sink& sessions_;
    probe& probe_;
    common::logger& log_;
    std::vector<std::string> events_pending_;
    std::vector<session_row> sessions_pending_;
    std::vector<session_row> closed_;
    std::int64_t oldest_pending_ms_ = -1;
    std::map<std::int32_t, std::int64_t> position_;   // next offset to read
    std::map<std::int32_t, std::int64_t> committed_;  // last commit point given
};

}  // namespace clickstream::sessionize
