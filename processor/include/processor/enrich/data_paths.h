// Where the enrich data files are. Loaded at start-up from these paths,
// never copied into the repository: the npm packages are installed by
// scripts/setup under <project root>/node_modules, the GeoIP databases by
// Debian's geoip-database.
#pragma once

#include <filesystem>
#include <vector>

namespace clickstream::enrich {

struct data_paths {
    std::filesystem::path uap_regexes;             // uap-core/regexes.yaml
    std::filesystem::path crawler_user_agents;     // crawler-user-agents/crawler-user-agents.json
    std::vector<std::filesystem::path> referrers;  // referer-parser's referers.yml, then ours
    std::filesystem::path geoip_v4;                // GeoIP.dat (missing: countries unknown)
    std::filesystem::path geoip_v6;                // GeoIPv6.dat
};

// The defaults under `project_root` (the checkout, or an install prefix
// laid out alike).
data_paths default_data_paths(const std::filesystem::path& project_root);

}  // namespace clickstream::enrich
