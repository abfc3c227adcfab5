#include "enrich_test_data.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/stack.h"

namespace clickstream::enrich::test_data {

data_paths paths() {
    return default_data_paths(clickstream::test::project_root());
}

const ua_parser& uap() {
    static const ua_parser parser({paths().uap_regexes});
    return parser;
}

const referrer_parser& referrers() {
    static const referrer_parser parser = referrer_parser::load(paths().referrers);
    return parser;
}

const std::vector<labelled_ua>& browser_user_agents() {
    static const std::vector<labelled_ua> list = [] {
        const auto file =
            clickstream::test::project_root() / "node_modules/user-agents/dist/user-agents.json";
        std::vector<labelled_ua> out;
        for (const auto& e : nlohmann::json::parse(clickstream::test::read_file(file))) {
            out.push_back(
                {e.at("userAgent").get<std::string>(), e.at("deviceCategory").get<std::string>()});
        }
        return out;
    }();
    return list;
}

const std::vector<std::string>& crawler_user_agents() {
    static const std::vector<std::string> list = [] {
        std::vector<std::string> out;
        const auto text = clickstream::test::read_file(paths().crawler_user_agents);
        for (const auto& e : nlohmann::json::parse(text)) {
            for (const auto& instance : e.at("instances"))
                out.push_back(instance.get<std::string>());
        }
        return out;
    }();
    return list;
}

std::string write_temp_file(const std::string& name, const std::string& text) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("processor_unit_tests_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
}

}  // namespace clickstream::enrich::test_data
