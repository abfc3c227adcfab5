#include "common/config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

extern char** environ;  // NOLINT: POSIX

namespace clickstream::common {
namespace {

using json = nlohmann::json;

std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

// Copies `from` onto `into`; `into` starts as the defaults at `path`.
void merge(json& into, const json& from, const std::string& path) {
    if (!from.is_object() || !into.is_object()) {
        into = from;
        return;
    }
    const bool is_map = into.empty();
    for (const auto& [key, value] : from.items()) {
        if (!is_map && !into.contains(key)) {
            throw config_error("unknown config key '" + join(path, key) + "'");
        }
        if (into.contains(key))
            merge(into[key], value, join(path, key));
        else
            into[key] = value;
    }
}

// Every path in `doc` (objects too) keyed by its environment variable name.
void collect_paths(const json& doc, const std::string& path, std::string_view prefix,
                   std::map<std::string, std::string>& out) {
    if (!path.empty()) out.emplace(env_name(path, prefix), path);
    if (!doc.is_object()) return;
    for (const auto& [key, value] : doc.items()) collect_paths(value, join(path, key), prefix, out);
}

json& at_path(json& doc, const std::string& path) {
    json* node = &doc;
    std::istringstream in(path);
    for (std::string key; std::getline(in, key, '.');) node = &(*node)[key];
    return *node;
}

}  // namespace

std::vector<std::string> process_environment() {
    std::vector<std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
    return out;
}

std::string env_name(std::string_view path, std::string_view prefix) {
    std::string name(prefix);
    for (char c : path) {
        if (c == '.')
            name += "__";
        else
            name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return name;
}

json load_config(const json& defaults, const std::filesystem::path& file,
                 const std::vector<std::string>& environment, std::string_view prefix) {
    json config = defaults;
    if (!file.empty()) {
        std::ifstream in(file);
        if (!in) throw config_error("cannot read config file " + file.string());
        json parsed = json::parse(in, nullptr, false, true);
        if (parsed.is_discarded() || !parsed.is_object()) {
            throw config_error("config file " + file.string() + " is not a JSON object");
        }
        merge(config, parsed, "");
    }
    std::map<std::string, std::string> paths;
    collect_paths(config, "", prefix, paths);
    for (const auto& entry : environment) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos) continue;
        const auto found = paths.find(entry.substr(0, eq));
        if (found == paths.end()) continue;
        const std::string text = entry.substr(eq + 1);
        json& target = at_path(config, found->second);
        json parsed = json::parse(text, nullptr, false);
        if (target.is_string() || parsed.is_discarded())
            target = text;
        else if (target.is_object() && !parsed.is_object()) {
            throw config_error(found->first + " must be a JSON object");
        } else
            target = std::move(parsed);
    }
    return config;
}

std::string read_secret(std::string_view key, const std::filesystem::path& file,
                        std::string_view env_var, const std::vector<std::string>& environment) {
    std::string secret;
    if (!file.empty()) {
        std::ifstream in(file, std::ios::binary);
        if (!in) throw config_error(std::string(key) + ": cannot read " + file.string());
        std::ostringstream text;
        text << in.rdbuf();
        secret = text.str();
    } else if (!env_var.empty()) {
        const std::string prefix = std::string(env_var) + "=";
        for (const auto& e : environment) {
            if (e.compare(0, prefix.size(), prefix) == 0) secret = e.substr(prefix.size());
        }
    }
    while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) {
        secret.pop_back();
    }
    return secret;
}

void resolve_secret_files(std::map<std::string, std::string>& settings) {
    constexpr std::string_view suffix = "_file";
    // Inserting into a map keeps `it` valid; the names inserted do not end in
    // the suffix, so the loop never reads them as files.
    for (auto it = settings.begin(); it != settings.end();) {
        const std::string& name = it->first;
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            settings[name.substr(0, name.size() - suffix.size())] =
                read_secret(name, it->second, {}, {});
            it = settings.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace clickstream::common
