#include "common/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <ostream>

namespace clickstream::common {
namespace {

// ISO 8601 in UTC with milliseconds.
std::string utc_now() {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms.count() % 1000));
    return buf;
}

}  // namespace

std::string_view to_string(log_level level) noexcept {
    switch (level) {
        case log_level::debug:
            return "debug";
        case log_level::info:
            return "info";
        case log_level::warn:
            return "warn";
        case log_level::error:
            return "error";
    }
    return "info";
}

std::optional<log_level> parse_log_level(std::string_view text) noexcept {
    for (auto level : {log_level::debug, log_level::info, log_level::warn, log_level::error}) {
        if (text == to_string(level)) return level;
    }
    return std::nullopt;
}

logger::logger(std::ostream& out, std::string component, log_level min)
    : out_(out), component_(std::move(component)), min_(min) {}

void logger::write(log_level level, std::string_view event, const nlohmann::json& fields) noexcept {
    if (!enabled(level)) return;
    try {
        nlohmann::json line = {{"ts", utc_now()},
                               {"level", to_string(level)},
                               {"component", component_},
                               {"event", event}};
        if (fields.is_object()) {
            for (const auto& [key, value] : fields.items()) line[key] = value;
        }
        // Invalid UTF-8 (a user agent, say) is replaced rather than refused.
        std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        text += '\n';
        std::lock_guard lock(mutex_);
        out_.write(text.data(), static_cast<std::streamsize>(text.size()));
        out_.flush();
    } catch (...) {
        // Logging must never take the caller down; a lost line is the price.
    }
}

}  // namespace clickstream::common
