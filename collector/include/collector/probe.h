// Every /metrics series of the collector, named in one place (probe.cpp).
// Logic calls the increment methods; state that is read on demand (queue
// depths, connections) is registered once with watch().
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "common/metrics.h"

namespace clickstream::collector {

enum class outcome { acked, spooled, refused };

std::string_view to_string(outcome o) noexcept;

class probe {
public:
    explicit probe(common::metrics::registry& registry);

    void request(std::string_view route, unsigned status);  // answered
    void received_bytes(std::string_view route, std::size_t bytes);
    void rejected(std::string_view reason);
    void batch(outcome o, std::size_t bytes);
    void produce_latency(double seconds);
    void in_flight(int delta);
    void replayed(std::size_t records);
    void kafka_state_changed(bool up);

    struct readers {
        std::function<double()> pending_bytes;  // waiting for Kafka
        std::function<double()> spool_bytes;    // in the spool, not yet delivered
        std::function<double()> spool_records;
        std::function<double()> producer_outstanding;
        std::function<double()> connections;
        std::function<double()> connections_refused;
        std::function<double()> producer_recreations;
    };
    // Once, at start-up.
    void watch(const readers& r);

    common::metrics::registry& registry() noexcept { return registry_; }

private:
    common::metrics::registry& registry_;
    common::metrics::family<common::metrics::counter>& requests_;
    common::metrics::family<common::metrics::counter>& received_bytes_;
    common::metrics::family<common::metrics::counter>& rejects_;
    common::metrics::family<common::metrics::counter>& batches_;
    common::metrics::family<common::metrics::counter>& batch_bytes_;
    common::metrics::histogram& produce_latency_;
    common::metrics::gauge& in_flight_;
    common::metrics::counter& replayed_;
    common::metrics::gauge& kafka_up_;
};

}  // namespace clickstream::collector
