// The enrich stage's configuration: defaults, then a JSON file, then
// CLICKSTREAM_* environment overrides (common/config.h). Every key is in
// default_config() and documented in docs/processor.md; the sample is
// processor/processor.example.json. Parsed once at start-up: errors throw
// common::config_error naming the key.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/kafka/consumer.h"
#include "common/kafka/transactional_producer.h"
#include "common/log.h"
#include "processor/enrich/bot_filter.h"
#include "processor/enrich/clean_event.h"
#include "processor/enrich/data_paths.h"
#include "processor/stage/enrich_stage.h"

namespace clickstream::processor {

struct enrich_service_options {
    common::log_level log_level = common::log_level::info;
    std::string http_address = "127.0.0.1";
    std::uint16_t http_port = 9102;  // 0: any free port (logged)
    common::kafka::consumer_options consumer;
    common::kafka::transactional_producer_options producer;
    enrich_stage_options stage;
    enrich::data_paths data;
    enrich::bot_filter_options bots;  // crawler patterns, IP ranges, per-site lists
    enrich::enricher_options enricher;
};

// `default_root`: where the data packages are when the config names no
// root (the source tree the binary was built from).
nlohmann::json default_config(const std::filesystem::path& default_root);

enrich_service_options parse_options(const nlohmann::json& config);

}  // namespace clickstream::processor
