// Errors of common/: what went wrong in the Kafka, config and HTTP wrappers,
// as values. Third-party errors (librdkafka, Beast) are turned into these in
// the one wrapper that calls the library; the original reason goes to the log.
#pragma once

#include <system_error>

namespace clickstream::common {

enum class errc {
    success = 0,
    kafka_config,         // a producer/consumer setting was refused
    kafka_create,         // rd_kafka_new failed
    kafka_queue_full,     // the local producer queue is full: back off
    kafka_timed_out,      // not delivered within the message timeout
    kafka_unreachable,    // no broker answered
    kafka_fatal,          // the client instance hit a fatal error
    kafka_rejected,       // the broker refused the message (too large, no topic, ...)
    kafka_shutting_down,  // the producer is closing and takes nothing new
    kafka_consume,        // a consume or commit call failed
    config_unreadable,    // the config file could not be read
    config_invalid,       // the config file or an override is not valid
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

}  // namespace clickstream::common

template <>
struct std::is_error_code_enum<clickstream::common::errc> : std::true_type {};
