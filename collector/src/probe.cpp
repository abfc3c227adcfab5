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
}

void probe::request(std::string_view route, unsigned status) {
    requests_.with({std::string(route), std::to_string(status)}).inc();
}

void probe::received_bytes(std::string_view route, std::size_t bytes) {
    received_bytes_.with({std::string(route)}).inc(static_cast<double>(bytes));
}

void probe::rejected(std::string_view reason) {
    rejects_.with({std::string(reason)}).inc();
}

void probe::batch(outcome o, std::size_t bytes) {
    batches_.with({std::string(to_string(o))}).inc();
    batch_bytes_.with({std::string(to_string(o))}).inc(static_cast<double>(bytes));
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
