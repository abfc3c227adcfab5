// recording_transport: the shared transport of all simulated visitors, in
// front of the real one. It reads each batch it is given to learn what the
// SDK assigned to each event (id, session, seq, time) and counts outcomes;
// the ground truth is joined from it. Thread-safe: every tracker's sender
// thread calls it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "clickstream/environment.h"

namespace clickstream::traffic_gen {

// One event as the SDK put it in a batch.
struct recorded_event {
    std::string id;
    std::string type;
    std::string session_id;
    std::int64_t session_index = 0;
    std::int64_t seq = 0;
    std::int64_t ts = 0;
    std::optional<std::int64_t> true_ts;
    std::string user_id;  // context.user_id of its batch
};

struct delivery_counts {
    std::uint64_t batches = 0;          // attempts
    std::uint64_t batches_sent = 0;     // answered 2xx
    std::uint64_t batches_retried = 0;  // answered "try again"
    std::uint64_t batches_dropped = 0;  // refused for good
    std::uint64_t unreadable = 0;       // bodies we could not read (a bug)
    std::string last_problem;           // the latest retry or drop reason, with its status
};

class recording_transport final : public clickstream::transport {
public:
    explicit recording_transport(std::shared_ptr<clickstream::transport> inner);

    send_result send(const send_request& request) noexcept override;
    result<std::string, errc> fetch(std::string_view url) noexcept override;

    // The events seen for an anonymous id, once each (a retry re-sends the
    // same ids), in the order they were first seen, which is the order the
    // tracker took them; forgotten once taken.
    std::vector<recorded_event> take(const std::string& anonymous_id);
    delivery_counts counts() const;

private:
    std::shared_ptr<clickstream::transport> inner_;
    mutable std::mutex mutex_;
    std::map<std::string, std::vector<recorded_event>> seen_;
    std::set<std::string> ids_;
    delivery_counts counts_;
};

}  // namespace clickstream::traffic_gen
