#include "common/metrics.h"

#include <gtest/gtest.h>

namespace {

using namespace clickstream::common::metrics;

TEST(common_metrics, counters_with_labels_expose_in_text_format) {
    registry r;
    auto& requests = r.counters("cs_requests_total", "Requests.", {"route", "status"});
    requests.with({"batch", "204"}).inc();
    requests.with({"batch", "204"}).inc(2);
    requests.with({"pixel", "200"}).inc();
    EXPECT_EQ(r.expose(),
              "# HELP cs_requests_total Requests.\n"
              "# TYPE cs_requests_total counter\n"
              "cs_requests_total{route=\"batch\",status=\"204\"} 3\n"
              "cs_requests_total{route=\"pixel\",status=\"200\"} 1\n");
}

TEST(common_metrics, same_labels_give_the_same_series) {
    registry r;
    auto& g = r.gauges("cs_in_flight", "In flight.");
    g.with({}).inc();
    g.with({}).inc();
    g.with({}).dec();
    EXPECT_EQ(&g.with({}), &g.with({}));
    EXPECT_EQ(g.with({}).value(), 1);
}

TEST(common_metrics, label_values_are_escaped) {
    registry r;
    r.counters("c", "h", {"reason"}).with({"say \"no\"\\\n"}).inc();
    EXPECT_NE(r.expose().find(R"(c{reason="say \"no\"\\\n"} 1)"), std::string::npos) << r.expose();
}

TEST(common_metrics, histograms_are_cumulative_with_sum_and_count) {
    registry r;
    auto& h = r.histograms("lat_seconds", "Latency.", {0.01, 0.1}, {"route"});
    h.with({"batch"}).observe(0.0078125);
    h.with({"batch"}).observe(0.0625);
    h.with({"batch"}).observe(0.0625);
    h.with({"batch"}).observe(3);
    EXPECT_EQ(r.expose(),
              "# HELP lat_seconds Latency.\n"
              "# TYPE lat_seconds histogram\n"
              "lat_seconds_bucket{route=\"batch\",le=\"0.01\"} 1\n"
              "lat_seconds_bucket{route=\"batch\",le=\"0.1\"} 3\n"
              "lat_seconds_bucket{route=\"batch\",le=\"+Inf\"} 4\n"
              "lat_seconds_sum{route=\"batch\"} 3.1328125\n"
              "lat_seconds_count{route=\"batch\"} 4\n");
}

TEST(common_metrics, gauge_callbacks_are_read_when_exposed) {
    registry r;
    double depth = 7;
    r.gauge_callback("queue_depth", "Depth.", [&] { return depth; });
    EXPECT_NE(r.expose().find("queue_depth 7\n"), std::string::npos);
    depth = 0.5;
    EXPECT_NE(r.expose().find("queue_depth 0.5\n"), std::string::npos);
}

TEST(common_metrics, declaring_a_name_twice_is_refused) {
    registry r;
    r.counters("x", "h");
    EXPECT_THROW(r.gauges("x", "h"), std::invalid_argument);
}

TEST(common_metrics, histogram_bounds_must_ascend) {
    EXPECT_THROW(histogram({1, 0.5}), std::invalid_argument);
}

}  // namespace
