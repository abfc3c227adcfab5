#include "processor/enrich/geoip.h"

#include <GeoIP.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace clickstream::enrich {

// libGeoIP's handle. Opened with GEOIP_MEMORY_CACHE: the whole file in
// memory, never written after open, so the *_gl lookups (which keep their
// state in the caller's GeoIPLookup) are safe from many threads.
struct geoip_country_lookup::handle {
    GeoIP* db = nullptr;
};

namespace {

geoip_country_lookup::handle* open_database(const std::filesystem::path& path, bool v6) {
    std::error_code ec;
    if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return nullptr;
    GeoIP* db = GeoIP_open(path.c_str(), GEOIP_MEMORY_CACHE | GEOIP_SILENCE);
    if (db == nullptr)
        throw std::runtime_error("GeoIP database " + path.string() + ": cannot open");
    // libGeoIP takes any file as a country database (its default edition);
    // real ones end with a build string ("GEO-106FREE 2019... Build").
    char* info = GeoIP_database_info(db);
    const bool has_info = info != nullptr;
    std::free(info);
    const int edition = GeoIP_database_edition(db);
    const bool right = v6 ? edition == GEOIP_COUNTRY_EDITION_V6 : edition == GEOIP_COUNTRY_EDITION;
    if (!has_info || !right) {
        GeoIP_delete(db);
        throw std::runtime_error("GeoIP database " + path.string() + ": not a " +
                                 (v6 ? "IPv6" : "IPv4") + " country database");
    }
    return new geoip_country_lookup::handle{db};
}

std::string_view code_or_unknown(const char* code) noexcept {
    if (code == nullptr || std::strcmp(code, "--") == 0) return {};
    return code;  // libGeoIP's static table: lives as long as the process
}

}  // namespace

geoip_country_lookup::geoip_country_lookup(const std::filesystem::path& v4_database,
                                           const std::filesystem::path& v6_database) {
    v4_ = open_database(v4_database, false);
    try {
        v6_ = open_database(v6_database, true);
    } catch (...) {
        if (v4_ != nullptr) GeoIP_delete(v4_->db);
        delete v4_;
        throw;
    }
}

geoip_country_lookup::~geoip_country_lookup() {
    for (handle* h : {v4_, v6_}) {
        if (h != nullptr) GeoIP_delete(h->db);
        delete h;
    }
}

std::string_view geoip_country_lookup::country(const ip_address& ip) const noexcept {
    GeoIPLookup gl{};
    if (ip.is_v4()) {
        if (v4_ == nullptr) return {};
        const unsigned long num = (static_cast<unsigned long>(ip.bytes[12]) << 24) |
                                  (static_cast<unsigned long>(ip.bytes[13]) << 16) |
                                  (static_cast<unsigned long>(ip.bytes[14]) << 8) | ip.bytes[15];
        return code_or_unknown(GeoIP_country_code_by_ipnum_gl(v4_->db, num, &gl));
    }
    if (v6_ == nullptr) return {};
    geoipv6_t addr{};
    std::memcpy(&addr, ip.bytes.data(), 16);
    return code_or_unknown(GeoIP_country_code_by_ipnum_v6_gl(v6_->db, addr, &gl));
}

std::unique_ptr<country_lookup> open_country_lookup(const std::filesystem::path& v4_database,
                                                    const std::filesystem::path& v6_database) {
    std::error_code ec;
    const bool any = (!v4_database.empty() && std::filesystem::exists(v4_database, ec)) ||
                     (!v6_database.empty() && std::filesystem::exists(v6_database, ec));
    if (!any) return std::make_unique<no_country_lookup>();
    return std::make_unique<geoip_country_lookup>(v4_database, v6_database);
}

}  // namespace clickstream::enrich
