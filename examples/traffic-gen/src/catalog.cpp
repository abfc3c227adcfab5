#include "traffic_gen/catalog.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "json_fields.h"

namespace clickstream::traffic_gen {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
    throw std::runtime_error(file.string() + ": " + what);
}

json read_json(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) fail(file, "cannot be read (run scripts/setup, or point --data at node_modules)");
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded()) fail(file, "is not valid JSON");
    return j;
}

// Well-known sources carry most of the traffic; the rest of the list shares
// `rest` evenly. Names as referers.yml spells them.
const std::map<std::string, double, std::less<>>& popularity(const std::string& medium) {
    static const std::map<std::string, std::map<std::string, double, std::less<>>> weights = {
        {"search",
         {{"Google", 0.80},
          {"Bing", 0.08},
          {"Yahoo!", 0.03},
          {"DuckDuckGoL", 0.02},
          {"Ecosia", 0.01},
          {"Yandex", 0.01},
          {"Baidu", 0.01}}},
        {"social",
         {{"Facebook", 0.45},
          {"Twitter", 0.15},
          {"Pinterest", 0.12},
          {"Reddit", 0.08},
          {"LinkedIn", 0.05},
          {"Tumblr", 0.02}}},
        {"email", {{"Gmail", 0.55}, {"Outlook.com", 0.25}, {"Yahoo! Mail", 0.15}}},
    };
    return weights.at(medium);
}

void load_medium(const YAML::Node& root, const std::string& medium,
                 const std::filesystem::path& file, std::vector<referrer_source>& out,
                 std::vector<double>& sums) {
    const YAML::Node section = root[medium];
    if (!section || !section.IsMap()) fail(file, "has no '" + medium + "' section");
    const auto& popular = popularity(medium);
    constexpr double rest = 0.05;
    std::vector<double> weights;
    std::size_t unnamed = 0;
    for (const auto& entry : section) {
        const auto name = entry.first.as<std::string>();
        const YAML::Node domains = entry.second["domains"];
        if (!domains || !domains.IsSequence() || domains.size() == 0) {
            fail(file, medium + "." + name + " has no domains");
        }
        referrer_source s{name, domains[0].as<std::string>(), {}};
        if (const YAML::Node params = entry.second["parameters"]; params && params.IsSequence()) {
            for (const auto& p : params) s.parameters.push_back(p.as<std::string>());
        }
        const auto it = popular.find(name);
        weights.push_back(it == popular.end() ? -1.0 : it->second);
        if (it == popular.end()) ++unnamed;
        out.push_back(std::move(s));
    }
    for (double& w : weights) {
        if (w < 0) w = rest / static_cast<double>(unnamed);
    }
    sums = cumulative(weights);
}

}  // namespace

data_paths default_data_paths(const std::filesystem::path& node_modules) {
    return {node_modules / "user-agents/dist/user-agents.json",
            node_modules / "referer-parser/data/referers.yml",
            node_modules / "crawler-user-agents/crawler-user-agents.json"};
}

catalog load_catalog(const data_paths& paths) {
    catalog c;
    const json uas = read_json(paths.user_agents);
    if (!uas.is_array() || uas.empty()) fail(paths.user_agents, "is not a list of user agents");
    std::vector<double> weights;
    for (std::size_t i = 0; i < uas.size(); ++i) {
        const json& u = uas[i];
        const auto dim = [&](const char* key) {
            const auto it = u.find(key);
            return it != u.end() && it->is_number_unsigned() ? it->get<std::uint32_t>() : 0U;
        };
        const auto weight = u.is_object() ? u.find("weight") : u.end();
        if (!u.is_object() || string_field(u, "userAgent").empty() || weight == u.end() ||
            !weight->is_number() || weight->get<double>() <= 0) {
            fail(paths.user_agents, "entry " + std::to_string(i) + " has no userAgent or weight");
        }
        user_agent_entry e;
        e.user_agent = string_field(u, "userAgent");
        e.weight = weight->get<double>();
        e.device_category = string_field(u, "deviceCategory");
        e.screen = {dim("screenWidth"), dim("screenHeight")};
        e.viewport = {dim("viewportWidth"), dim("viewportHeight")};
        e.language = string_field(u, "language");
        if (e.device_category == "desktop" && e.user_agent.find("Chrome/") != std::string::npos &&
            e.user_agent.find("Edg/") == std::string::npos &&
            e.user_agent.find("OPR/") == std::string::npos) {
            c.desktop_chrome.push_back(c.user_agents.size());
        }
        weights.push_back(e.weight);
        c.user_agents.push_back(std::move(e));
    }
    if (c.desktop_chrome.empty()) fail(paths.user_agents, "has no desktop Chrome user agent");
    c.user_agent_sums = cumulative(weights);

    YAML::Node refs;
    try {
        refs = YAML::LoadFile(paths.referrers.string());
    } catch (const YAML::Exception& e) {
        fail(paths.referrers, std::string("cannot be read as YAML: ") + e.what());
    }
    load_medium(refs, "search", paths.referrers, c.search, c.search_sums);
    load_medium(refs, "social", paths.referrers, c.social, c.social_sums);
    load_medium(refs, "email", paths.referrers, c.email, c.email_sums);

    const json crawlers = read_json(paths.crawlers);
    if (!crawlers.is_array()) fail(paths.crawlers, "is not a list of crawler patterns");
    for (const json& p : crawlers) {
        if (!p.is_object() || !p.contains("instances") || !p["instances"].is_array()) continue;
        for (const json& ua : p["instances"]) {
            if (ua.is_string() && !ua.get<std::string>().empty()) {
                c.crawler_agents.push_back(ua.get<std::string>());
            }
        }
    }
    if (c.crawler_agents.empty()) fail(paths.crawlers, "has no crawler user agent instances");
    return c;
}

site_map demo_shop(std::string base) {
    while (!base.empty() && base.back() == '/') base.pop_back();
    site_map s;
    s.base = std::move(base);
    s.categories = {
        {"tea",
         "Tea",
         {{"darjeeling-first-flush", "Darjeeling First Flush", 14.5},
          {"sencha-kagoshima", "Sencha Kagoshima", 11.9},
          {"assam-breakfast", "Assam Breakfast", 8.9},
          {"earl-grey-blue-flower", "Earl Grey Blue Flower", 9.5}}},
        {"teapots",
         "Teapots",
         {{"cast-iron-teapot", "Cast Iron Teapot", 49.0},
          {"glass-teapot", "Glass Teapot", 29.9},
          {"kyusu-tokoname", "Kyusu Tokoname", 64.0}}},
        {"shop",
         "Shop",
         {{"mug", "Blue mug", 12.5}, {"tee", "Logo T-shirt", 24.9}, {"cap", "Cap", 17.0}}},
        {"mugs",
         "Mugs",
         {{"blue-mug", "Blue Mug", 12.0},
          {"stoneware-mug", "Stoneware Mug", 16.5},
          {"travel-mug", "Travel Mug", 21.0}}},
        {"accessories",
         "Accessories",
         {{"tea-strainer", "Tea Strainer", 6.5},
          {"bamboo-whisk", "Bamboo Whisk", 18.0},
          {"tea-caddy", "Tea Caddy", 15.0}}},
    };
    return s;
}

std::string path_of(const std::string& url) {
    const auto scheme = url.find("://");
    const auto start = scheme == std::string::npos ? 0 : url.find('/', scheme + 3);
    if (start == std::string::npos) return "/";
    const auto end = url.find_first_of("?#", start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace clickstream::traffic_gen
