#include "processor/sessionize/probe.h"

namespace clickstream::sessionize {

probe::probe(common::metrics::registry& r)
    : registry_(r),
      events_(r.counters("sessionize_events_total",
                         "Clean events read, by result (accepted, duplicate, late, invalid)",
                         {"result"})),
      late_(r.counters("sessionize_late_events_total",
                       "Events older than the watermark that reached no open session (written "
                       "to events, in no session row), by source (live, import)",
                       {"source"})),
      mismatches_(r.counters("sessionize_timeout_mismatches_total",
                             "Sessions whose SDK timeout differs from the site's (sdk_timeout), "
                             "and session ids seen again after the gap (id_reused)",
                             {"kind"})),
      closed_(r.counters("sessionize_sessions_closed_total",
                         "Session rows written, by close reason (gap, idle: provisional, "
                         "max_length, merged)",
                         {"reason"})),
      missing_(r.counters("sessionize_missing_events_total",
                          "Events that never arrived (seq gaps per session and tab), in final "
                          "rows, by site, SDK and platform",
                          {"site", "sdk", "platform"})),
      expected_(r.counters("sessionize_expected_events_total",
                           "Events that arrived with a seq plus those missing, in final rows",
                           {"site", "sdk", "platform"})),
      share_(r.gauges("sessionize_missing_event_share",
                      "missing / expected events so far, by site, SDK and platform",
                      {"site", "sdk", "platform"})),
      insert_seconds_(r.histograms("sessionize_clickhouse_insert_seconds",
                                   "ClickHouse insert latency, by table",
                                   common::metrics::latency_buckets(), {"table"})),
      insert_failures_(r.counters("sessionize_clickhouse_insert_failures_total",
                                  "ClickHouse inserts that failed and were retried, by table",
                                  {"table"})),
      open_(&r.gauges("sessionize_sessions_open", "Sessions held in memory").with({})),
      paused_(&r.gauges("sessionize_paused",
                        "1 while ClickHouse refuses writes and the stage waits (backoff)")
                   .with({})),
      commit_lag_(&r.gauges("sessionize_commit_lag_messages",
                            "Messages read but not committed (held by open sessions and "
                            "unwritten rows), over the partitions held")
                       .with({})),
      commits_(&r.counters("sessionize_commits_total", "Offset commits to Kafka").with({})),
      dropped_(&r.counters("sessionize_partitions_dropped_total",
                           "Partition states dropped (revoked, or read again from the "
                           "committed offset after a rebalance)")
                    .with({})) {}

void probe::event(std::string_view result) {
    events_.with({std::string(result)}).inc();
}

void probe::late(bool historical) {
    late_.with({historical ? "import" : "live"}).inc();
}

void probe::timeout_mismatch(std::string_view kind) {
    mismatches_.with({std::string(kind)}).inc();
}

void probe::closed(const session_row& row) {
    closed_.with({std::string(to_string(row.reason))}).inc();
    if (!row.final || row.reason == close_reason::merged) return;
    const std::vector<std::string> labels = {row.site, row.sdk_name, row.platform};
    auto& missing = missing_.with(labels);
    auto& expected = expected_.with(labels);
    missing.inc(row.missing_events);
    expected.inc(row.missing_events + row.seq_events);
    if (expected.value() > 0) share_.with(labels).set(missing.value() / expected.value());
}

void probe::insert(std::string_view table, double seconds, bool ok) {
    insert_seconds_.with({std::string(table)}).observe(seconds);
    if (!ok) insert_failures_.with({std::string(table)}).inc();
}

}  // namespace clickstream::sessionize
