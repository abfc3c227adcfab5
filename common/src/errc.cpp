#include "common/errc.h"

#include <string>

namespace clickstream::common {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "clickstream.common"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::success:
                return "success";
            case errc::kafka_config:
                return "kafka setting refused";
            case errc::kafka_create:
                return "kafka client could not be created";
            case errc::kafka_queue_full:
                return "kafka producer queue full";
            case errc::kafka_timed_out:
                return "kafka delivery timed out";
            case errc::kafka_unreachable:
                return "kafka unreachable";
            case errc::kafka_fatal:
                return "kafka client fatal error";
            case errc::kafka_rejected:
                return "kafka refused the message";
            case errc::kafka_shutting_down:
                return "kafka producer shutting down";
            case errc::kafka_consume:
                return "kafka consume failed";
            case errc::config_unreadable:
                return "config file unreadable";
            case errc::config_invalid:
                return "config invalid";
        }
        return "unknown common error";
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace clickstream::common
