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
#include <map>
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

// A secret (password, token) kept out of config files: the content of `file`
// when it is set, else the value of the variable `env_var` in `environment`
// (when `env_var` is set), else "". Trailing whitespace (an editor's final
// newline) is dropped. A file that cannot be read is a config_error naming
// `key` and the path. The secret itself is never put in an error or a log.
std::string read_secret(std::string_view key, const std::filesystem::path& file,
                        std::string_view env_var, const std::vector<std::string>& environment);

// librdkafka settings with secrets in files: every `<name>_file` (e.g.
// `sasl.password_file`) is replaced by `<name>` set to that file's content
// (read_secret). No librdkafka property ends in `_file`.
void resolve_secret_files(std::map<std::string, std::string>& settings);

}  // namespace clickstream::common
