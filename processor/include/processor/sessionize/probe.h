// Every /metrics series of the sessionize stage, named once in probe.cpp.
#pragma once

#include <string>
#include <string_view>

#include "common/metrics.h"
#include "processor/sessionize/session_window.h"

namespace clickstream::sessionize {

class probe {
public:
    explicit probe(common::metrics::registry& r);

    void event(std::string_view result);  // accepted | duplicate | late | invalid
    void late(bool historical);
    void timeout_mismatch(std::string_view kind);  // sdk_timeout | id_reused
    void closed(const session_row& row);           // by reason; missing-event share of final rows
    void open_sessions(double n) { open_->set(n); }
    void insert(std::string_view table, double seconds, bool ok);
    void paused(bool on) { paused_->set(on ? 1 : 0); }
    void commit_lag(double messages) { commit_lag_->set(messages); }
    void committed() { commits_->inc(); }
    void partitions_dropped(double n) { dropped_->inc(n); }

    common::metrics::registry& registry() noexcept { return registry_; }

private:
    common::metrics::registry& registry_;
    common::metrics::family<common::metrics::counter>& events_;
    common::metrics::family<common::metrics::counter>& late_;
    common::metrics::family<common::metrics::counter>& mismatches_;
    common::metrics::family<common::metrics::counter>& closed_;
    common::metrics::family<common::metrics::counter>& missing_;
    common::metrics::family<common::metrics::counter>& expected_;
    common::metrics::family<common::metrics::gauge>& share_;
    common::metrics::family<common::metrics::histogram>& insert_seconds_;
    common::metrics::family<common::metrics::counter>& insert_failures_;
    common::metrics::gauge* open_;
    common::metrics::gauge* paused_;
    common::metrics::gauge* commit_lag_;
    common::metrics::counter* commits_;
    common::metrics::counter* dropped_;
};

}  // namespace clickstream::sessionize
