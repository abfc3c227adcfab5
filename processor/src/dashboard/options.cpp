
#include "common/config.h"
#include "processor/dashboard/service.h"

namespace clickstream::dashboard {

nlohmann::json default_config(const std::string& root) {
    return {
        {"kafka",
         {{"brokers", "127.0.0.1:9092"},
          {"group_id", "clickstream-dashboard"},
          {"clean_topic", "clickstream.clean"},
          {"bots_topic", "clickstream.bots"},
          {"settings", nlohmann::json::object()}}},
        {"aggregate",
         {{"window_s", 3600},
          {"active_s", 300},
          {"max_sites", 100},
          {"max_keys", 1000},
          {"max_visitors", 100'000},
          {"feed_size", 50},
          {"top_n", 10}}},
        {"live", {{"max_wait_ms", 5000}, {"tick_ms", 50}}},
        {"clickhouse",
         {{"url", ""},
          {"database", "clickstream"},
          {"user", ""},
          {"password", ""},
          {"password_file", ""},
          {"timeout_ms", 10'000},
          {"max_queued", 8}}},
        {"auth", {{"token_file", ""}, {"token_env", "CLICKSTREAM_DASHBOARD_TOKEN"}}},
        {"web",
         {{"dir", root + "/processor/web/dashboard"},
          {"uplot_dir", root + "/node_modules/uplot/dist"}}},
        {"http", {{"address", "127.0.0.1"}, {"port", 9103}}},
        {"log_level", "info"},
    };
}

namespace {

template <class T>
T get(const nlohmann::json& j, const char* key, const char* path) {
    try {
        return j.at(key).get<T>();
    } catch (const std::exception& e) {
        throw common::config_error(std::string(path) + "." + key + ": " + e.what());
    }
}

std::int64_t positive(std::int64_t v, const std::string& what) {
    if (v <= 0) throw common::config_error(what + " must be above 0");
    return v;
}

}  // namespace

service_options parse_options(const nlohmann::json& c) {
    service_options o;
    const auto& k = c.at("kafka");
    o.kafka.brokers = get<std::string>(k, "brokers", "kafka");
    o.kafka.group_id = get<std::string>(k, "group_id", "kafka");
    o.clean_topic = get<std::string>(k, "clean_topic", "kafka");
    o.bots_topic = get<std::string>(k, "bots_topic", "kafka");
    if (o.clean_topic.empty()) throw common::config_error("kafka.clean_topic is empty");
    o.kafka.topics = {o.clean_topic};
    if (!o.bots_topic.empty()) o.kafka.topics.push_back(o.bots_topic);
    for (const auto& [name, value] : k.at("settings").items()) {
        o.kafka.settings[name] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    const auto& a = c.at("aggregate");
    const std::int64_t window_s =
        positive(get<std::int64_t>(a, "window_s", "aggregate"), "aggregate.window_s");
    if (window_s > 3600 || window_s % 60 != 0) {
        throw common::config_error("aggregate.window_s: whole minutes, at most 3600");
    }
    o.aggregate.window_ms = window_s * 1000;
    // Every start rebuilds the window from the topics.
    o.kafka.start_within = std::chrono::milliseconds(o.aggregate.window_ms);
    o.aggregate.active_ms =
        1000 * positive(get<std::int64_t>(a, "active_s", "aggregate"), "aggregate.active_s");
    o.aggregate.max_sites = get<std::size_t>(a, "max_sites", "aggregate");
    o.aggregate.max_keys = get<std::size_t>(a, "max_keys", "aggregate");
    o.aggregate.max_visitors = get<std::size_t>(a, "max_visitors", "aggregate");
    o.aggregate.feed_size = get<std::size_t>(a, "feed_size", "aggregate");
    o.aggregate.top_n = get<std::size_t>(a, "top_n", "aggregate");
    const auto& l = c.at("live");
    o.live_max_wait = std::chrono::milliseconds(
        positive(get<std::int64_t>(l, "max_wait_ms", "live"), "live.max_wait_ms"));
    o.live_tick = std::chrono::milliseconds(
        positive(get<std::int64_t>(l, "tick_ms", "live"), "live.tick_ms"));
    const auto& ch = c.at("clickhouse");
    o.clickhouse.url = get<std::string>(ch, "url", "clickhouse");
    o.clickhouse.database = get<std::string>(ch, "database", "clickhouse");
    o.clickhouse.user = get<std::string>(ch, "user", "clickhouse");
    o.clickhouse.password = get<std::string>(ch, "password", "clickhouse");
    // A password file (a mounted secret) wins over the inline value.
    if (const auto file = get<std::string>(ch, "password_file", "clickhouse"); !file.empty()) {
        o.clickhouse.password = common::read_secret("clickhouse.password_file", file, {}, {});
    }
    o.clickhouse.timeout = std::chrono::milliseconds(
        positive(get<std::int64_t>(ch, "timeout_ms", "clickhouse"), "clickhouse.timeout_ms"));
    o.history_queue = get<std::size_t>(ch, "max_queued", "clickhouse");
    const auto& au = c.at("auth");
    o.token_file = get<std::string>(au, "token_file", "auth");
    o.token_env = get<std::string>(au, "token_env", "auth");
    const auto& w = c.at("web");
    o.web_dir = get<std::string>(w, "dir", "web");
    o.uplot_dir = get<std::string>(w, "uplot_dir", "web");
    const auto& h = c.at("http");
    o.http_address = get<std::string>(h, "address", "http");
    o.http_port = get<std::uint16_t>(h, "port", "http");
    const auto level = common::parse_log_level(get<std::string>(c, "log_level", "config"));
    if (!level) throw common::config_error("log_level: debug, info, warn or error");
    o.log_level = *level;
    return o;
}

std::string read_token(const service_options& o, const std::vector<std::string>& environment) {
    const std::string token =
        common::read_secret("auth.token_file", o.token_file, o.token_env, environment);
    if (token.size() < 12) {
        throw common::config_error(
            "no dashboard token of at least 12 characters: set auth.token_file, or the "
            "variable named by auth.token_env (" +
            o.token_env + ")");
    }
    return token;
}

}  // namespace clickstream::dashboard
