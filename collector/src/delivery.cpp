#include "collector/delivery.h"

#include <algorithm>
#include <memory>

namespace clickstream::collector {

delivery::delivery(common::kafka::message_sink& sink, spool& disk, delivery_options options,
                   probe& metrics, common::logger& log)
    : sink_(sink), spool_(disk), options_(std::move(options)), probe_(metrics), log_(log) {}

delivery::~delivery() {
    stop(std::chrono::milliseconds(0));
}

void delivery::start() {
    replayer_ = std::thread([this] { replay_loop(); });
}

void delivery::deliver(common::kafka::message msg, std::function<void(outcome)> done) noexcept {
    const std::size_t size = msg.value.size();
    if (!kafka_up_ || pending_ + size > options_.pending_limit) {
        to_spool(std::move(msg), std::move(done));
        return;
    }
    pending_ += size;
    const auto start = std::chrono::steady_clock::now();
    sink_.produce(std::move(msg), [this, size, start, done = std::move(done)](
                                      common::kafka::delivery_report&& report) {
        pending_ -= size;
        probe_.produce_latency(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        if (!report.error) {
            probe_.batch(outcome::acked, size);
            done(outcome::acked);
            return;
        }
        log_.warn("produce_failed", {{"error", report.error.message()}});
        set_kafka_up(false);
        to_spool(std::move(report.msg), done);
    });
}

void delivery::to_spool(common::kafka::message msg, std::function<void(outcome)> done) {
    const std::size_t size = msg.value.size();
    spool_.append(msg, [this, size, done = std::move(done)](std::error_code ec) {
        const outcome o = ec ? outcome::refused : outcome::spooled;
        if (ec) log_.warn("spool_refused", {{"error", ec.message()}});
        probe_.batch(o, size);
        done(o);
    });
}

void delivery::set_kafka_up(bool up) {
    if (kafka_up_.exchange(up) != up) {
        log_.write(up ? common::log_level::info : common::log_level::warn,
                   up ? "kafka_up" : "kafka_down", {{"spool_records", spool_.records()}});
        probe_.kafka_state_changed(up);
    }
}

void delivery::wait(std::chrono::milliseconds d) {
    std::unique_lock lock(stop_mutex_);
    stop_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

bool delivery::replay_window(std::vector<spooled_record>& records) {
    struct window_state {
        std::mutex mutex;
        std::condition_variable cv;
        std::size_t waiting = 0;
        std::vector<bool> ok;
    };
    auto w = std::make_shared<window_state>();
    w->ok.assign(records.size(), false);
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (std::find(delivered_ahead_.begin(), delivered_ahead_.end(), records[i].at) !=
            delivered_ahead_.end()) {
            w->ok[i] = true;  // delivered in an earlier attempt of this window
            continue;
        }
        {
            std::lock_guard lock(w->mutex);
            ++w->waiting;
        }
        sink_.produce(records[i].msg, [w, i](common::kafka::delivery_report&& report) {
            std::lock_guard lock(w->mutex);
            w->ok[i] = !report.error;
            if (--w->waiting == 0) w->cv.notify_all();
        });
    }
    {
        std::unique_lock lock(w->mutex);
        w->cv.wait(lock, [&] { return w->waiting == 0; });
    }
    // Ack the delivered prefix; remember what made it beyond a failure.
    std::size_t prefix = 0;
    while (prefix < records.size() && w->ok[prefix]) ++prefix;
    if (prefix > 0) {
        spool_.ack(records[prefix - 1].next, prefix);
        probe_.replayed(prefix);
    }
    delivered_ahead_.clear();
    for (std::size_t i = prefix; i < records.size(); ++i) {
        if (w->ok[i]) delivered_ahead_.push_back(records[i].at);
    }
    return prefix == records.size();
}

void delivery::replay_loop() {
    auto last_check = std::chrono::steady_clock::now() - options_.check_interval;
    while (!stopping_) {
        if (spool_.records() == 0) {
            if (!kafka_up_) {  // nothing to prove it with: try Kafka directly again
                wait(options_.retry_backoff);
                // Unless a batch was spooled meanwhile: its replay is the proof.
                if (stopping_ || spool_.records() > 0) continue;
                set_kafka_up(true);
            }
            if (options_.check_kafka &&
                std::chrono::steady_clock::now() - last_check >= options_.check_interval) {
                last_check = std::chrono::steady_clock::now();
                auto r = options_.check_kafka();
                if (reachable_.exchange(static_cast<bool>(r)) != static_cast<bool>(r)) {
                    log_.info("kafka_reachable_changed", {{"reachable", static_cast<bool>(r)}});
                }
            }
            spool_.wait_for_records(std::chrono::milliseconds(200));
            continue;
        }
        auto records = spool_.read(options_.replay_window);
        if (!records) {
            log_.error("spool_read_failed", {{"error", records.error().message()}});
            wait(options_.retry_backoff);
            continue;
        }
        if (records->empty()) continue;
        if (replay_window(*records)) {
            reachable_ = true;
            set_kafka_up(true);
        } else {
            set_kafka_up(false);
            wait(options_.retry_backoff);
        }
    }
}

void delivery::stop(std::chrono::milliseconds timeout) noexcept {
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    if (replayer_.joinable()) replayer_.join();
    sink_.flush(timeout);
}

}  // namespace clickstream::collector
