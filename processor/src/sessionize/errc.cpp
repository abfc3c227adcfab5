#include "processor/sessionize/errc.h"

#include <string>

namespace clickstream::sessionize {

std::string_view to_string(errc e) noexcept {
    switch (e) {
        case errc::success:
            return "success";
        case errc::bad_json:
            return "bad_json";
        case errc::missing_field:
            return "missing_field";
        case errc::bad_value:
            return "bad_value";
        case errc::clickhouse_unreachable:
            return "clickhouse_unreachable";
        case errc::clickhouse_rejected:
            return "clickhouse_rejected";
        case errc::clickhouse_bad_answer:
            return "clickhouse_bad_answer";
    }
    return "unknown";
}

namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "sessionize"; }
    std::string message(int e) const override {
        return std::string(to_string(static_cast<errc>(e)));
    }
};

}  // namespace

const std::error_category& sessionize_category() noexcept {
    static const category instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), sessionize_category()};
}

}  // namespace clickstream::sessionize
