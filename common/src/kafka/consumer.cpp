#include "common/kafka/consumer.h"

#include <librdkafka/rdkafka.h>

#include <vector>

#include "rdkafka_support.h"

namespace clickstream::common::kafka {

struct consumer::state {
    consumer_options options;
    logger& log;
    rd_kafka_t* rk = nullptr;
    bool closed = false;

    state(consumer_options o, logger& l) : options(std::move(o)), log(l) {}

    // Eager protocol: every rebalance revokes all and assigns anew.
    void on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t* partitions) noexcept {
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
            log.info("kafka_partitions_assigned", {{"count", partitions->cnt}});
            if (options.start_within.count() > 0) return assign_by_time(handle, partitions);
            rd_kafka_assign(handle, partitions);
        } else {
            log.info("kafka_partitions_revoked", {{"count", partitions->cnt}});
            rd_kafka_assign(handle, nullptr);
        }
    }

    // Starts each partition at the first message within options.start_within;
    // if the broker cannot say, at the committed offset (logged). A partition
    // with nothing that recent starts at its end as it was before the lookup,
    // not at a logical END resolved later: a message produced meanwhile is read.
    void assign_by_time(rd_kafka_t* handle, rd_kafka_topic_partition_list_t* partitions) noexcept {
        const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()) -
                           options.start_within;
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_copy(partitions);
        std::vector<std::int64_t> ends(static_cast<std::size_t>(list->cnt), RD_KAFKA_OFFSET_END);
        for (int i = 0; i < list->cnt; ++i) {
            std::int64_t low = 0;
            rd_kafka_query_watermark_offsets(handle, list->elems[i].topic, list->elems[i].partition,
                                             &low, &ends[static_cast<std::size_t>(i)], 10'000);
            list->elems[i].offset = since.count();
        }
        const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(handle, list, 10'000);
        for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
            if (list->elems[i].offset == RD_KAFKA_OFFSET_END) {
                list->elems[i].offset = ends[static_cast<std::size_t>(i)];
            }
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log.warn("kafka_offsets_for_times_failed", {{"error", rd_kafka_err2str(err)}});
            rd_kafka_assign(handle, partitions);
        } else {
            rd_kafka_assign(handle, list);
        }
        rd_kafka_topic_partition_list_destroy(list);
    }
};

namespace {

void rebalance_callback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<consumer::state*>(opaque)->on_rebalance(rk, err, partitions);
}

}  // namespace

result<std::unique_ptr<consumer>> consumer::create(consumer_options options, logger& log) {
    auto s = std::make_unique<state>(std::move(options), log);
    auto rk = subscribed_consumer(s->options, rebalance_callback, s.get(), s->log);
    if (!rk) return failure{rk.error()};
    s->rk = *rk;
    return std::unique_ptr<consumer>(new consumer(std::move(s)));
}

consumer::consumer(std::unique_ptr<state> s) : state_(std::move(s)) {}

consumer::~consumer() {
    close();
    rd_kafka_destroy(state_->rk);
}

result<std::optional<consumed_message>> consumer::poll(std::chrono::milliseconds timeout) noexcept {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        rd_kafka_message_t* m =
            rd_kafka_consumer_poll(state_->rk, static_cast<int>(std::max<long>(0, left.count())));
        if (m == nullptr) return std::optional<consumed_message>{};
        std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> owned(
            m, rd_kafka_message_destroy);
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::optional(convert(m));
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
        state_->log.warn("kafka_consume_error", {{"error", rd_kafka_message_errstr(m)}});
        if (m->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
            m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
            return failure{make_error_code(errc::kafka_unreachable)};
        }
        return failure{make_error_code(errc::kafka_consume)};
    }
}

result<void> consumer::commit(const std::vector<partition_offset>& offsets) noexcept {
    std::vector<partition_commit> commits;
    for (const auto& o : offsets) commits.push_back({o, {}});
    return commit(commits);
}

result<void> consumer::commit(const std::vector<partition_commit>& commits) noexcept {
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(commits.size()));
    for (const auto& c : commits) {
        rd_kafka_topic_partition_t* tp =
            rd_kafka_topic_partition_list_add(list, c.position.topic.c_str(), c.position.partition);
        tp->offset = c.position.offset;
        set_metadata(tp, c.metadata);
    }
    const rd_kafka_resp_err_t err = rd_kafka_commit(state_->rk, list, 0);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        state_->log.warn("kafka_commit_failed", {{"error", rd_kafka_err2str(err)}});
        return failure{make_error_code(errc::kafka_consume)};
    }
    return {};
}

result<std::vector<partition_commit>> consumer::committed(
    const std::vector<partition_offset>& partitions, std::chrono::milliseconds timeout) noexcept {
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
    for (const auto& p : partitions) {
        rd_kafka_topic_partition_list_add(list, p.topic.c_str(), p.partition);
    }
    const rd_kafka_resp_err_t err =
        rd_kafka_committed(state_->rk, list, static_cast<int>(timeout.count()));
    std::vector<partition_commit> out;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < list->cnt; ++i) out.push_back(to_partition_commit(list->elems[i]));
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        state_->log.warn("kafka_committed_failed", {{"error", rd_kafka_err2str(err)}});
        return failure{make_error_code(to_errc(err) == errc::kafka_rejected ? errc::kafka_consume
                                                                            : to_errc(err))};
    }
    return out;
}

std::vector<partition_offset> consumer::assignment() const noexcept {
    std::vector<partition_offset> out;
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(state_->rk, &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
    for (int i = 0; i < list->cnt; ++i) {
        out.push_back({list->elems[i].topic, list->elems[i].partition, list->elems[i].offset});
    }
    rd_kafka_topic_partition_list_destroy(list);
    return out;
}

void consumer::close() noexcept {
    if (state_->closed) return;
    state_->closed = true;
    rd_kafka_consumer_close(state_->rk);
}

}  // namespace clickstream::common::kafka
