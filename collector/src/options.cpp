#include "collector/options.h"

#include <thread>

#include "common/config.h"

namespace clickstream::collector {
namespace {

using json = nlohmann::json;
using common::config_error;

// The value at `key` of `node` as T, or a config_error naming `path.key`.
template <class T>
T get(const json& node, const std::string& path, const std::string& key) {
    try {
        return node.at(key).get<T>();
    } catch (const json::exception&) {
        throw config_error("config key '" + path + key + "' is missing or has the wrong type");
    }
}

std::chrono::milliseconds ms(const json& node, const std::string& path, const std::string& key) {
    return std::chrono::milliseconds(get<std::int64_t>(node, path, key));
}

site_options parse_site(const std::string& key, const json& node) {
    const std::string path = "sites." + key + ".";
    if (!node.is_object()) throw config_error("config key 'sites." + key + "' must be an object");
    const json known = {"origins",           "allow_no_origin", "session_timeout_s",
                        "flush_interval_ms", "set_cookie",      "respect_dnt"};
    for (const auto& [name, value] : node.items()) {
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            throw config_error("unknown config key '" + path + name + "'");
        }
    }
    site_options s;
    s.key = key;
    if (node.contains("origins")) s.origins = get<std::vector<std::string>>(node, path, "origins");
    if (node.contains("allow_no_origin"))
        s.allow_no_origin = get<bool>(node, path, "allow_no_origin");
    if (node.contains("session_timeout_s")) {
        s.session_timeout =
            std::chrono::seconds(get<std::int64_t>(node, path, "session_timeout_s"));
    }
    if (node.contains("flush_interval_ms")) s.flush_interval = ms(node, path, "flush_interval_ms");
    if (node.contains("set_cookie")) s.set_cookie = get<bool>(node, path, "set_cookie");
    if (node.contains("respect_dnt")) s.respect_dnt = get<bool>(node, path, "respect_dnt");
    if (s.session_timeout.count() <= 0) {
        throw config_error("config key '" + path + "session_timeout_s' must be positive");
    }
    return s;
}

std::uint16_t port(const json& node, const std::string& path) {
    const auto p = get<std::int64_t>(node, path, "port");
    if (p < 0 || p > 65535) throw config_error("config key '" + path + "port' is not a port");
    return static_cast<std::uint16_t>(p);
}

}  // namespace

json default_config() {
    const collector_options d;
    return {
        {"log_level", "info"},
        {"threads", d.threads},
        {"path_prefix", d.path_prefix},
        {"http", {{"enabled", d.http_enabled}, {"address", d.http_address}, {"port", d.http_port}}},
        {"tls",
         {{"enabled", d.tls_enabled},
          {"address", d.tls_address},
          {"port", d.tls_port},
          {"certificate", ""},
          {"private_key", ""}}},
        {"admin",
         {{"enabled", d.admin_enabled}, {"address", d.admin_address}, {"port", d.admin_port}}},
        {"limits",
         {{"body_bytes", d.server.body_limit},
          {"inflated_bytes", d.inflated_limit},
          {"header_bytes", d.server.header_limit},
          {"header_timeout_ms", d.server.header_timeout.count()},
          {"body_timeout_ms", d.server.body_timeout.count()},
          {"idle_timeout_ms", d.server.idle_timeout.count()},
          {"write_timeout_ms", d.server.write_timeout.count()},
          {"max_connections", d.server.max_connections},
          {"pending_bytes", d.pending_limit},
          {"shutdown_timeout_ms", d.shutdown_timeout.count()}}},
        {"trusted_proxies", json::array()},
        {"kafka",
         {{"brokers", d.kafka.brokers},
          {"topic", d.topic},
          {"client_id", "clickstream-collector"},
          {"message_timeout_ms", d.kafka.message_timeout.count()},
          {"linger_ms", d.kafka.linger.count()},
          {"compression", d.kafka.compression},
          {"settings", json::object()}}},
        {"spool",
         {{"dir", d.spool_dir.string()},
          {"max_bytes", d.spool_max_bytes},
          {"segment_bytes", d.spool_segment_bytes},
          {"retry_after_s", d.retry_after.count()}}},
        {"cookie",
         {{"name", d.cookie_name},
          {"max_age_days", d.cookie_max_age.count() / 86400},
          {"domain", d.cookie_domain}}},
        {"sdk", {{"dir", ""}, {"cache_control", d.sdk_cache_control}}},
        {"config_max_age_s", d.config_max_age.count()},
        {"access_log_every", d.access_log_every},
        {"sites", json::object()},
    };
}

collector_options parse_options(const json& c) {
    collector_options o;
    const auto level = common::parse_log_level(get<std::string>(c, "", "log_level"));
    if (!level) throw config_error("config key 'log_level' must be debug, info, warn or error");
    o.log_level = *level;
    o.threads = get<unsigned>(c, "", "threads");
    if (o.threads == 0) o.threads = std::max(1U, std::thread::hardware_concurrency());
    o.path_prefix = get<std::string>(c, "", "path_prefix");
    while (!o.path_prefix.empty() && o.path_prefix.back() == '/') o.path_prefix.pop_back();
    if (!o.path_prefix.empty() && o.path_prefix.front() != '/') {
        throw config_error("config key 'path_prefix' must start with '/'");
    }

    const json& http = c.at("http");
    o.http_enabled = get<bool>(http, "http.", "enabled");
    o.http_address = get<std::string>(http, "http.", "address");
    o.http_port = port(http, "http.");
    const json& tls = c.at("tls");
    o.tls_enabled = get<bool>(tls, "tls.", "enabled");
    o.tls_address = get<std::string>(tls, "tls.", "address");
    o.tls_port = port(tls, "tls.");
    o.tls_certificate = get<std::string>(tls, "tls.", "certificate");
    o.tls_private_key = get<std::string>(tls, "tls.", "private_key");
    if (o.tls_enabled && (o.tls_certificate.empty() || o.tls_private_key.empty())) {
        throw config_error("tls.enabled needs tls.certificate and tls.private_key");
    }
    if (!o.http_enabled && !o.tls_enabled) throw config_error("neither http nor tls is enabled");
    const json& admin = c.at("admin");
    o.admin_enabled = get<bool>(admin, "admin.", "enabled");
    o.admin_address = get<std::string>(admin, "admin.", "address");
    o.admin_port = port(admin, "admin.");

    const json& l = c.at("limits");
    o.server.body_limit = get<std::uint64_t>(l, "limits.", "body_bytes");
    o.inflated_limit = get<std::uint64_t>(l, "limits.", "inflated_bytes");
    o.server.header_limit = get<std::size_t>(l, "limits.", "header_bytes");
    o.server.header_timeout = ms(l, "limits.", "header_timeout_ms");
    o.server.body_timeout = ms(l, "limits.", "body_timeout_ms");
    o.server.idle_timeout = ms(l, "limits.", "idle_timeout_ms");
    o.server.write_timeout = ms(l, "limits.", "write_timeout_ms");
    o.server.max_connections = get<std::size_t>(l, "limits.", "max_connections");
    o.pending_limit = get<std::uint64_t>(l, "limits.", "pending_bytes");
    o.shutdown_timeout = ms(l, "limits.", "shutdown_timeout_ms");
    o.trusted_proxies = get<std::vector<std::string>>(c, "", "trusted_proxies");

    const json& k = c.at("kafka");
    o.kafka.brokers = get<std::string>(k, "kafka.", "brokers");
    o.topic = get<std::string>(k, "kafka.", "topic");
    o.kafka.client_id = get<std::string>(k, "kafka.", "client_id");
    o.kafka.message_timeout = ms(k, "kafka.", "message_timeout_ms");
    o.kafka.linger = ms(k, "kafka.", "linger_ms");
    o.kafka.compression = get<std::string>(k, "kafka.", "compression");
    o.kafka.settings = get<std::map<std::string, std::string>>(k, "kafka.", "settings");

    const json& s = c.at("spool");
    o.spool_dir = get<std::string>(s, "spool.", "dir");
    o.spool_max_bytes = get<std::uint64_t>(s, "spool.", "max_bytes");
    o.spool_segment_bytes = get<std::uint64_t>(s, "spool.", "segment_bytes");
    o.retry_after = std::chrono::seconds(get<std::int64_t>(s, "spool.", "retry_after_s"));

    const json& ck = c.at("cookie");
    o.cookie_name = get<std::string>(ck, "cookie.", "name");
    o.cookie_max_age =
        std::chrono::seconds(get<std::int64_t>(ck, "cookie.", "max_age_days") * 86400);
    o.cookie_domain = get<std::string>(ck, "cookie.", "domain");

    o.sdk_dir = get<std::string>(c.at("sdk"), "sdk.", "dir");
    o.sdk_cache_control = get<std::string>(c.at("sdk"), "sdk.", "cache_control");
    o.config_max_age = std::chrono::seconds(get<std::int64_t>(c, "", "config_max_age_s"));
    o.access_log_every = get<unsigned>(c, "", "access_log_every");

    for (const auto& [key, value] : c.at("sites").items()) o.sites[key] = parse_site(key, value);
    return o;
}

}  // namespace clickstream::collector
