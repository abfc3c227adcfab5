// What both Kafka wrappers need from librdkafka: its error codes as ours, and
// a config from settings. Private to common/src/kafka/.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <string>

#include "clickstream/result.h"
#include "common/errc.h"
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

// A librdkafka config with these settings; a refused one is logged and
// returned as errc::kafka_config (the conf is then already destroyed).
inline result<rd_kafka_conf_t*> make_conf(const std::map<std::string, std::string>& settings,
                                          logger& log) noexcept {
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

}  // namespace clickstream::common::kafka
