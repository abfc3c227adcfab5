#include "common/kafka/consumer.h"

#include <librdkafka/rdkafka.h>

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
            rd_kafka_assign(handle, partitions);
        } else {
            log.info("kafka_partitions_revoked", {{"count", partitions->cnt}});
            rd_kafka_assign(handle, nullptr);
        }
    }
};

namespace {

void rebalance_callback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<consumer::state*>(opaque)->on_rebalance(rk, err, partitions);
}

consumed_message convert(const rd_kafka_message_t* m) {
    consumed_message out;
    out.msg.topic = rd_kafka_topic_name(m->rkt);
    if (m->key != nullptr) out.msg.key.emplace(static_cast<const char*>(m->key), m->key_len);
    if (m->payload != nullptr) out.msg.value.assign(static_cast<const char*>(m->payload), m->len);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
            out.msg.headers.push_back(
                {name, value != nullptr ? std::string(static_cast<const char*>(value), size) : ""});
        }
    }
    out.partition = m->partition;
    out.offset = m->offset;
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    out.timestamp_ms = rd_kafka_message_timestamp(m, &type);
    return out;
}

}  // namespace

result<std::unique_ptr<consumer>> consumer::create(consumer_options options, logger& log) {
    if (options.assignor != "range" && options.assignor != "roundrobin") {
        log.error("kafka_setting_refused",
                  {{"setting", "assignor"}, {"reason", "only range or roundrobin"}});
        return failure{make_error_code(errc::kafka_config)};
    }
    auto s = std::make_unique<state>(std::move(options), log);
    std::map<std::string, std::string> settings = {
        {"bootstrap.servers", s->options.brokers},
        {"group.id", s->options.group_id},
        {"partition.assignment.strategy", s->options.assignor},
        {"auto.offset.reset", s->options.offset_reset},
        {"isolation.level", "read_committed"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
    };
    for (const auto& [name, value] : s->options.settings) settings[name] = value;
    auto made = make_conf(settings, log);
    if (!made) return failure{made.error()};
    rd_kafka_conf_t* conf = *made;
    char errstr[512];
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_callback);
    rd_kafka_conf_set_opaque(conf, s.get());
    s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (s->rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        log.error("kafka_consumer_create_failed", {{"reason", errstr}});
        return failure{make_error_code(errc::kafka_create)};
    }
    rd_kafka_poll_set_consumer(s->rk);
    rd_kafka_topic_partition_list_t* topics =
        rd_kafka_topic_partition_list_new(static_cast<int>(s->options.topics.size()));
    for (const auto& t : s->options.topics) {
        rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
    }
    const rd_kafka_resp_err_t err = rd_kafka_subscribe(s->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log.error("kafka_subscribe_failed", {{"error", rd_kafka_err2str(err)}});
        rd_kafka_destroy(s->rk);
        return failure{make_error_code(errc::kafka_consume)};
    }
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
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
    for (const auto& o : offsets) {
        rd_kafka_topic_partition_list_add(list, o.topic.c_str(), o.partition)->offset = o.offset;
    }
    const rd_kafka_resp_err_t err = rd_kafka_commit(state_->rk, list, 0);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        state_->log.warn("kafka_commit_failed", {{"error", rd_kafka_err2str(err)}});
        return failure{make_error_code(errc::kafka_consume)};
    }
    return {};
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
