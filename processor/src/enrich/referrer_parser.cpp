#include "processor/enrich/referrer_parser.h"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include "enrich/text.h"
#include "processor/enrich/url.h"

namespace clickstream::enrich {
namespace {

bool medium_from_section(std::string_view name, referrer_medium& out) {
    if (name == "search")
        out = referrer_medium::search;
    else if (name == "social")
        out = referrer_medium::social;
    else if (name == "email")
        out = referrer_medium::email;
    else if (name == "paid")
        out = referrer_medium::paid;
    else if (name == "unknown")
        out = referrer_medium::unknown;
    else
        return false;
    return true;
}

// Which medium a source name means when two sections use it: a search engine
// name is most telling, "unknown" least.
int name_rank(referrer_medium m) {
    switch (m) {
        case referrer_medium::search:
            return 4;
        case referrer_medium::social:
            return 3;
        case referrer_medium::email:
            return 2;
        case referrer_medium::paid:
            return 1;
        default:
            return 0;
    }
}

}  // namespace

std::string_view to_string(referrer_medium m) noexcept {
    switch (m) {
        case referrer_medium::none:
            return "none";
        case referrer_medium::internal:
            return "internal";
        case referrer_medium::search:
            return "search";
        case referrer_medium::social:
            return "social";
        case referrer_medium::email:
            return "email";
        case referrer_medium::paid:
            return "paid";
        case referrer_medium::unknown:
            return "unknown";
    }
    return "unknown";
}

referrer_parser referrer_parser::load(std::span<const std::filesystem::path> files) {
    referrer_parser p;
    for (const auto& file : files) {
        YAML::Node root;
        try {
            root = YAML::LoadFile(file.string());
        } catch (const YAML::Exception& e) {
            throw std::runtime_error("referrer data " + file.string() + ": " + e.what());
        }
        if (!root.IsMap())
            throw std::runtime_error("referrer data " + file.string() + ": not a map");
        for (const auto& section : root) {
            const auto section_name = section.first.as<std::string>();
            referrer_medium medium{};
            if (!medium_from_section(section_name, medium)) {
                throw std::runtime_error("referrer data " + file.string() + ": unknown medium '" +
                                         section_name + "'");
            }
            for (const auto& source : section.second) {
                const auto name = source.first.as<std::string>();
                const YAML::Node& body = source.second;
                if (!body["domains"] || !body["domains"].IsSequence()) {
                    throw std::runtime_error("referrer data " + file.string() + ": " +
                                             section_name + "/" + name + " has no domains list");
                }
                entry e{name, medium, {}};
                if (body["parameters"]) {
                    for (const auto& param : body["parameters"]) {
                        e.parameters.push_back(text::to_lower(param.as<std::string>()));
                    }
                }
                const std::size_t index = p.entries_.size();
                p.entries_.push_back(std::move(e));
                for (const auto& domain : body["domains"]) {
                    auto key = text::to_lower(domain.as<std::string>());
                    if (const auto slash = key.find('/'); slash != std::string::npos) {
                        p.hosts_with_paths_.insert(key.substr(0, slash));
                    }
                    p.by_domain_[std::move(key)] = index;
                }
                auto& known = p.by_source_[text::to_lower(name)];
                if (name_rank(medium) >= name_rank(known)) known = medium;
            }
        }
    }
    return p;
}

const referrer_parser::entry* referrer_parser::find(const std::string& key) const {
    const auto it = by_domain_.find(key);
    return it == by_domain_.end() ? nullptr : &entries_[it->second];
}

const referrer_parser::entry* referrer_parser::lookup(std::string_view host,
                                                      std::string_view path) const {
    // With the path first (only for hosts the data keys with a path), then the
    // host alone; each time from the full host down to its last two labels.
    std::string key;
    for (std::string_view h = host; !path.empty();) {
        if (hosts_with_paths_.contains(std::string(h))) {
            key.assign(h).append(path);
            if (const auto* e = find(key)) return e;
            const auto second_slash = path.find('/', 1);
            if (second_slash != std::string_view::npos) {
                key.assign(h).append(path.substr(0, second_slash));
                if (const auto* e = find(key)) return e;
            }
        }
        const auto dot = h.find('.');
        if (dot == std::string_view::npos) break;
        h.remove_prefix(dot + 1);
    }
    for (std::string_view h = host;;) {
        key.assign(h);
        if (const auto* e = find(key)) return e;
        const auto dot = h.find('.');
        if (dot == std::string_view::npos) break;
        h.remove_prefix(dot + 1);
    }
    return nullptr;
}

referrer_info referrer_parser::parse(std::string_view referrer,
                                     std::span<const std::string> own_domains,
                                     std::string_view page_host) const {
    referrer_info info;
    if (text::trim(referrer).empty()) return info;
    auto url = parse_url(referrer);
    if (!url || url->host.empty()) {
        info.medium = referrer_medium::unknown;
        return info;
    }
    info.host = url->host;
    if (!page_host.empty() && text::iequals(info.host, page_host)) {
        info.medium = referrer_medium::internal;
        return info;
    }
    for (const auto& domain : own_domains) {
        if (text::host_within(info.host, domain)) {
            info.medium = referrer_medium::internal;
            return info;
        }
    }
    const entry* e = lookup(info.host, url->path);
    if (e == nullptr) {
        info.medium = referrer_medium::unknown;
        return info;
    }
    info.medium = e->medium;
    info.source = e->source;
    if (e->medium == referrer_medium::search) {
        for (const auto& p : url->params) {
            const auto name = text::to_lower(p.name);
            for (const auto& wanted : e->parameters) {
                if (name == wanted && !p.value.empty()) {
                    info.term = std::string(text::trim(p.value));
                    return info;
                }
            }
        }
    }
    return info;
}

referrer_medium referrer_parser::classify_source(std::string_view source) const {
    const auto s = text::to_lower(text::trim(source));
    if (s.empty()) return referrer_medium::unknown;
    if (s.find('.') != std::string::npos) {
        if (const auto* e = lookup(s, {})) return e->medium;
    }
    if (const auto it = by_source_.find(s); it != by_source_.end()) return it->second;
    if (s.find('.') == std::string::npos) {
        if (const auto* e = lookup(s + ".com", {})) return e->medium;
    }
    return referrer_medium::unknown;
}

}  // namespace clickstream::enrich
