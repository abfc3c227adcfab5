// The ClickHouse writer and reader: the only code that speaks ClickHouse's
// HTTP interface (through libcurl, in clickhouse.cpp). Inserts are
// JSONEachRow with input_format_skip_unknown_fields=1; every error becomes an
// errc here, with ClickHouse's error code and a row-free summary of its
// message in the log (clickhouse_error_summary).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/log.h"
#include "processor/sessionize/sink.h"

namespace clickstream::sessionize {

// What of ClickHouse's error answer may be logged. Its text quotes the row it
// failed on ("Code: 27, e.displayText() = DB::Exception: Cannot parse input:
// expected , before: 'user-42…'"), and rows hold user ids and URLs, so only
// the code and the message up to the first colon, quote, backtick or line
// end are kept, at most 100 printable ASCII characters: {27, "Cannot parse
// input"}. Code 0 when the answer names none.
struct clickhouse_error {
    int code = 0;
    std::string summary;
};
clickhouse_error clickhouse_error_summary(std::string_view answer);

struct clickhouse_options {
    std::string url = "http://127.0.0.1:8123";
    std::string database = "clickstream";
    std::string user;
    std::string password;
    std::chrono::milliseconds timeout{30'000};
};

class clickhouse_client {
public:
    clickhouse_client(clickhouse_options options, common::logger& log);
    ~clickhouse_client();
    clickhouse_client(const clickhouse_client&) = delete;
    clickhouse_client& operator=(const clickhouse_client&) = delete;

    // Runs `sql` (POST, with `body` after it) in the configured database;
    // the answer's body, or unreachable / rejected (the message is logged).
    result<std::string> execute(std::string_view sql, std::string_view body = {}) noexcept;
    // INSERT INTO table FORMAT JSONEachRow, rows joined by newlines.
    result<void> insert(std::string_view table, std::string_view rows) noexcept;

    const clickhouse_options& options() const noexcept { return options_; }

private:
    clickhouse_options options_;
    common::logger& log_;
    void* curl_ = nullptr;  // one CURL easy handle, reused (keep-alive)
};

// Both sinks over one client: `events` and `sessions` tables.
class clickhouse_sink final : public event_sink, public session_sink {
public:
    explicit clickhouse_sink(clickhouse_client& client) : client_(client) {}
    result<void> write_events(const std::vector<std::string>& rows) noexcept override;
    result<void> write_sessions(const std::vector<session_row>& rows) noexcept override;

private:
    clickhouse_client& client_;
    std::string buffer_;
};

}  // namespace clickstream::sessionize
