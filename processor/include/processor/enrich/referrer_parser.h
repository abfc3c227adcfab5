// Referrer → medium, source and search term, from referer-parser's
// referers.yml (and optional files of the same format that add or override
// entries).
//
// Lookup follows the reference implementations: the referrer's host with its
// full path, then with its first path segment, then the host alone, each
// time dropping the leftmost label until a known domain is found
// ("news.google.co.uk" → "google.co.uk"). Hosts within the site's own
// domains, or equal to the page's host, are `internal`.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace clickstream::enrich {

enum class referrer_medium {
    none,      // no referrer: a typed URL, a bookmark, an app, a stripped header
    internal,  // the site itself
    search,
    social,
    email,
    paid,     // ad networks (a `paid:` section in the data)
    unknown,  // a referrer we do not know (a plain referral)
};

std::string_view to_string(referrer_medium m) noexcept;

struct referrer_info {
    referrer_medium medium = referrer_medium::none;
    std::string host;    // lower case; "" when there is no (parseable) referrer
    std::string source;  // the data's name for it: "Google", "Facebook"; "" if unknown
    std::string term;    // search term, for search referrers that carry one
};

class referrer_parser {
public:
    // Loads the files in order; an entry in a later file replaces an earlier
    // one for the same domain. Throws std::runtime_error naming the file and
    // entry when a file cannot be read or has an unknown medium section.
    static referrer_parser load(std::span<const std::filesystem::path> files);

    // `own_domains`: the site's domains, lower case (subdomains included);
    // `page_host`: the host of the page the referrer led to ("" if unknown).
    // An unparseable referrer is `unknown` with no host; "" is `none`.
    referrer_info parse(std::string_view referrer, std::span<const std::string> own_domains,
                        std::string_view page_host = {}) const;

    // The medium a campaign's utm_source names, for channel grouping: a host
    // ("facebook.com", "l.instagram.com"), a source name as in the data
    // ("Google", "bing": case-insensitive), or a name that is a known host
    // with ".com" added ("facebook"). `unknown` when none of these.
    referrer_medium classify_source(std::string_view source) const;

    std::size_t domain_count() const noexcept { return by_domain_.size(); }

private:
    struct entry {
        std::string source;
        referrer_medium medium;
        std::vector<std::string> parameters;  // lower case
    };
    const entry* lookup(std::string_view host, std::string_view path) const;
    const entry* find(const std::string& key) const;

    std::vector<entry> entries_;
    std::unordered_map<std::string, std::size_t> by_domain_;      // "host" or "host/path"
    std::unordered_set<std::string> hosts_with_paths_;            // hosts keyed with a path
    std::unordered_map<std::string, referrer_medium> by_source_;  // lower-case name
};

}  // namespace clickstream::enrich
