#include "common/kafka/transactional_consumer.h"

#include "rdkafka_support.h"
#include "transactional_consumer_state.h"

namespace clickstream::common::kafka {
namespace {

// Eager protocol: every rebalance revokes all partitions, then assigns anew
// (a fresh assignment starts at the committed offsets).
void rebalance_callback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* s = static_cast<transactional_consumer::state*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        s->log.info("kafka_partitions_assigned", {{"count", partitions->cnt}});
        rd_kafka_assign(rk, partitions);
        return;
    }
    s->log.info("kafka_partitions_revoked", {{"count", partitions->cnt}});
    // Before the partitions go: the open transaction must not commit
    // offsets of partitions this member no longer holds.
    if (s->revoke_hook) s->revoke_hook();
    s->revoked = true;
    rd_kafka_assign(rk, nullptr);
}

}  // namespace

result<std::unique_ptr<transactional_consumer>> transactional_consumer::create(
    consumer_options options, logger& log) {
    auto s = std::make_unique<state>(std::move(options), log);
    auto rk = subscribed_consumer(s->options, rebalance_callback, s.get(), s->log);
    if (!rk) return failure{rk.error()};
    s->rk = *rk;
    return std::unique_ptr<transactional_consumer>(new transactional_consumer(std::move(s)));
}

transactional_consumer::transactional_consumer(std::unique_ptr<state> s) : state_(std::move(s)) {}

transactional_consumer::~transactional_consumer() {
    close();
    rd_kafka_destroy(state_->rk);
}

void transactional_consumer::on_revoke(std::function<void()> hook) {
    state_->revoke_hook = std::move(hook);
}

result<transactional_poll> transactional_consumer::poll(
    std::chrono::milliseconds timeout) noexcept {
    transactional_poll out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        rd_kafka_message_t* m =
            rd_kafka_consumer_poll(state_->rk, static_cast<int>(std::max<long>(0, left.count())));
        if (state_->revoked) {
            state_->revoked = false;
            out.revoked = true;
        }
        if (m == nullptr) return out;
        std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> owned(
            m, rd_kafka_message_destroy);
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            out.message = convert(m);
            return out;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
        state_->log.warn("kafka_consume_error", {{"error", rd_kafka_message_errstr(m)}});
        if (out.revoked) return out;  // report the revocation; the error recurs if it lasts
        return failure{make_error_code(to_errc(m->err) == errc::kafka_unreachable
                                           ? errc::kafka_unreachable
                                           : errc::kafka_consume)};
    }
}

result<void> transactional_consumer::rewind(std::chrono::milliseconds timeout) noexcept {
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (const auto err = rd_kafka_assignment(state_->rk, &list);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        state_->log.warn("kafka_rewind_failed", {{"error", rd_kafka_err2str(err)}});
        return failure{make_error_code(errc::kafka_consume)};
    }
    std::unique_ptr<rd_kafka_topic_partition_list_t, void (*)(rd_kafka_topic_partition_list_t*)>
        owned(list, rd_kafka_topic_partition_list_destroy);
    if (list->cnt == 0) return {};
    const int ms = static_cast<int>(timeout.count());
    if (const auto err = rd_kafka_committed(state_->rk, list, ms);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        state_->log.warn("kafka_rewind_failed",
                         {{"step", "committed"}, {"error", rd_kafka_err2str(err)}});
        return failure{make_error_code(
            to_errc(err) == errc::kafka_timed_out ? errc::kafka_timed_out : errc::kafka_consume)};
    }
    for (int i = 0; i < list->cnt; ++i) {
        auto& p = list->elems[i];
        if (p.offset < 0) {
            p.offset = state_->options.offset_reset == "latest" ? RD_KAFKA_OFFSET_END
                                                                : RD_KAFKA_OFFSET_BEGINNING;
        }
    }
    rd_kafka_error_t* error = rd_kafka_seek_partitions(state_->rk, list, ms);
    if (error != nullptr) {
        state_->log.warn("kafka_rewind_failed",
                         {{"step", "seek"}, {"error", rd_kafka_error_string(error)}});
        rd_kafka_error_destroy(error);
        return failure{make_error_code(errc::kafka_consume)};
    }
    for (int i = 0; i < list->cnt; ++i) {
        if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            state_->log.warn("kafka_rewind_failed",
                             {{"step", "seek"},
                              {"topic", list->elems[i].topic},
                              {"partition", list->elems[i].partition},
                              {"error", rd_kafka_err2str(list->elems[i].err)}});
            return failure{make_error_code(errc::kafka_consume)};
        }
    }
    state_->log.info("kafka_rewound", {{"partitions", list->cnt}});
    return {};
}

std::int64_t transactional_consumer::lag() const noexcept {
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(state_->rk, &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
    std::int64_t lag = 0;
    if (rd_kafka_position(state_->rk, list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < list->cnt; ++i) {
            const auto& p = list->elems[i];
            int64_t low = -1, high = -1;
            if (p.offset >= 0 &&
                rd_kafka_get_watermark_offsets(state_->rk, p.topic, p.partition, &low, &high) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR &&
                high >= p.offset) {
                lag += high - p.offset;
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    return lag;
}

void transactional_consumer::close() noexcept {
    if (state_->closed) return;
    state_->closed = true;
    rd_kafka_consumer_close(state_->rk);
}

}  // namespace clickstream::common::kafka
