#include "processor/dashboard/probe.h"

#include <string>

namespace clickstream::dashboard {

probe::probe(common::metrics::registry& r)
    : registry_(r),
      messages_(r.counters("dashboard_messages_total",
                           "Messages consumed, by topic (clean, bots) and result (applied, "
                           "out_of_window, unparseable, site_limit, replayed)",
                           {"topic", "result"})),
      live_answers_(r.counters("dashboard_live_answers_total",
                               "Live polls answered, by reason (changed: the state moved on; "
                               "waited: live.max_wait_ms passed)",
                               {"reason"})),
      requests_(r.counters("dashboard_http_requests_total",
                           "HTTP requests answered, by route and status code", {"route", "code"})),
      history_(r.counters("dashboard_history_queries_total",
                          "History queries, by result (ok, failed, busy: queue full)", {"result"})),
      history_seconds_(&r.histograms("dashboard_history_query_seconds",
                                     "ClickHouse time of a history query",
                                     common::metrics::latency_buckets())
                            .with({})),
      lag_(&r.histograms("dashboard_apply_lag_seconds",
                         "From a message's Kafka timestamp to its being applied (live messages; "
                         "a rebuild after a restart shows as long lags)",
                         common::metrics::latency_buckets())
                .with({})),
      consume_errors_(&r.counters("dashboard_consume_errors_total",
                                  "Kafka poll errors (broker unreachable, consume errors)")
                           .with({})),
      sites_(&r.gauges("dashboard_sites", "Sites held in memory").with({})),
      keys_(&r.gauges("dashboard_state_keys",
                      "Keys held in the top tables and visitor sets of all sites")
                 .with({})) {}

void probe::message(std::string_view kind, std::string_view result) {
    messages_.with({std::string(kind), std::string(result)}).inc();
}

void probe::live_answer(std::string_view reason) {
    live_answers_.with({std::string(reason)}).inc();
}

void probe::request(std::string_view route, unsigned status) {
    requests_.with({std::string(route), std::to_string(status)}).inc();
}

void probe::history(std::string_view result, double seconds) {
    history_.with({std::string(result)}).inc();
    if (result == "ok") history_seconds_->observe(seconds);
}

}  // namespace clickstream::dashboard
