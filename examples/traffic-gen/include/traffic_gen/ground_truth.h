// The ground truth: a JSON Lines file of what the generator meant and did.
//
//   {"kind":"run", ...the options that decide the traffic}
//   {"kind":"event", ...} one per event tracked, as the SDK stamped it
//   {"kind":"session", ...} one per session, after its visit's events
//   {"kind":"totals", ...} at the end
//
// Sessions are the model's (it decides when a visit starts, pauses and
// ends); each carries the session id the SDK gave its events, so the
// pipeline's sessions can be compared row by row. docs/traffic-gen.md
// lists every field.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "clickstream/result.h"
#include "traffic_gen/model.h"
#include "traffic_gen/recorder.h"

namespace clickstream::traffic_gen {

struct truth_totals {
    std::uint64_t visitors = 0;
    std::uint64_t bot_visitors = 0;
    std::uint64_t visits = 0;
    std::uint64_t sessions = 0;
    std::uint64_t bot_sessions = 0;
    std::uint64_t events = 0;
    std::uint64_t bot_events = 0;
    std::uint64_t conversions = 0;
    double revenue = 0;
};

class ground_truth_writer {
public:
    // out may be null: nothing is written, the totals are still kept.
    explicit ground_truth_writer(std::ostream* out) : out_(out) {}

    void run_header(const std::string& json_object_line);
    // The first `tracked` events of the plan were tracked; `recorded` is what
    // the SDK sent for them, in order. Fails if the two do not line up, or
    // if the SDK's sessions are not the model's.
    result<void, std::string> visit(const visitor& v, const visit_plan& plan, std::size_t tracked,
                                    const std::vector<recorded_event>& recorded);
    void new_visitor(const visitor& v);
    void finish();
    const truth_totals& totals() const noexcept { return totals_; }

private:
    std::ostream* out_;
    truth_totals totals_;
};

}  // namespace clickstream::traffic_gen
