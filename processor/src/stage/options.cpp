#include "processor/stage/options.h"

#include <unistd.h>

#include "common/config.h"

namespace clickstream::processor {
namespace {

using json = nlohmann::json;
using common::config_error;

template <class T>
T get(const json& node, const std::string& path) {
    const json* at = &node;
    std::string::size_type start = 0;
    while (true) {
        const auto dot = path.find('.', start);
        const std::string key = path.substr(start, dot - start);
        if (!at->is_object() || !at->contains(key)) {
            throw config_error("config key '" + path + "' is missing");
        }
        at = &(*at)[key];
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    try {
        return at->get<T>();
    } catch (const json::exception&) {
        throw config_error("config key '" + path + "' has the wrong type");
    }
}

std::chrono::milliseconds ms(const json& node, const std::string& path) {
    const auto v = get<std::int64_t>(node, path);
    if (v < 0) throw config_error("config key '" + path + "' must not be negative");
    return std::chrono::milliseconds(v);
}

std::string hostname() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
    return name;
}

}  // namespace

json default_config(const std::filesystem::path& default_root) {
    const enrich_stage_options stage;
    const enrich::ip_anonymization ip;
    const enrich::session_rate_options rate;
    return {
        {"log_level", "info"},
        {"root", default_root.string()},
        {"http", {{"address", "127.0.0.1"}, {"port", 9102}}},
        {"kafka",
         {{"brokers", "127.0.0.1:19092"},
          {"group_id", "clickstream-enrich"},
          {"client_id", "clickstream-enrich"},
          {"transactional_id", ""},
          {"session_timeout_ms", 10000},
          {"transaction_timeout_ms", 60000},
          {"operation_timeout_ms", 30000},
          {"consumer", json::object()},
          {"producer", json::object()}}},
        {"topics",
         {{"raw", stage.topics.raw},
          {"clean", stage.topics.clean},
          {"bots", stage.topics.bots},
          {"dlq", stage.topics.dlq}}},
        {"stage",
         {{"max_records", stage.max_records},
          {"commit_interval_ms", stage.commit_interval.count()},
          {"poll_timeout_ms", stage.poll_timeout.count()},
          {"retry_backoff_ms", stage.retry_backoff.count()},
          {"max_body_bytes", stage.limits.max_body_bytes},
          {"max_depth", stage.limits.max_depth}}},
        {"dedup", {{"window_ms", stage.dedup.window_ms}, {"max_ids", stage.dedup.max_ids}}},
        {"data",
         {{"uap_regexes", ""},
          {"crawler_user_agents", ""},
          {"referrers", json::array()},
          {"geoip_v4", ""},
          {"geoip_v6", ""},
          {"bot_ip_ranges", ""}}},
        {"bots",
         {{"automation", true},
          {"headless", true},
          {"events_per_second", rate.events_per_second},
          {"burst", rate.burst},
          {"max_sessions", rate.max_sessions}}},
        {"ip",
         {{"anonymize", ip.enabled}, {"v4_prefix", ip.v4_prefix}, {"v6_prefix", ip.v6_prefix}}},
        {"ua_cache_entries", 10000},
        {"sites", json::object()},
    };
}

enrich_service_options parse_options(const json& c) {
    enrich_service_options o;
    const auto level = common::parse_log_level(get<std::string>(c, "log_level"));
    if (!level) throw config_error("config key 'log_level' must be debug, info, warn or error");
    o.log_level = *level;

    o.http_address = get<std::string>(c, "http.address");
    const auto port = get<std::int64_t>(c, "http.port");
    if (port < 0 || port > 65535) throw config_error("config key 'http.port' is not a port");
    o.http_port = static_cast<std::uint16_t>(port);

    auto& s = o.stage;
    s.topics.raw = get<std::string>(c, "topics.raw");
    s.topics.clean = get<std::string>(c, "topics.clean");
    s.topics.bots = get<std::string>(c, "topics.bots");
    s.topics.dlq = get<std::string>(c, "topics.dlq");
    s.max_records = get<std::size_t>(c, "stage.max_records");
    if (s.max_records == 0) throw config_error("config key 'stage.max_records' must be positive");
    s.commit_interval = ms(c, "stage.commit_interval_ms");
    s.poll_timeout = ms(c, "stage.poll_timeout_ms");
    s.retry_backoff = ms(c, "stage.retry_backoff_ms");
    s.limits.max_body_bytes = get<std::size_t>(c, "stage.max_body_bytes");
    s.limits.max_depth = get<std::size_t>(c, "stage.max_depth");
    s.dedup.window_ms = get<std::int64_t>(c, "dedup.window_ms");
    s.dedup.max_ids = get<std::size_t>(c, "dedup.max_ids");

    const std::string brokers = get<std::string>(c, "kafka.brokers");
    o.consumer.brokers = brokers;
    o.consumer.group_id = get<std::string>(c, "kafka.group_id");
    o.consumer.topics = {s.topics.raw};
    o.consumer.settings["session.timeout.ms"] =
        std::to_string(get<std::int64_t>(c, "kafka.session_timeout_ms"));
    const json consumer_settings = get<json>(c, "kafka.consumer");
    for (const auto& [k, v] : consumer_settings.items()) {
        o.consumer.settings[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    o.producer.brokers = brokers;
    o.producer.client_id = get<std::string>(c, "kafka.client_id");
    o.consumer.settings["client.id"] = o.producer.client_id;
    o.producer.transactional_id = get<std::string>(c, "kafka.transactional_id");
    if (o.producer.transactional_id.empty()) {
        o.producer.transactional_id = o.consumer.group_id + "-" + hostname();
    }
    o.producer.transaction_timeout = ms(c, "kafka.transaction_timeout_ms");
    o.producer.operation_timeout = ms(c, "kafka.operation_timeout_ms");
    const json producer_settings = get<json>(c, "kafka.producer");
    for (const auto& [k, v] : producer_settings.items()) {
        o.producer.settings[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    if (o.producer.transaction_timeout <= s.commit_interval) {
        throw config_error(
            "config key 'kafka.transaction_timeout_ms' must be longer than "
            "'stage.commit_interval_ms'");
    }

    const std::filesystem::path root = get<std::string>(c, "root");
    o.data = enrich::default_data_paths(root);
    const auto path_or_default = [&](const char* key, std::filesystem::path& target) {
        const auto v = get<std::string>(c, std::string("data.") + key);
        if (!v.empty()) target = v;
    };
    path_or_default("uap_regexes", o.data.uap_regexes);
    path_or_default("crawler_user_agents", o.data.crawler_user_agents);
    path_or_default("geoip_v4", o.data.geoip_v4);
    path_or_default("geoip_v6", o.data.geoip_v6);
    const auto referrers = get<std::vector<std::string>>(c, "data.referrers");
    if (!referrers.empty()) o.data.referrers.assign(referrers.begin(), referrers.end());

    o.bots.crawler_user_agents = o.data.crawler_user_agents;
    if (const auto ranges = get<std::string>(c, "data.bot_ip_ranges"); !ranges.empty()) {
        o.bots.ip_ranges = enrich::read_ip_range_file(ranges);
    }
    o.bots.automation = get<bool>(c, "bots.automation");
    o.bots.headless = get<bool>(c, "bots.headless");
    o.enricher.rate.events_per_second = get<double>(c, "bots.events_per_second");
    o.enricher.rate.burst = get<double>(c, "bots.burst");
    o.enricher.rate.max_sessions = get<std::size_t>(c, "bots.max_sessions");
    o.enricher.ip.enabled = get<bool>(c, "ip.anonymize");
    o.enricher.ip.v4_prefix = get<int>(c, "ip.v4_prefix");
    o.enricher.ip.v6_prefix = get<int>(c, "ip.v6_prefix");
    if (o.enricher.ip.v4_prefix < 0 || o.enricher.ip.v4_prefix > 32 ||
        o.enricher.ip.v6_prefix < 0 || o.enricher.ip.v6_prefix > 128) {
        throw config_error("config keys 'ip.v4_prefix' (0-32) and 'ip.v6_prefix' (0-128)");
    }
    o.enricher.ua_cache_entries = get<std::size_t>(c, "ua_cache_entries");

    const json known = {"domains", "deny_user_agents", "deny_ip_ranges", "allow_user_agents",
                        "allow_ip_ranges"};
    const json sites = get<json>(c, "sites");
    for (const auto& [site, node] : sites.items()) {
        const std::string path = "sites." + site;
        if (!node.is_object()) throw config_error("config key '" + path + "' must be an object");
        for (const auto& [name, value] : node.items()) {
            if (std::find(known.begin(), known.end(), name) == known.end()) {
                throw config_error("unknown config key '" + path + "." + name + "'");
            }
        }
        const auto list = [&](const char* key) {
            return node.contains(key) ? get<std::vector<std::string>>(node, key)
                                      : std::vector<std::string>{};
        };
        auto domains = list("domains");
        for (auto& d : domains) {
            std::transform(d.begin(), d.end(), d.begin(),
                           [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        }
        o.enricher.site_domains[site] = std::move(domains);
        enrich::site_bot_rules rules;
        rules.deny_user_agents = list("deny_user_agents");
        rules.deny_ip_ranges = list("deny_ip_ranges");
        rules.allow_user_agents = list("allow_user_agents");
        rules.allow_ip_ranges = list("allow_ip_ranges");
        o.bots.sites[site] = std::move(rules);
    }
    return o;
}

}  // namespace clickstream::processor
