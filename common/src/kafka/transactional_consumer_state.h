// transactional_consumer's state, shared with transactional_producer.cpp
// (which needs the handle for the group metadata). Private to common/kafka.
#pragma once

#include <librdkafka/rdkafka.h>

#include <functional>

#include "common/kafka/transactional_consumer.h"

namespace clickstream::common::kafka {

struct transactional_consumer::state {
    consumer_options options;
    logger& log;
    rd_kafka_t* rk = nullptr;
    bool closed = false;
    bool revoked = false;  // since the last poll
    std::function<void()> revoke_hook;

    state(consumer_options o, logger& l) : options(std::move(o)), log(l) {}
};

}  // namespace clickstream::common::kafka
