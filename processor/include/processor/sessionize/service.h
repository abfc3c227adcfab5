// The sessionize service: config, the Kafka loop around `stage`, the HTTP
// endpoints (/healthz, /readyz, /metrics). See docs/sessions.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/kafka/consumer.h"
#include "common/log.h"
#include "processor/sessionize/clickhouse.h"
#include "processor/sessionize/stage.h"

namespace clickstream::sessionize {

struct service_options {
    common::kafka::consumer_options kafka;
    clickhouse_options clickhouse;
    stage_options stage;
    std::string http_address = "127.0.0.1";
    std::uint16_t http_port = 9102;
    common::log_level log_level = common::log_level::info;
    std::chrono::milliseconds shutdown_timeout{10'000};
};

// Every key with its default (common::load_config's rules).
nlohmann::json default_config();
// Start-up: throws common::config_error naming the key that is wrong.
service_options parse_options(const nlohmann::json& config);

}  // namespace clickstream::sessionize

// The service entry: `clickstream-processor sessionize …` or the
// clickstream-sessionize binary.
int sessionize_main(int argc, char** argv);
