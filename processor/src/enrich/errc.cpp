#include "processor/enrich/errc.h"

#include <string>

namespace clickstream::enrich {

std::string_view to_string(errc e) noexcept {
    switch (e) {
        case errc::success:
            return "success";
        case errc::empty:
            return "empty";
        case errc::too_long:
            return "too_long";
        case errc::bad_scheme:
            return "bad_scheme";
        case errc::bad_host:
            return "bad_host";
        case errc::bad_port:
            return "bad_port";
        case errc::bad_character:
            return "bad_character";
        case errc::bad_ip:
            return "bad_ip";
        case errc::bad_cidr:
            return "bad_cidr";
    }
    return "unknown";
}

namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "enrich"; }
    std::string message(int e) const override {
        return std::string(to_string(static_cast<errc>(e)));
    }
};

}  // namespace

const std::error_category& enrich_category() noexcept {
    static const category instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), enrich_category()};
}

}  // namespace clickstream::enrich
