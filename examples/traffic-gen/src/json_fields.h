// Reading members of parsed JSON without value(): GCC 12 reports a null
// dereference inside nlohmann's value() after inlining (-Werror).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace clickstream::traffic_gen {

// A string member, or "" when absent or not a string.
inline std::string string_field(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get_ref<const std::string&>() : std::string();
}

// An integer member, or 0 when absent or not an integer.
inline std::int64_t int_field(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

}  // namespace clickstream::traffic_gen
