// batch_encoder: the batch v1 JSON, keys in the contract's order
// (docs/contracts/README.md), so every build writes the same bytes for the
// same input. Events are encoded once, when tracked (they never change);
// the envelope is written at each send attempt, with that attempt's sent_at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "clickstream/event.h"
#include "clickstream/options.h"

namespace clickstream {

// What the tracker adds to an app's event.
struct event_stamp {
    std::string_view id;
    std::int64_t ts = 0;
    std::string_view session_id;
    std::int64_t session_index = 0;
    std::int64_t seq = 0;
};

// One event object ({"id":...}), validated beforehand. encoded_props, when
// not empty, are the props object's members already encoded, written in
// place of e.props (tracker_core::track).
std::string encode_event(const event& e, const event_stamp& stamp,
                         std::string_view encoded_props = {});

// Events the SDK discarded since its previous batch.
struct dropped_counts {
    std::uint64_t queue_full = 0;
    std::uint64_t consent_denied = 0;
    std::uint64_t rejected = 0;
};

struct batch_header {
    const tracker_options& options;
    std::string_view anonymous_id;
    std::string_view user_id;  // empty: left out
    std::int64_t session_timeout_s = 0;
    std::int64_t sent_at = 0;
    std::optional<dropped_counts> dropped;  // nullopt: no dropped block
};

class batch_encoder {
public:
    // Writes everything up to the events' array.
    explicit batch_encoder(const batch_header& header);
    // Adds one encoded event.
    void add(std::string_view event_json);
    // The size the batch would have with one more event of n bytes.
    std::size_t size_with(std::size_t n) const noexcept { return body_.size() + n + 3; }
    std::string finish() &&;

private:
    std::string body_;
    bool first_event_ = true;
};

}  // namespace clickstream
