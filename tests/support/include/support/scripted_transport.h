// scripted_transport: the sdk's transport that answers from a script (sent,
// retry after n ms, drop) and keeps every request it got. With the script
// used up it answers `otherwise` (sent by default). Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "clickstream/environment.h"

namespace clickstream::test {

struct recorded_request {
    std::string url;
    std::string body;
    std::string user_agent;
    std::vector<clickstream::header> headers;
};

class scripted_transport final : public clickstream::transport {
public:
    send_result send(const send_request& r) noexcept override {
        std::lock_guard lock(mutex_);
        requests_.push_back({std::string(r.url), std::string(r.body), std::string(r.user_agent),
                             std::vector<header>(r.headers.begin(), r.headers.end())});
        if (script_.empty()) return otherwise_;
        send_result next = script_.front();
        script_.pop_front();
        return next;
    }
    result<std::string, errc> fetch(std::string_view url) noexcept override {
        std::lock_guard lock(mutex_);
        fetched_.emplace_back(url);
        if (config_.empty()) return failure{errc::io_error};
        return config_;
    }

    void answer(send_result r) {
        std::lock_guard lock(mutex_);
        script_.push_back(std::move(r));
    }
    void answer_http(int status, std::int64_t retry_after_ms = -1) {
        answer(classify_http_status(status, retry_after_ms));
    }
    void otherwise(send_result r) {
        std::lock_guard lock(mutex_);
        otherwise_ = std::move(r);
    }
    void serve_config(std::string body) {
        std::lock_guard lock(mutex_);
        config_ = std::move(body);
    }
    std::vector<recorded_request> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    std::vector<std::string> fetched() {
        std::lock_guard lock(mutex_);
        return fetched_;
    }
    std::size_t request_count() {
        std::lock_guard lock(mutex_);
        return requests_.size();
    }

private:
    std::mutex mutex_;
    std::deque<send_result> script_;
    send_result otherwise_ = send_result::sent();
    std::vector<recorded_request> requests_;
    std::vector<std::string> fetched_;
    std::string config_;
};

}  // namespace clickstream::test
