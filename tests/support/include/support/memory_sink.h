// memory_sink: an in-memory common::kafka::message_sink for unit tests. It
// keeps what it took, and can refuse: `fail_next(n, error)` fails the next n
// messages, `fail_all(error)` fails until `recover()`. Reports are given
// before produce returns (the real producer gives them on its poll thread;
// code under test must not rely on either). Header-only.
#pragma once

#include <mutex>
#include <system_error>
#include <vector>

#include "common/errc.h"
#include "common/kafka/message.h"

namespace clickstream::test {

class memory_sink final : public common::kafka::message_sink {
public:
    void produce(common::kafka::message msg,
                 common::kafka::delivery_handler done) noexcept override {
        common::kafka::delivery_report report;
        {
            std::lock_guard lock(mutex_);
            ++attempts_;
            if (fail_all_ || failures_left_ > 0) {
                if (failures_left_ > 0) --failures_left_;
                report.error = error_;
            } else {
                report.partition = 0;
                report.offset = static_cast<std::int64_t>(taken_.size());
                taken_.push_back(msg);
            }
        }
        report.msg = std::move(msg);
        done(std::move(report));
    }
    bool flush(std::chrono::milliseconds) noexcept override { return true; }

    void fail_next(int n, std::error_code error = common::errc::kafka_timed_out) {
        std::lock_guard lock(mutex_);
        failures_left_ = n;
        error_ = error;
    }
    void fail_all(std::error_code error = common::errc::kafka_unreachable) {
        std::lock_guard lock(mutex_);
        fail_all_ = true;
        error_ = error;
    }
    void recover() {
        std::lock_guard lock(mutex_);
        fail_all_ = false;
        failures_left_ = 0;
    }

    std::vector<common::kafka::message> taken() const {
        std::lock_guard lock(mutex_);
        return taken_;
    }
    int attempts() const {
        std::lock_guard lock(mutex_);
        return attempts_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<common::kafka::message> taken_;
    int failures_left_ = 0;
    bool fail_all_ = false;
    int attempts_ = 0;
    std::error_code error_;
};

}  // namespace clickstream::test
