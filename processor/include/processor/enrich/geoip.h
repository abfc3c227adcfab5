// Country from the client IP (looked up before anonymisation).
//
// country_lookup is the interface the enrich stage sees; geoip_country_lookup
// reads MaxMind's legacy country databases through libGeoIP (Debian's
// geoip-database: /usr/share/GeoIP/GeoIP.dat and GeoIPv6.dat).
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "processor/enrich/ip_address.h"

namespace clickstream::enrich {

class country_lookup {
public:
    virtual ~country_lookup() = default;
    // ISO 3166-1 alpha-2 code ("DE"), or MaxMind's own ("EU", "AP", "A1":
    // anonymous proxy, "A2": satellite); "" when unknown. Thread-safe.
    virtual std::string_view country(const ip_address& ip) const noexcept = 0;
};

// Knows nothing: every country is unknown. For sites without a database.
class no_country_lookup final : public country_lookup {
public:
    std::string_view country(const ip_address&) const noexcept override { return {}; }
};

class geoip_country_lookup final : public country_lookup {
public:
    // A path that is empty or names no file leaves that family unknown; a
    // file that exists but does not open as a country database throws
    // std::runtime_error (a misconfiguration, found at start-up).
    geoip_country_lookup(const std::filesystem::path& v4_database,
                         const std::filesystem::path& v6_database);
    ~geoip_country_lookup() override;
    geoip_country_lookup(const geoip_country_lookup&) = delete;
    geoip_country_lookup& operator=(const geoip_country_lookup&) = delete;

    std::string_view country(const ip_address& ip) const noexcept override;

    bool has_v4() const noexcept { return v4_ != nullptr; }
    bool has_v6() const noexcept { return v6_ != nullptr; }

    struct handle;  // libGeoIP's, kept out of this header

private:
    handle* v4_ = nullptr;
    handle* v6_ = nullptr;
};

// geoip_country_lookup over the given files if either exists, else
// no_country_lookup.
std::unique_ptr<country_lookup> open_country_lookup(const std::filesystem::path& v4_database,
                                                    const std::filesystem::path& v6_database);

}  // namespace clickstream::enrich
