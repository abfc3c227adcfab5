// The dashboard service: config, the Kafka loop that feeds live_aggregate
// from the clean and bots topics, the HTTP server (page, live polls, history
// over ClickHouse, /healthz, /readyz, /metrics). See docs/dashboard.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/kafka/consumer.h"
#include "common/log.h"
#include "processor/dashboard/live_aggregate.h"
#include "processor/sessionize/clickhouse.h"

namespace clickstream::dashboard {

struct service_options {
    common::kafka::consumer_options kafka;  // topics: {clean, bots}
    std::string clean_topic = "clickstream.clean";
    std::string bots_topic = "clickstream.bots";
    aggregate_options aggregate;
    // Empty url: no history pages.
    sessionize::clickhouse_options clickhouse;
    std::chrono::milliseconds live_max_wait{5'000};  // a live poll is answered by then anyway
    std::chrono::milliseconds live_tick{50};         // how often waiting polls are checked
    std::size_t history_queue = 8;                   // history queries waiting; more: 503
    std::string token_file;                          // the bearer token: this file's text,
    std::string token_env = "CLICKSTREAM_DASHBOARD_TOKEN";  // else this variable's value
    std::string web_dir;                                    // index.html, app.js, app.css
    std::string uplot_dir;                                  // uPlot.iife.min.js, uPlot.min.css
    std::string http_address = "127.0.0.1";
    std::uint16_t http_port = 9103;
    common::log_level log_level = common::log_level::info;
};

// Every key with its default (common::load_config's rules). `root` is where
// the web files and node_modules/uplot are looked for by default.
nlohmann::json default_config(const std::string& root);
// Start-up: throws common::config_error naming the key that is wrong.
service_options parse_options(const nlohmann::json& config);

// The token from the file, else the variable (trailing whitespace cut).
// Start-up: throws common::config_error when neither gives one of at least
// 12 characters. The token itself is never logged.
std::string read_token(const service_options& o, const std::vector<std::string>& environment);

}  // namespace clickstream::dashboard

// The service entry (clickstream-dashboard).
int dashboard_main(int argc, char** argv);
