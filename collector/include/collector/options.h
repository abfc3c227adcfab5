// collector_options: everything the collector is configured with, loaded once
// at start-up (defaults ⊕ config file ⊕ CLICKSTREAM_* environment) and passed
// down. docs/collector.md explains each key.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/http/server.h"
#include "common/kafka/producer.h"
#include "common/log.h"

namespace clickstream::collector {

struct site_options {
    std::string key;
    // Exact origins ("https://shop.example"); "*" allows any origin.
    std::vector<std::string> origins;
    bool allow_no_origin = true;  // native apps and the pixel send no Origin
    std::chrono::seconds session_timeout{1800};
    std::chrono::milliseconds flush_interval{3000};
    bool set_cookie = false;  // first-party: refresh the anonymous id cookie
    // Do-Not-Track / Global Privacy Control: a batch or pixel carrying
    // `DNT: 1` or `Sec-GPC: 1` is answered as taken but nothing is kept.
    bool respect_dnt = false;
};

struct collector_options {
    common::log_level log_level = common::log_level::info;
    unsigned threads = 0;     // 0: one per core
    std::string path_prefix;  // "" or "/x": public paths live under it

    bool http_enabled = true;
    std::string http_address = "127.0.0.1";
    std::uint16_t http_port = 8080;
    bool tls_enabled = false;
    std::string tls_address = "127.0.0.1";
    std::uint16_t tls_port = 8443;
    std::string tls_certificate;  // PEM chain
    std::string tls_private_key;  // PEM
    // The admin listener: /metrics (and /healthz, /readyz). /metrics is never
    // served on the public listeners, so keep this one off the internet.
    bool admin_enabled = true;
    std::string admin_address = "127.0.0.1";
    std::uint16_t admin_port = 9104;

    common::http::server_options server;
    std::uint64_t inflated_limit = 4 * 1024 * 1024;
    std::uint64_t pending_limit = 64 * 1024 * 1024;  // bytes waiting for Kafka
    std::chrono::milliseconds shutdown_timeout{15'000};
    std::vector<std::string> trusted_proxies;  // addresses or CIDR ranges

    common::kafka::producer_options kafka;
    std::string topic = "clickstream.raw";

    std::filesystem::path spool_dir = "var/collector/spool";
    std::uint64_t spool_max_bytes = 1024ULL * 1024 * 1024;
    std::uint64_t spool_segment_bytes = 16 * 1024 * 1024;
    std::chrono::seconds retry_after{10};

    std::string cookie_name = "cs_aid";
    std::chrono::seconds cookie_max_age{400LL * 24 * 3600};
    std::string cookie_domain;

    std::filesystem::path sdk_dir;  // "" serves no /sdk/ files
    std::string sdk_cache_control = "public, max-age=300";
    std::chrono::seconds config_max_age{300};
    unsigned access_log_every = 100;  // 0: no access log; 1: every request

    std::map<std::string, site_options> sites;
};

// Every key with its default, for common::load_config.
nlohmann::json default_config();

// Reads the merged config; throws common::config_error naming the bad key.
collector_options parse_options(const nlohmann::json& config);

}  // namespace clickstream::collector
