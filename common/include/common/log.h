// Structured logging: one JSON object per line, one line per event.
//
//   {"ts":"2026-11-25T10:00:00.123Z","level":"error","component":"collector",
//    "event":"produce_failed","error":"kafka unreachable","site":"demo"}
//
// `event` is a short snake_case name a person can grep for; details go in
// fields. Thread-safe; a line is written whole (one write under a mutex).
#pragma once

#include <iosfwd>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace clickstream::common {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

std::string_view to_string(log_level level) noexcept;
// "debug", "info", "warn", "error"; nullopt for anything else.
std::optional<log_level> parse_log_level(std::string_view text) noexcept;

class logger {
public:
    // Writes to `out` (which must outlive the logger) lines at `min` and above.
    explicit logger(std::ostream& out, std::string component, log_level min = log_level::info);

    bool enabled(log_level level) const noexcept { return level >= min_; }
    // Never throws: a field that cannot be serialised is replaced by its error.
    void write(log_level level, std::string_view event, const nlohmann::json& fields = {}) noexcept;

    void debug(std::string_view event, const nlohmann::json& fields = {}) noexcept {
        write(log_level::debug, event, fields);
    }
    void info(std::string_view event, const nlohmann::json& fields = {}) noexcept {
        write(log_level::info, event, fields);
    }
    void warn(std::string_view event, const nlohmann::json& fields = {}) noexcept {
        write(log_level::warn, event, fields);
    }
    void error(std::string_view event, const nlohmann::json& fields = {}) noexcept {
        write(log_level::error, event, fields);
    }

private:
    std::ostream& out_;
    std::string component_;
    log_level min_;
    std::mutex mutex_;
};

}  // namespace clickstream::common
