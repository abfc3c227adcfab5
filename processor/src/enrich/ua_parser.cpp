#include "processor/enrich/ua_parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <vector>

#include "enrich/regex_set.h"
#include "enrich/text.h"

namespace clickstream::enrich {
namespace {

// $0..$9: the most a replacement can name.
constexpr int max_groups = 10;

// Per-section field names, in the order the specification maps them to
// groups 1..5 (browser, OS) or to family/brand/model (device).
struct section_keys {
    const char* name;
    std::array<const char*, 5> replacements;
};
constexpr section_keys browser_keys{
    "user_agent_parsers",
    {"family_replacement", "v1_replacement", "v2_replacement", "v3_replacement", "v4_replacement"}};
constexpr section_keys os_keys{"os_parsers",
                               {"os_replacement", "os_v1_replacement", "os_v2_replacement",
                                "os_v3_replacement", "os_v4_replacement"}};
constexpr section_keys device_keys{
    "device_parsers", {"device_replacement", "brand_replacement", "model_replacement", "", ""}};

struct rule {
    const RE2* re = nullptr;  // owned by the section's regex_set
    int groups = 0;
    // A replacement per field; "" when the entry has none (the reference
    // ports treat an empty replacement as none, too).
    std::array<std::string, 5> replacement;
};

struct section {
    std::vector<rule> rules;  // rules[i] is regexes.regex(i)
    std::unique_ptr<regex_set> regexes;
};

// The groups of one match; unmatched groups are empty.
struct match {
    const rule* r = nullptr;
    std::array<re2::StringPiece, max_groups> g;

    std::string_view group(int i) const noexcept {
        if (i < 1 || i > r->groups || i >= max_groups) return {};
        return {g[i].data() == nullptr ? "" : g[i].data(), g[i].size()};
    }
};

// Expands $1..$9 in `tmpl` (a '$' before anything else stays), trims.
std::string expand(std::string_view tmpl, const match& m) {
    std::string out;
    out.reserve(tmpl.size() + 16);
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] == '$' && i + 1 < tmpl.size() && tmpl[i + 1] >= '0' && tmpl[i + 1] <= '9') {
            out += m.group(tmpl[i + 1] - '0');
            ++i;
        } else {
            out += tmpl[i];
        }
    }
    return std::string(text::trim(out));
}

// A templated field (OS, device): the replacement if any, else `fallback`.
std::string templated(const std::string& replacement, std::string_view fallback, const match& m) {
    return expand(replacement.empty() ? fallback : std::string_view(replacement), m);
}

section load_section(const YAML::Node& root, const section_keys& keys,
                     const std::filesystem::path& file, std::int64_t set_max_mem) {
    const std::string name = keys.name;
    const YAML::Node list = root[keys.name];
    if (!list || !list.IsSequence()) {
        throw std::runtime_error("uap-core regexes " + file.string() + ": no " + name + " list");
    }
    section s;
    s.regexes = std::make_unique<regex_set>(name, set_max_mem);
    for (const auto& item : list) {
        const std::string entry = name + " entry " + std::to_string(s.rules.size());
        rule r;
        std::string pattern;
        bool ignore_case = false;
        for (const auto& kv : item) {
            const auto key = kv.first.as<std::string>();
            const auto value = kv.second.as<std::string>();
            if (key == "regex") {
                pattern = value;
            } else if (key == "regex_flag") {
                if (value != "i") throw std::runtime_error(entry + ": unknown regex_flag " + value);
                ignore_case = true;
            } else {
                const auto it = std::find_if(keys.replacements.begin(), keys.replacements.end(),
                                             [&](const char* k) { return *k != '\0' && key == k; });
                // An unknown key would be a field we silently get wrong.
                if (it == keys.replacements.end()) {
                    throw std::runtime_error(entry + ": unknown key " + key);
                }
                r.replacement[std::size_t(it - keys.replacements.begin())] = value;
            }
        }
        if (pattern.empty()) throw std::runtime_error(entry + ": no regex");
        const std::size_t index = s.regexes->add(pattern, ignore_case);
        r.re = &s.regexes->regex(index);
        r.groups = r.re->NumberOfCapturingGroups();
        s.rules.push_back(std::move(r));
    }
    s.regexes->compile();
    return s;
}

}  // namespace

struct ua_parser::impl {
    section browser, os, device;
    std::size_t max_length = 0;

    // The first rule of `s` that matches, with its groups; false if none.
    static bool first_match(const section& s, std::string_view ua, match& m) {
        const int first = s.regexes->first_match(ua);
        if (first < 0) return false;
        m.r = &s.rules[std::size_t(first)];
        const int n = std::min(m.r->groups + 1, max_groups);
        const re2::StringPiece text(ua.data(), ua.size());
        // The groups from the relaxed copy where the user agent is too short
        // for the exact bounds to matter (the same groups, far cheaper: RE2
        // spells out `.{1,200}` as 200 steps).
        const RE2& re = s.regexes->regex_for(std::size_t(first), ua.size());
        return re.Match(text, 0, text.size(), RE2::UNANCHORED, m.g.data(), n);
    }

    std::string_view clip(std::string_view ua) const noexcept {
        return ua.size() > max_length ? ua.substr(0, max_length) : ua;
    }

    browser_info browser_of(std::string_view ua) const {
        browser_info b;
        match m;
        if (!first_match(browser, ua, m)) return b;
        const auto& rep = m.r->replacement;
        if (rep[0].empty()) {
            b.family = std::string(m.group(1));
        } else if (rep[0].find("$1") != std::string::npos) {
            b.family.clear();
            const std::string_view tmpl = rep[0];
            for (std::size_t i = 0; i < tmpl.size(); ++i) {
                if (tmpl.compare(i, 2, "$1") == 0) {
                    b.family += m.group(1);
                    ++i;
                } else {
                    b.family += tmpl[i];
                }
            }
        } else {
            b.family = rep[0];
        }
        std::string* versions[] = {&b.major, &b.minor, &b.patch, &b.patch_minor};
        for (int i = 0; i < 4; ++i) {
            const auto& r = rep[std::size_t(i + 1)];
            *versions[i] = r.empty() ? std::string(m.group(i + 2)) : r;
        }
        return b;
    }

    os_info os_of(std::string_view ua) const {
        os_info o;
        match m;
        if (!first_match(os, ua, m)) return o;
        const auto& rep = m.r->replacement;
        o.family = templated(rep[0], "$1", m);
        o.major = templated(rep[1], "$2", m);
        o.minor = templated(rep[2], "$3", m);
        o.patch = templated(rep[3], "$4", m);
        o.patch_minor = templated(rep[4], "$5", m);
        return o;
    }

    device_info device_of(std::string_view ua) const {
        device_info d;
        match m;
        if (!first_match(device, ua, m)) return d;
        const auto& rep = m.r->replacement;
        d.family = templated(rep[0], "$1", m);
        d.brand = templated(rep[1], "", m);
        d.model = templated(rep[2], "$1", m);
        return d;
    }
};

ua_parser::ua_parser(const ua_parser_options& options) : impl_(std::make_unique<impl>()) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(options.regexes.string());
    } catch (const YAML::Exception& e) {
        throw std::runtime_error("uap-core regexes " + options.regexes.string() + ": " + e.what());
    }
    // 64 MiB per section bounds each set's lazily built DFA; the whole of
    // uap-core runs in far less (see docs/enrich.md).
    constexpr std::int64_t set_max_mem = std::int64_t{64} << 20;
    impl_->browser = load_section(root, browser_keys, options.regexes, set_max_mem);
    impl_->os = load_section(root, os_keys, options.regexes, set_max_mem);
    impl_->device = load_section(root, device_keys, options.regexes, set_max_mem);
    impl_->max_length = options.max_length;
}

ua_parser::~ua_parser() = default;
ua_parser::ua_parser(ua_parser&&) noexcept = default;
ua_parser& ua_parser::operator=(ua_parser&&) noexcept = default;

user_agent_info ua_parser::parse(std::string_view user_agent) const {
    const auto ua = impl_->clip(user_agent);
    user_agent_info info;
    info.browser = impl_->browser_of(ua);
    info.os = impl_->os_of(ua);
    info.device = impl_->device_of(ua);
    info.type = classify_device(ua, info);
    return info;
}

browser_info ua_parser::parse_browser(std::string_view user_agent) const {
    return impl_->browser_of(impl_->clip(user_agent));
}

os_info ua_parser::parse_os(std::string_view user_agent) const {
    return impl_->os_of(impl_->clip(user_agent));
}

device_info ua_parser::parse_device(std::string_view user_agent) const {
    return impl_->device_of(impl_->clip(user_agent));
}

ua_parser::counts ua_parser::pattern_counts() const noexcept {
    return {impl_->browser.rules.size(), impl_->os.rules.size(), impl_->device.rules.size()};
}

std::size_t ua_parser::set_fallbacks() const noexcept {
    return impl_->browser.regexes->fallbacks() + impl_->os.regexes->fallbacks() +
           impl_->device.regexes->fallbacks();
}

ua_cache::ua_cache(const ua_parser& parser, std::size_t capacity)
    : parser_(parser), entries_(capacity) {}

const user_agent_info& ua_cache::parse(std::string_view user_agent) {
    if (const auto* cached = entries_.find(user_agent)) {
        ++hits_;
        return *cached;
    }
    ++misses_;
    return entries_.insert(user_agent, parser_.parse(user_agent));
}

}  // namespace clickstream::enrich
