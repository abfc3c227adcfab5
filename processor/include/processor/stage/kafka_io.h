// record_source and transactional_sink over Kafka (common/kafka's
// transactional consumer and producer): the one place a stage meets Kafka.
// The consumer's revoke hook aborts the open transaction before its
// partitions go, and reset() makes a new producer with the same
// transactional.id, which fences the old one.
#pragma once

#include <memory>

#include "common/kafka/transactional_consumer.h"
#include "common/kafka/transactional_producer.h"
#include "processor/stage/stage_io.h"

namespace clickstream::processor {

class kafka_io final : public record_source, public transactional_sink {
public:
    // Start-up: the consumer subscribes and the producer initialises its
    // transactions (fencing an older instance with the same id).
    static clickstream::result<std::unique_ptr<kafka_io>> create(
        common::kafka::consumer_options consumer,
        common::kafka::transactional_producer_options producer, common::logger& log);
    ~kafka_io() override;

    clickstream::result<poll_result> poll(std::chrono::milliseconds timeout) noexcept override;
    clickstream::result<void> rewind() noexcept override;

    clickstream::result<void> begin() noexcept override;
    clickstream::result<void> produce(output_record record) noexcept override;
    clickstream::result<void> commit(
        const std::vector<input_position>& positions) noexcept override;
    void abort() noexcept override;
    clickstream::result<void> reset() noexcept override;

    std::int64_t lag() const noexcept { return consumer_->lag(); }
    void close() noexcept;

private:
    kafka_io(common::kafka::transactional_producer_options producer_options, common::logger& log);

    common::kafka::transactional_producer_options producer_options_;
    common::logger& log_;
    std::unique_ptr<common::kafka::transactional_consumer> consumer_;
    std::unique_ptr<common::kafka::transactional_producer> producer_;
};

}  // namespace clickstream::processor
