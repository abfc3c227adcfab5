#include "processor/analysis/query_runner.h"

#include <cstdlib>
#include <string>

namespace clickstream::analysis {

std::int64_t as_int(const nlohmann::json& v) noexcept {
    if (v.is_number_integer()) return v.get<std::int64_t>();
    if (v.is_number()) return static_cast<std::int64_t>(v.get<double>());
    if (v.is_string()) return std::strtoll(v.get_ref<const std::string&>().c_str(), nullptr, 10);
    if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
    return 0;
}

double as_double(const nlohmann::json& v) noexcept {
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) return std::strtod(v.get_ref<const std::string&>().c_str(), nullptr);
    if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
    return 0;
}

std::string as_string(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "";
    return v.dump();
}

}  // namespace clickstream::analysis
