#include "common/config.h"
#include "processor/sessionize/service.h"

namespace clickstream::sessionize {

nlohmann::json default_config() {
    return {
        {"kafka",
         {{"brokers", "127.0.0.1:9092"},
          {"group_id", "clickstream-sessionize"},
          {"topic", "clickstream.clean"},
          {"assignor", "range"},
          // A ClickHouse outage pauses the loop; the group must not drop us meanwhile.
          {"settings", nlohmann::json::object()}}},
        {"clickhouse",
         {{"url", "http://127.0.0.1:8123"},
          {"database", "clickstream"},
          {"user", ""},
          {"password", ""},
          {"password_file", ""},
          {"timeout_ms", 30'000}}},
        {"sessions",
         {{"default_timeout_s", 1800},
          {"site_timeouts_s", nlohmann::json::object()},
          {"allowed_lateness_s", 60},
          {"idle_timeout_s", 300},
          {"max_length_s", 86'400},
          {"max_pages", 200}}},
        {"batch", {{"max_events", 5000}, {"interval_ms", 1000}}},
        {"retry", {{"initial_ms", 200}, {"max_ms", 30'000}}},
        {"http", {{"address", "127.0.0.1"}, {"port", 9102}}},
        {"log_level", "info"},
        {"shutdown_timeout_ms", 10'000},
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
    o.kafka.topics = {get<std::string>(k, "topic", "kafka")};
    o.kafka.assignor = get<std::string>(k, "assignor", "kafka");
    o.kafka.settings = {{"max.poll.interval.ms", "3600000"}};
    for (const auto& [name, value] : k.at("settings").items()) {
        o.kafka.settings[name] = value.is_string() ? value.get<std::string>() : value.dump();
    }
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
    const auto& s = c.at("sessions");
    auto& w = o.stage.window;
    w.default_gap_ms = 1000 * positive(get<std::int64_t>(s, "default_timeout_s", "sessions"),
                                       "sessions.default_timeout_s");
    std::int64_t longest_gap = w.default_gap_ms;
    for (const auto& [site, value] : s.at("site_timeouts_s").items()) {
        if (!value.is_number_integer()) {
            throw common::config_error("sessions.site_timeouts_s." + site + " must be an integer");
        }
        w.site_gap_ms[site] =
            1000 * positive(value.get<std::int64_t>(), "sessions.site_timeouts_s." + site);
        longest_gap = std::max(longest_gap, w.site_gap_ms[site]);
    }
    w.allowed_lateness_ms = 1000 * get<std::int64_t>(s, "allowed_lateness_s", "sessions");
    if (w.allowed_lateness_ms < 0) throw common::config_error("sessions.allowed_lateness_s < 0");
    w.idle_timeout_ms = 1000 * positive(get<std::int64_t>(s, "idle_timeout_s", "sessions"),
                                        "sessions.idle_timeout_s");
    w.max_length_ms =
        1000 * positive(get<std::int64_t>(s, "max_length_s", "sessions"), "sessions.max_length_s");
    if (w.max_length_ms < longest_gap) {
        throw common::config_error("sessions.max_length_s must be at least the longest timeout");
    }
    w.max_pages = get<std::size_t>(s, "max_pages", "sessions");
    const auto& b = c.at("batch");
    o.stage.batch_events = get<std::size_t>(b, "max_events", "batch");
    o.stage.batch_interval = std::chrono::milliseconds(
        positive(get<std::int64_t>(b, "interval_ms", "batch"), "batch.interval_ms"));
    const auto& r = c.at("retry");
    o.stage.backoff_initial = std::chrono::milliseconds(
        positive(get<std::int64_t>(r, "initial_ms", "retry"), "retry.initial_ms"));
    o.stage.backoff_max = std::chrono::milliseconds(
        positive(get<std::int64_t>(r, "max_ms", "retry"), "retry.max_ms"));
    const auto& h = c.at("http");
    o.http_address = get<std::string>(h, "address", "http");
    o.http_port = get<std::uint16_t>(h, "port", "http");
    const auto level = common::parse_log_level(get<std::string>(c, "log_level", "config"));
    if (!level) throw common::config_error("log_level: debug, info, warn or error");
    o.log_level = *level;
    o.shutdown_timeout =
        std::chrono::milliseconds(get<std::int64_t>(c, "shutdown_timeout_ms", "config"));
    return o;
}

}  // namespace clickstream::sessionize
