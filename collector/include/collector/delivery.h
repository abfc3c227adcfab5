// delivery: makes each raw message durable before the collector answers 2xx.
//
// A message goes to Kafka (the sink) while Kafka takes messages and fewer
// than `pending_limit` bytes wait for acknowledgements; it goes to the spool
// when Kafka failed it, when Kafka is known to be down, or when too much
// waits already (Kafka slow). Only when the spool refuses too (full) is the
// outcome `refused` (the client gets 503 and retries).
//
// A replay thread sends the spool's records to Kafka in order, a window at a
// time, acking the delivered prefix; records of a window that made it are not
// sent again when the rest is retried. A successful replay marks Kafka up.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "clickstream/result.h"
#include "collector/probe.h"
#include "collector/spool.h"
#include "common/kafka/message.h"
#include "common/log.h"

namespace clickstream::collector {

struct delivery_options {
    std::uint64_t pending_limit = 64 * 1024 * 1024;
    std::size_t replay_window = 256;
    std::chrono::milliseconds retry_backoff{1000};
    // Reachability check for /readyz, run by the replay thread every
    // `check_interval` while idle; none: always reachable.
    std::function<result<void>()> check_kafka;
    std::chrono::milliseconds check_interval{5000};
};

class delivery {
public:
    delivery(common::kafka::message_sink& sink, spool& disk, delivery_options options,
             probe& metrics, common::logger& log);
    ~delivery();

    delivery(const delivery&) = delete;
    delivery& operator=(const delivery&) = delete;

    void start();
    // `done` is called exactly once, from the sink's or the spool's thread.
    void deliver(common::kafka::message msg, std::function<void(outcome)> done) noexcept;
    // Stops the replay thread and waits up to `timeout` for the sink's reports.
    void stop(std::chrono::milliseconds timeout) noexcept;

    bool kafka_up() const noexcept { return kafka_up_; }
    bool ready() const noexcept { return kafka_up_ && reachable_; }
    std::uint64_t pending_bytes() const noexcept { return pending_; }

private:
    void to_spool(common::kafka::message msg, std::function<void(outcome)> done);
    void set_kafka_up(bool up);
    void replay_loop();
    // Sends one window; true if every record of it was delivered.
    bool replay_window(std::vector<spooled_record>& records);
    void wait(std::chrono::milliseconds d);

    common::kafka::message_sink& sink_;
    spool& spool_;
    delivery_options options_;
    probe& probe_;
    common::logger& log_;

    std::atomic<bool> kafka_up_{true};
    std::atomic<bool> reachable_{true};
    std::atomic<std::uint64_t> pending_{0};
    std::atomic<bool> stopping_{false};
    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    std::thread replayer_;
    std::vector<spool_position> delivered_ahead_;  // replay thread only
};

}  // namespace clickstream::collector
