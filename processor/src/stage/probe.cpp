#include "processor/stage/probe.h"

#include <string>

namespace clickstream::processor {

enrich_probe::enrich_probe(common::metrics::registry& r)
    : registry_(r),
      batches_in_(r.counters("clickstream_enrich_batches_in_total",
                             "Raw messages read from the raw topic, by source (batch, pixel).",
                             {"source"})),
      events_out_(r.counters("clickstream_enrich_events_out_total",
                             "Messages committed to an output topic, by topic (clean, bots, dlq).",
                             {"topic"})),
      dlq_(r.counters("clickstream_enrich_dlq_total",
                      "Raw messages committed to the dead-letter topic, by reason.", {"reason"})),
      bots_(r.counters("clickstream_enrich_bots_total",
                       "Events committed to the bots topic, by the rule that matched.", {"rule"})),
      dedup_hits_(r.counters("clickstream_enrich_dedup_hits_total",
                             "Events not emitted again: their id was seen within the dedup window.")
                      .with({})),
      commits_(r.counters("clickstream_enrich_transaction_commits_total",
                          "Transactions committed (outputs and input offsets together).")
                   .with({})),
      aborts_(r.counters("clickstream_enrich_transaction_aborts_total",
                         "Transactions aborted, by why (commit_failed, produce_failed, revoked).",
                         {"why"})),
      transaction_seconds_(r.histograms("clickstream_enrich_transaction_seconds",
                                        "From a transaction's begin to its commit.",
                                        common::metrics::latency_buckets())
                               .with({})),
      open_(r.gauges("clickstream_enrich_transaction_open",
                     "1 while a transaction holds outputs not yet committed.")
                .with({})),
      open_outputs_(r.gauges("clickstream_enrich_transaction_open_outputs",
                             "Outputs produced in the open transaction.")
                        .with({})),
      latency_(r.histograms("clickstream_enrich_latency_seconds",
                            "Per event, from the collector's receive time to the commit that "
                            "made it visible.",
                            common::metrics::latency_buckets())
                   .with({})),
      ready_(r.gauges("clickstream_enrich_ready",
                      "1 once the stage has a transactional producer and consumes.")
                 .with({})) {}

void enrich_probe::batch_in(std::string_view source) {
    batches_in_.with({std::string(source)}).inc();
}

void enrich_probe::events_out(std::string_view topic, std::uint64_t n) {
    events_out_.with({std::string(topic)}).inc(static_cast<double>(n));
}

void enrich_probe::dlq(std::string_view reason, std::uint64_t n) {
    dlq_.with({std::string(reason)}).inc(static_cast<double>(n));
}

void enrich_probe::bots(std::string_view rule, std::uint64_t n) {
    bots_.with({std::string(rule)}).inc(static_cast<double>(n));
}

void enrich_probe::dedup_hits(std::uint64_t n) {
    dedup_hits_.inc(static_cast<double>(n));
}

void enrich_probe::transaction_committed(double seconds) {
    commits_.inc();
    transaction_seconds_.observe(seconds);
}

void enrich_probe::transaction_aborted(std::string_view why) {
    aborts_.with({std::string(why)}).inc();
}

void enrich_probe::transaction_open(bool open, std::uint64_t outputs) {
    open_.set(open ? 1 : 0);
    open_outputs_.set(static_cast<double>(outputs));
}

void enrich_probe::latency(double seconds) {
    latency_.observe(seconds);
}

void enrich_probe::watch_lag(std::function<double()> read) {
    registry_.gauge_callback("clickstream_enrich_lag_messages",
                             "Raw messages not yet read: high watermark minus position, summed "
                             "over the assigned partitions.",
                             std::move(read));
}

void enrich_probe::set_ready(bool ready) {
    ready_.set(ready ? 1 : 0);
}

bool enrich_probe::ready() const noexcept {
    return ready_.value() > 0;
}

double enrich_probe::events_out_total(std::string_view topic) {
    return events_out_.with({std::string(topic)}).value();
}

double enrich_probe::commits_total() const {
    return commits_.value();
}

double enrich_probe::aborts_total(std::string_view why) {
    return aborts_.with({std::string(why)}).value();
}

}  // namespace clickstream::processor
