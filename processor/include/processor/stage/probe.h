// Every /metrics series of the enrich stage, named in one place (probe.cpp).
// The stage calls the increment methods; counts of outputs are added only
// when their transaction committed, so the figures agree with what
// read_committed readers see.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/metrics.h"

namespace clickstream::processor {

class enrich_probe {
public:
    explicit enrich_probe(common::metrics::registry& registry);

    void batch_in(std::string_view source);                    // a raw message read
    void events_out(std::string_view topic, std::uint64_t n);  // committed
    void dlq(std::string_view reason, std::uint64_t n);        // committed
    void bots(std::string_view rule, std::uint64_t n);         // committed
    void dedup_hits(std::uint64_t n);                          // committed
    void transaction_committed(double seconds);                // begin → commit
    void transaction_aborted(std::string_view why);
    void transaction_open(bool open, std::uint64_t outputs);
    void latency(double seconds);  // collector receive time → commit, per event
    // Once, at start-up: read when /metrics is scraped (thread-safe reader).
    void watch_lag(std::function<double()> read);
    void set_ready(bool ready);
    bool ready() const noexcept;

    // The series, for tests and the stage's own logs.
    double events_out_total(std::string_view topic);
    double commits_total() const;
    double aborts_total(std::string_view why);

    common::metrics::registry& registry() noexcept { return registry_; }

private:
    common::metrics::registry& registry_;
    common::metrics::family<common::metrics::counter>& batches_in_;
    common::metrics::family<common::metrics::counter>& events_out_;
    common::metrics::family<common::metrics::counter>& dlq_;
    common::metrics::family<common::metrics::counter>& bots_;
    common::metrics::counter& dedup_hits_;
    common::metrics::counter& commits_;
    common::metrics::family<common::metrics::counter>& aborts_;
    common::metrics::histogram& transaction_seconds_;
    common::metrics::gauge& open_;
    common::metrics::gauge& open_outputs_;
    common::metrics::histogram& latency_;
    common::metrics::gauge& ready_;
};

}  // namespace clickstream::processor
