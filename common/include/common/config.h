// Config loading for the services: defaults, then a JSON file, then
// environment overrides. Called once at start-up, so errors are exceptions
// (config_error) that main turns into a message and a non-zero exit.
//
// Rules:
// - `defaults` names every known key. A non-empty object in the defaults is a
//   struct: the file may only use its keys (a typo is an error, not a silent
//   default). An empty object is a map: the file may put any keys in it.
// - An environment variable `<prefix><PATH>` overrides the value at PATH, where
//   PATH is the keys upper-cased and joined by "__": `kafka.brokers` is
//   CLICKSTREAM_KAFKA__BROKERS. Its value is read as JSON when it parses and is
//   not replacing a string; otherwise it is taken as a string. Variables that
//   name no known key are ignored (other tools share the CLICKSTREAM_ prefix).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace clickstream::common {

class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "NAME=value" strings, as in `environ`.
std::vector<std::string> process_environment();

// defaults ⊕ file (if `file` is not empty) ⊕ environment overrides.
nlohmann::json load_config(const nlohmann::json& defaults, const std::filesystem::path& file,
                           const std::vector<std::string>& environment,
                           std::string_view prefix = "CLICKSTREAM_");

// The environment variable name that overrides the value at `path` ("a.b").
std::string env_name(std::string_view path, std::string_view prefix = "CLICKSTREAM_");

}  // namespace clickstream::common
