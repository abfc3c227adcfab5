#include "processor/enrich/data_paths.h"

namespace clickstream::enrich {

data_paths default_data_paths(const std::filesystem::path& project_root) {
    const auto modules = project_root / "node_modules";
    data_paths p;
    p.uap_regexes = modules / "uap-core" / "regexes.yaml";
    p.crawler_user_agents = modules / "crawler-user-agents" / "crawler-user-agents.json";
    p.referrers = {modules / "referer-parser" / "data" / "referers.yml",
                   project_root / "processor" / "data" / "referers-extra.yml"};
    p.geoip_v4 = "/usr/share/GeoIP/GeoIP.dat";
    p.geoip_v6 = "/usr/share/GeoIP/GeoIPv6.dat";
    return p;
}

}  // namespace clickstream::enrich
