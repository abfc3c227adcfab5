// Every /metrics series of the collector, named in one place (probe.cpp).
// Logic calls the increment methods; state that is read on demand (queue
// depths, connections) is registered once with watch().
#pragma once

#include <array>
#include <atomic>
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
    // The routes and statuses of requests_, and the routes of received_bytes_,
    // looked up once per label set and then found without the family's lock
    // or any allocation: these are counted on every request.
    static constexpr std::size_t route_count = 10;  // the routes handle_request names
    static constexpr unsigned first_status = 100, status_count = 500;
    static std::size_t route_index(std::string_view route) noexcept;  // route_count: other
    common::metrics::counter& request_counter(std::size_t route, std::string_view name,
                                              unsigned status);

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
    std::array<std::atomic<common::metrics::counter*>, route_count * status_count>
        request_series_{};
    std::array<std::atomic<common::metrics::counter*>, route_count> received_series_{};
    std::array<common::metrics::counter*, 3> batch_series_{};  // by outcome
    std::array<common::metrics::counter*, 3> batch_bytes_series_{};
};

}  // namespace clickstream::collector
