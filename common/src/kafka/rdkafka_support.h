// What the Kafka wrappers share: librdkafka's error codes as ours, a config
// from settings, a message as ours, and a subscribed consumer handle.
// Private to common/src/kafka/.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstring>
#include <map>
#include <string>

#include "clickstream/result.h"
#include "common/config.h"
#include "common/errc.h"
#include "common/kafka/consumer.h"
#include "common/log.h"

namespace clickstream::common::kafka {

inline errc to_errc(rd_kafka_resp_err_t err) noexcept {
    switch (err) {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            return errc::success;
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return errc::kafka_queue_full;
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
            return errc::kafka_timed_out;
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        case RD_KAFKA_RESP_ERR__RESOLVE:
            return errc::kafka_unreachable;
        case RD_KAFKA_RESP_ERR__FATAL:
            return errc::kafka_fatal;
        case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
        case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
        case RD_KAFKA_RESP_ERR__DESTROY:
            return errc::kafka_shutting_down;
        default:
            return errc::kafka_rejected;
    }
}

// A librdkafka config with these settings, `<name>_file` ones read from
// their files (resolve_secret_files); a refused one is logged (its name and
// librdkafka's reason, never its value) and returned as errc::kafka_config
// (the conf is then already destroyed).
inline result<rd_kafka_conf_t*> make_conf(std::map<std::string, std::string> settings,
                                          logger& log) noexcept {
    try {
        resolve_secret_files(settings);
    } catch (const std::exception& e) {  // the file's name and path only
        log.error("kafka_setting_refused", {{"reason", e.what()}});
        return failure{make_error_code(errc::kafka_config)};
    }
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [name, value] : settings) {
        if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            log.error("kafka_setting_refused", {{"setting", name}, {"reason", errstr}});
            rd_kafka_conf_destroy(conf);
            return failure{make_error_code(errc::kafka_config)};
        }
    }
    return conf;
}

// A librdkafka message as ours: topic, key, value, headers, partition,
// offset and timestamp, copied out of librdkafka's buffers.
inline consumed_message convert(const rd_kafka_message_t* m) {
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

// Commit metadata onto a partition entry (librdkafka copies it on commit and
// frees it with the list), and a partition entry as ours.
inline void set_metadata(rd_kafka_topic_partition_t* tp, const std::string& metadata) noexcept {
    if (metadata.empty()) return;
    tp->metadata = rd_kafka_mem_malloc(nullptr, metadata.size());
    std::memcpy(tp->metadata, metadata.data(), metadata.size());
    tp->metadata_size = metadata.size();
}

inline partition_commit to_partition_commit(const rd_kafka_topic_partition_t& tp) {
    partition_commit out{{tp.topic, tp.partition, tp.offset}, {}};
    if (tp.metadata != nullptr && tp.metadata_size > 0) {
        out.metadata.assign(static_cast<const char*>(tp.metadata), tp.metadata_size);
    }
    return out;
}

// A consumer handle subscribed to options.topics with read_committed, manual
// commits and an eager assignor (range or roundrobin only: the cooperative
// one has rebalance bugs in librdkafka 2.0). `on_rebalance` gets `opaque`.
// Errors are logged and returned as ours.
inline result<rd_kafka_t*> subscribed_consumer(
    const consumer_options& options,
    void (*on_rebalance)(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*, void*),
    void* opaque, logger& log) noexcept {
    if (options.assignor != "range" && options.assignor != "roundrobin") {
        log.error("kafka_setting_refused",
                  {{"setting", "assignor"}, {"reason", "only range or roundrobin"}});
        return failure{make_error_code(errc::kafka_config)};
    }
    std::map<std::string, std::string> settings = {
        {"bootstrap.servers", options.brokers},
        {"group.id", options.group_id},
        {"partition.assignment.strategy", options.assignor},
        {"auto.offset.reset", options.offset_reset},
        {"isolation.level", "read_committed"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
    };
    for (const auto& [name, value] : options.settings) settings[name] = value;
    auto made = make_conf(settings, log);
    if (!made) return failure{made.error()};
    rd_kafka_conf_t* conf = *made;
    char errstr[512];
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_opaque(conf, opaque);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        log.error("kafka_consumer_create_failed", {{"reason", errstr}});
        return failure{make_error_code(errc::kafka_create)};
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* topics =
        rd_kafka_topic_partition_list_new(static_cast<int>(options.topics.size()));
    for (const auto& t : options.topics) {
        rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
    }
    const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log.error("kafka_subscribe_failed", {{"error", rd_kafka_err2str(err)}});
        rd_kafka_destroy(rk);
        return failure{make_error_code(errc::kafka_consume)};
    }
    return rk;
}

}  // namespace clickstream::common::kafka
