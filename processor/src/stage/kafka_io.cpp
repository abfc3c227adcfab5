#include "processor/stage/kafka_io.h"

namespace clickstream::processor {

namespace kafka = common::kafka;

kafka_io::kafka_io(kafka::transactional_producer_options producer_options, common::logger& log)
    : producer_options_(std::move(producer_options)), log_(log) {}

clickstream::result<std::unique_ptr<kafka_io>> kafka_io::create(
    kafka::consumer_options consumer, kafka::transactional_producer_options producer,
    common::logger& log) {
    std::unique_ptr<kafka_io> io(new kafka_io(producer, log));
    auto p = kafka::transactional_producer::create(std::move(producer), log);
    if (!p) return failure{p.error()};
    io->producer_ = std::move(*p);
    auto c = kafka::transactional_consumer::create(std::move(consumer), log);
    if (!c) return failure{c.error()};
    io->consumer_ = std::move(*c);
    kafka_io* self = io.get();
    io->consumer_->on_revoke([self] {
        if (self->producer_ && self->producer_->in_transaction()) self->producer_->abort();
    });
    return io;
}

kafka_io::~kafka_io() {
    close();
}

void kafka_io::close() noexcept {
    // Leave the group while the producer still exists (the revoke hook
    // aborts through it), then the producer goes.
    if (consumer_) consumer_->close();
    if (producer_) producer_->abort();
}

clickstream::result<poll_result> kafka_io::poll(std::chrono::milliseconds timeout) noexcept {
    auto polled = consumer_->poll(timeout);
    if (!polled) return failure{polled.error()};
    poll_result out;
    out.revoked = polled->revoked;
    if (polled->message) {
        auto& m = *polled->message;
        input_record r;
        r.topic = std::move(m.msg.topic);
        r.partition = m.partition;
        r.offset = m.offset;
        r.key = std::move(m.msg.key);
        r.value = std::move(m.msg.value);
        r.headers.reserve(m.msg.headers.size());
        for (auto& h : m.msg.headers) r.headers.push_back({std::move(h.name), std::move(h.value)});
        out.record = std::move(r);
    }
    return out;
}

clickstream::result<void> kafka_io::rewind() noexcept {
    auto r = consumer_->rewind(producer_options_.operation_timeout);
    if (!r) return failure{r.error()};
    return {};
}

clickstream::result<void> kafka_io::begin() noexcept {
    auto r = producer_->begin();
    if (!r) return failure{r.error()};
    return {};
}

clickstream::result<void> kafka_io::produce(output_record record) noexcept {
    kafka::message m;
    m.topic = std::move(record.topic);
    m.key = std::move(record.key);
    m.value = std::move(record.value);
    m.headers.reserve(record.headers.size());
    for (auto& h : record.headers) m.headers.push_back({std::move(h.name), std::move(h.value)});
    auto r = producer_->produce(m);
    if (!r) return failure{r.error()};
    return {};
}

clickstream::result<void> kafka_io::commit(const std::vector<input_position>& positions) noexcept {
    std::vector<kafka::partition_offset> offsets;
    offsets.reserve(positions.size());
    for (const auto& p : positions) offsets.push_back({p.topic, p.partition, p.next_offset});
    auto r = producer_->commit(offsets, *consumer_);
    if (!r) return failure{r.error()};
    return {};
}

void kafka_io::abort() noexcept {
    if (producer_) producer_->abort();
}

clickstream::result<void> kafka_io::reset() noexcept {
    // The old producer goes first (its destructor aborts what it can); the
    // new one's init_transactions bumps the epoch and fences it for good.
    producer_.reset();
    auto p = kafka::transactional_producer::create(producer_options_, log_);
    if (!p) return failure{p.error()};
    producer_ = std::move(*p);
    log_.info("producer_reset", {{"transactional_id", producer_options_.transactional_id}});
    return {};
}

}  // namespace clickstream::processor
