// The Kafka producer: the one place that produces through librdkafka.
//
// - Idempotent, acks=all: a report without error means the broker has the
//   message on all in-sync replicas.
// - Delivery reports arrive only on the producer's own poll thread, never on
//   the caller's (and never during flush, which only waits).
// - A fatal client error (librdkafka 2.0.2 can hit "sequence
//   desynchronization", fixed only in 2.3.0) does not drop messages: the
//   instance is purged, a new one is made, and every message that had no
//   report yet is produced again on it (at least once; the consumers dedup).
// - Messages are produced without copying: the value stays in our `message`
//   until its report, which hands it back to the caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "clickstream/result.h"
#include "common/kafka/message.h"
#include "common/log.h"

namespace clickstream::common::kafka {

struct producer_options {
    std::string brokers = "127.0.0.1:9092";
    std::string client_id = "clickstream";
    // A message without an acknowledgement after this long is reported as
    // failed (errc::kafka_timed_out).
    std::chrono::milliseconds message_timeout{5000};
    std::chrono::milliseconds linger{5};
    std::string compression = "lz4";
    // Any other librdkafka producer setting, applied last. The settings that
    // make delivery safe (enable.idempotence, acks) cannot be changed.
    std::map<std::string, std::string> settings;
};

// The librdkafka properties a producer is made with: the options under their
// librdkafka names, `settings` over them, then enable.idempotence=true and
// acks=all, which nothing overrides. Benchmarks read it to produce with
// exactly the settings of a service's producer.
std::map<std::string, std::string> librdkafka_properties(const producer_options& options);

class producer final : public message_sink {
public:
    // Start-up: a setting refused or the client not made is an error (the
    // reason is logged).
    static result<std::unique_ptr<producer>> create(producer_options options, logger& log);
    // Takes no more messages, waits up to the message timeout for reports,
    // then reports what is left as errc::kafka_shutting_down.
    ~producer() override;

    producer(const producer&) = delete;
    producer& operator=(const producer&) = delete;

    void produce(message msg, delivery_handler done) noexcept override;
    bool flush(std::chrono::milliseconds timeout) noexcept override;

    // One metadata round trip: whether any broker answers within `timeout`.
    // Blocks the caller (not the poll thread).
    result<void> check_reachable(std::chrono::milliseconds timeout) noexcept;

    // Messages given and not yet reported.
    std::size_t outstanding() const noexcept;
    // How many times a fatal error made the producer start a new instance.
    std::uint64_t recreations() const noexcept;
    // Raises a fatal error in the current instance, as the broker protocol
    // would: for tests and fault drills of the recovery path.
    void simulate_fatal_error(const std::string& reason) noexcept;

    struct state;  // librdkafka handles and bookkeeping (producer.cpp)

private:
    explicit producer(std::unique_ptr<state> s);
    std::unique_ptr<state> state_;
};

}  // namespace clickstream::common::kafka
