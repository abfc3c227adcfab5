#include "collector/probe.h"

#include <string>

namespace clickstream::collector {

std::string_view to_string(outcome o) noexcept {
    switch (o) {
        case outcome::acked:
            return "acked";
        case outcome::spooled:
            return "spooled";
        case outcome::refused:
            return "refused";
    }
    return "unknown";
}

probe::probe(common::metrics::registry& r)
    : registry_(r),
      requests_(r.counters("clickstream_collector_requests_total",
                           "HTTP requests answered, by route and status.", {"route", "status"})),
      received_bytes_(r.counters(
          "clickstream_collector_received_bytes_total",
          "Request body bytes received (as sent, before inflating), by route.", {"route"})),
      rejects_(r.counters("clickstream_collector_rejects_total",
                          "Requests refused, by reason (unknown_site, origin_refused, ...).",
                          {"reason"})),
      batches_(r.counters("clickstream_collector_batches_total",
                          "Messages made durable or refused: acked by Kafka, spooled to disk, "
                          "refused (spool full).",
                          {"outcome"})),
      batch_bytes_(r.counters("clickstream_collector_batch_bytes_total",
                              "Raw message bytes (inflated) by outcome.", {"outcome"})),
      produce_latency_(r.histograms("clickstream_collector_produce_latency_seconds",
                                    "From produce to Kafka's acknowledgement (or failure).",
                                    common::metrics::latency_buckets())
                           .with({})),
      in_flight_(r.gauges("clickstream_collector_in_flight_requests",
                          "Requests being handled (waiting for Kafka or the spool included).")
                     .with({})),
      replayed_(r.counters("clickstream_collector_spool_replayed_total",
                           "Spooled records delivered to Kafka.")
                    .with({})),
      kafka_up_(r.gauges("clickstream_collector_kafka_up",
                         "1 while Kafka takes messages, 0 while batches go to the spool.")
                    .with({})) {
    kafka_up_.set(1);
    for (const outcome o : {outcome::acked, outcome::spooled, outcome::refused}) {
        const auto i = static_cast<std::size_t>(o);
        batch_series_[i] = &batches_.with({std::string(to_string(o))});
        batch_bytes_series_[i] = &batch_bytes_.with({std::string(to_string(o))});
    }
}

std::size_t probe::route_index(std::string_view route) noexcept {
    static constexpr std::array<std::string_view, route_count> routes = {
        "batch",   "pixel",  "config",  "preflight", "sdk",
        "healthz", "readyz", "metrics", "other",     "options"};
    for (std::size_t i = 0; i < routes.size(); ++i) {
        if (routes[i] == route) return i;
    }
    return route_count;
}

common::metrics::counter& probe::request_counter(std::size_t route, std::string_view name,
                                                 unsigned status) {
    if (route == route_count || status < first_status || status >= first_status + status_count) {
        return requests_.with({std::string(name), std::to_string(status)});
    }
    auto& slot = request_series_[route * status_count + (status - first_status)];
    common::metrics::counter* c = slot.load(std::memory_order_acquire);
    if (c == nullptr) {  // a race makes `with` find the same series twice: harmless
        c = &requests_.with({std::string(name), std::to_string(status)});
        slot.store(c, std::memory_order_release);
    }
    return *c;
}

void probe::request(std::string_view route, unsigned status) {
    request_counter(route_index(route), route, status).inc();
}

void probe::received_bytes(std::string_view route, std::size_t bytes) {
    const std::size_t i = route_index(route);
    common::metrics::counter* c = nullptr;
    if (i == route_count) {
        c = &received_bytes_.with({std::string(route)});
    } else {
        c = received_series_[i].load(std::memory_order_acquire);
        if (c == nullptr) {
            c = &received_bytes_.with({std::string(route)});
            received_series_[i].store(c, std::memory_order_release);
        }
    }
    c->inc(static_cast<double>(bytes));
}

void probe::rejected(std::string_view reason) {
    rejects_.with({std::string(reason)}).inc();
}

void probe::batch(outcome o, std::size_t bytes) {
    batch_series_[static_cast<std::size_t>(o)]->inc();
    batch_bytes_series_[static_cast<std::size_t>(o)]->inc(static_cast<double>(bytes));
}

void probe::produce_latency(double seconds) {
    produce_latency_.observe(seconds);
}

void probe::in_flight(int delta) {
    in_flight_.inc(delta);
}

void probe::replayed(std::size_t records) {
    replayed_.inc(static_cast<double>(records));
}

void probe::kafka_state_changed(bool up) {
    kafka_up_.set(up ? 1 : 0);
}

void probe::watch(const readers& r) {
    registry_.gauge_callback("clickstream_collector_pending_bytes",
                             "Raw message bytes waiting for Kafka's acknowledgement.",
                             r.pending_bytes);
    registry_.gauge_callback("clickstream_collector_spool_bytes",
                             "Bytes in the disk spool not yet delivered to Kafka.", r.spool_bytes);
    registry_.gauge_callback("clickstream_collector_spool_records",
                             "Records in the disk spool not yet delivered to Kafka.",
                             r.spool_records);
    registry_.gauge_callback("clickstream_collector_producer_queue_messages",
                             "Messages in the Kafka producer without a delivery report yet.",
                             r.producer_outstanding);
    registry_.gauge_callback("clickstream_collector_connections", "Open client connections.",
                             r.connections);
    registry_.gauge_callback("clickstream_collector_connections_refused",
                             "Connections closed at once because the connection cap was reached "
                             "(since start).",
                             r.connections_refused);
    registry_.gauge_callback("clickstream_collector_producer_recreations",
                             "Times a fatal Kafka client error made the producer start anew "
                             "(since start).",
                             r.producer_recreations);
}

}  // namespace clickstream::collector
