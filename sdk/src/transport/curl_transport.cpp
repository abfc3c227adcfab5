// The curl transport: moves batches over HTTP(S) with libcurl. It only moves
// bytes and maps answers through the core's classify_http_status, so the
// retry policy lives once, in the core. libcurl's errors stop here.
#include <curl/curl.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <mutex>
#include <vector>

#include "clickstream/http_transport.h"

namespace clickstream {
namespace {

constexpr std::size_t max_answer_bytes = 64 * 1024;

// What one request gathers from the answer.
struct exchange {
    std::int64_t retry_after_ms = -1;
    std::string body;
    const std::atomic<bool>* cancel = nullptr;
};

// Retry-After: delay-seconds or an HTTP-date.
std::int64_t parse_retry_after(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
        v.remove_suffix(1);
    std::int64_t seconds = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (r.ec == std::errc{} && r.ptr == v.data() + v.size())
        return std::max<std::int64_t>(seconds, 0) * 1000;
    const std::string date(v);
    const time_t when = curl_getdate(date.c_str(), nullptr);
    if (when < 0) return -1;
    return std::max<std::int64_t>(0, (static_cast<std::int64_t>(when) - std::time(nullptr)) * 1000);
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* x = static_cast<exchange*>(user);
    const std::string_view line(data, size * n);
    constexpr std::string_view name = "retry-after:";
    if (line.size() > name.size()) {
        std::string lower(line.substr(0, name.size()));
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower == name) x->retry_after_ms = parse_retry_after(line.substr(name.size()));
    }
    return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* x = static_cast<exchange*>(user);
    const std::size_t room = max_answer_bytes - std::min(max_answer_bytes, x->body.size());
    x->body.append(data, std::min(room, size * n));
    return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* x = static_cast<exchange*>(user);
    return x->cancel != nullptr && x->cancel->load() ? 1 : 0;  // non-zero aborts
}

bool gzip(std::string_view in, std::string& out) {
    z_stream z{};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
    out.resize(deflateBound(&z, static_cast<uLong>(in.size())) + 32);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return rc == Z_STREAM_END;
}

struct slist_deleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using header_list = std::unique_ptr<curl_slist, slist_deleter>;

class curl_transport final : public transport {
public:
    explicit curl_transport(http_transport_options options) : options_(std::move(options)) {}
    ~curl_transport() override {
        for (CURL* h : idle_) curl_easy_cleanup(h);
    }
    curl_transport(const curl_transport&) = delete;
    curl_transport& operator=(const curl_transport&) = delete;

    send_result send(const send_request& request) noexcept override {
        std::string compressed;
        std::string_view body = request.body;
        const bool zipped =
            options_.gzip && body.size() >= options_.gzip_min_bytes && gzip(body, compressed);
        if (zipped) body = compressed;

        header_list headers;
        const auto add = [&headers](const std::string& line) {
            curl_slist* l = curl_slist_append(headers.get(), line.c_str());
            if (l != nullptr) {
                (void)headers.release();
                headers.reset(l);
            }
        };
        add("Content-Type: application/json");
        add("Expect:");  // no 100-continue round trip
        if (zipped) add("Content-Encoding: gzip");
        for (const auto& h : request.headers) add(h.name + ": " + h.value);

        exchange x;
        x.cancel = request.cancel;
        CURL* h = acquire();
        if (h == nullptr) return send_result::retry("cannot create a curl handle");
        const std::string url(request.url);
        const std::string agent(request.user_agent.empty() ? std::string_view(options_.user_agent)
                                                           : request.user_agent);
        prepare(h, url, agent, x);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        const CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        release(h);
        // No answer (refused, reset, timed out, cancelled): try again later.
        if (rc != CURLE_OK) return send_result::retry(curl_easy_strerror(rc));
        return classify_http_status(static_cast<int>(status), x.retry_after_ms);
    }

    result<std::string, errc> fetch(std::string_view url) noexcept override {
        exchange x;
        CURL* h = acquire();
        if (h == nullptr) return failure{errc::io_error};
        prepare(h, std::string(url), options_.user_agent, x);
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        const CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        release(h);
        if (rc != CURLE_OK || status != 200) return failure{errc::io_error};
        return std::move(x.body);
    }

private:
    // A pooled handle keeps its connection and TLS session for the next
    // request to the same host.
    CURL* acquire() {
        {
            std::lock_guard lock(mutex_);
            if (!idle_.empty()) {
                CURL* h = idle_.back();
                idle_.pop_back();
                curl_easy_reset(h);  // options only; connections stay
                return h;
            }
        }
        return curl_easy_init();
    }
    void release(CURL* h) {
        std::lock_guard lock(mutex_);
        if (idle_.size() < options_.max_idle_connections) {
            idle_.push_back(h);
            return;
        }
        curl_easy_cleanup(h);
    }
    void prepare(CURL* h, const std::string& url, const std::string& agent, exchange& x) {
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_USERAGENT, agent.c_str());
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
        if (!options_.ca_file.empty())
            curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
    }

    http_transport_options options_;
    std::mutex mutex_;
    std::vector<CURL*> idle_;
};

}  // namespace

result<std::shared_ptr<transport>, errc> make_http_transport(
    const http_transport_options& options) {
    static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (global != CURLE_OK) return failure{errc::io_error};
    return std::shared_ptr<transport>(std::make_shared<curl_transport>(options));
}

}  // namespace clickstream
