// librdkafka's error codes as ours; private to common's Kafka wrappers.
#pragma once

#include <librdkafka/rdkafka.h>

#include "common/errc.h"

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

}  // namespace clickstream::common::kafka
