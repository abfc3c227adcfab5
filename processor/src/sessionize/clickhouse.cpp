#include "processor/sessionize/clickhouse.h"

#include <curl/curl.h>

#include "processor/sessionize/rows.h"

namespace clickstream::sessionize {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

std::string url_encode(CURL* curl, std::string_view s) {
    char* e = curl_easy_escape(curl, s.data(), static_cast<int>(s.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
}

const std::string default_user = "default";

}  // namespace

clickhouse_error clickhouse_error_summary(std::string_view answer) {
    clickhouse_error e;
    constexpr std::string_view code_mark = "Code: ";
    if (const auto at = answer.find(code_mark); at != std::string_view::npos) {
        for (std::size_t i = at + code_mark.size();
             i < answer.size() && answer[i] >= '0' && answer[i] <= '9' && e.code < 100'000; ++i) {
            e.code = e.code * 10 + (answer[i] - '0');
        }
    }
    constexpr std::string_view exception_mark = "DB::Exception: ";
    const auto at = answer.find(exception_mark);
    if (at == std::string_view::npos) return e;
    for (std::size_t i = at + exception_mark.size(); i < answer.size() && e.summary.size() < 100;
         ++i) {
        const char c = answer[i];
        if (c == ':' || c == '\'' || c == '"' || c == '`' || c < 0x20 || c > 0x7e) break;
        e.summary += c;
    }
    while (!e.summary.empty() && e.summary.back() == ' ') e.summary.pop_back();
    return e;
}

clickhouse_client::clickhouse_client(clickhouse_options options, common::logger& log)
    : options_(std::move(options)), log_(log) {
    static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
    (void)global;
    curl_ = curl_easy_init();
}

clickhouse_client::~clickhouse_client() {
    curl_easy_cleanup(static_cast<CURL*>(curl_));
}

result<std::string> clickhouse_client::execute(std::string_view sql,
                                               std::string_view body) noexcept {
    CURL* c = static_cast<CURL*>(curl_);
    if (c == nullptr) return failure{errc::clickhouse_unreachable};
    try {
        std::string url = options_.url + "/?database=" + url_encode(c, options_.database) +
                          "&input_format_skip_unknown_fields=1&query=" + url_encode(c, sql);
        std::string payload(body);
        std::string answer;
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_slist* headers = nullptr;
        if (!options_.user.empty() || !options_.password.empty()) {
            // A password alone is the default user's (as clickhouse-client has it).
            const std::string& user = options_.user.empty() ? default_user : options_.user;
            headers = curl_slist_append(headers, ("X-ClickHouse-User: " + user).c_str());
            headers =
                curl_slist_append(headers, ("X-ClickHouse-Key: " + options_.password).c_str());
        }
        headers = curl_slist_append(headers, "Content-Type: text/plain");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        const CURLcode rc = curl_easy_perform(c);
        curl_slist_free_all(headers);
        if (rc != CURLE_OK) {
            log_.warn("clickhouse_unreachable", {{"error", curl_easy_strerror(rc)}});
            return failure{errc::clickhouse_unreachable};
        }
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) {
            // Never the answer itself: it can quote a row (user data).
            const auto e = clickhouse_error_summary(answer);
            log_.warn("clickhouse_rejected",
                      {{"status", status}, {"code", e.code}, {"error", e.summary}});
            return failure{errc::clickhouse_rejected};
        }
        return answer;
    } catch (const std::exception& e) {  // allocation failure: retried by the caller
        log_.error("clickhouse_client_failed", {{"error", e.what()}});
        return failure{errc::clickhouse_unreachable};
    }
}

result<void> clickhouse_client::insert(std::string_view table, std::string_view rows) noexcept {
    auto r = execute("INSERT INTO " + std::string(table) + " FORMAT JSONEachRow", rows);
    if (!r) return failure{r.error()};
    return {};
}

result<void> clickhouse_sink::write_events(const std::vector<std::string>& rows) noexcept {
    if (rows.empty()) return {};
    buffer_.clear();
    for (const auto& r : rows) {
        buffer_ += r;
        buffer_ += '\n';
    }
    return client_.insert("events", buffer_);
}

result<void> clickhouse_sink::write_sessions(const std::vector<session_row>& rows) noexcept {
    if (rows.empty()) return {};
    buffer_.clear();
    for (const auto& r : rows) {
        buffer_ += to_json_row(r);
        buffer_ += '\n';
    }
    return client_.insert("sessions", buffer_);
}

}  // namespace clickstream::sessionize
