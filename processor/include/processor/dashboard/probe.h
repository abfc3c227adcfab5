// Every /metrics series of the dashboard, named once in probe.cpp.
#pragma once

#include <string_view>

#include "common/metrics.h"
#include "processor/dashboard/live_aggregate.h"

namespace clickstream::dashboard {

class probe {
public:
    explicit probe(common::metrics::registry& r);

    // A consumed message: its topic kind (clean | bots) and what became of it
    // (an add_result, or "replayed" when the replay guard skipped it).
    void message(std::string_view kind, std::string_view result);
    // Seconds from the message's Kafka timestamp to its being applied.
    void apply_lag(double seconds) { lag_->observe(seconds); }
    void consume_error() { consume_errors_->inc(); }
    void live_answer(std::string_view reason);  // changed | waited
    void request(std::string_view route, unsigned status);
    void history(std::string_view result, double seconds);  // ok | failed | busy
    void state(double sites, double keys) {
        sites_->set(sites);
        keys_->set(keys);
    }

    common::metrics::registry& registry() noexcept { return registry_; }

private:
    common::metrics::registry& registry_;
    common::metrics::family<common::metrics::counter>& messages_;
    common::metrics::family<common::metrics::counter>& live_answers_;
    common::metrics::family<common::metrics::counter>& requests_;
    common::metrics::family<common::metrics::counter>& history_;
    common::metrics::histogram* history_seconds_;
    common::metrics::histogram* lag_;
    common::metrics::counter* consume_errors_;
    common::metrics::gauge* sites_;
    common::metrics::gauge* keys_;
};

}  // namespace clickstream::dashboard
