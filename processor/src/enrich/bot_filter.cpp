#include "processor/enrich/bot_filter.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "enrich/regex_set.h"
#include "enrich/text.h"

namespace clickstream::enrich {
namespace {

constexpr std::int64_t set_max_mem = std::int64_t{64} << 20;

// Browsers run without a screen by automation tools. Chrome's old headless
// mode says so in its user agent; PhantomJS and SlimerJS always do.
constexpr const char* headless_pattern = R"(HeadlessChrome|PhantomJS|SlimerJS)";

// "CIDR [label]" → range and the detail a verdict names.
std::pair<cidr, std::string> parse_range_line(std::string_view line, std::string_view context) {
    line = text::trim(line);
    const auto space = line.find_first_of(" \t");
    const auto range_text = line.substr(0, space);
    auto range = parse_cidr(range_text);
    if (!range) {
        throw std::runtime_error(std::string(context) + ": bad IP range '" + std::string(line) +
                                 "'");
    }
    std::string detail(range_text);
    if (space != std::string_view::npos) {
        const auto label = text::trim(line.substr(space));
        if (!label.empty()) detail.append(" ").append(label);
    }
    return {*range, detail};
}

struct site_rules {
    std::unique_ptr<regex_set> deny_ua, allow_ua;
    cidr_set deny_ip, allow_ip;
};

std::unique_ptr<regex_set> compile_list(const std::vector<std::string>& patterns,
                                        const std::string& what) {
    if (patterns.empty()) return nullptr;
    auto set = std::make_unique<regex_set>(what, set_max_mem);
    for (const auto& p : patterns) set->add(p, false);
    set->compile();
    return set;
}

cidr_set range_list(const std::vector<std::string>& lines, const std::string& what) {
    cidr_set set;
    for (const auto& line : lines) {
        auto [range, detail] = parse_range_line(line, what);
        set.add(range, std::move(detail));
    }
    return set;
}

}  // namespace

std::string_view to_string(bot_rule r) noexcept {
    switch (r) {
        case bot_rule::none:
            return "none";
        case bot_rule::site_deny:
            return "site_deny";
        case bot_rule::site_allow:
            return "site_allow";
        case bot_rule::automation:
            return "automation";
        case bot_rule::headless:
            return "headless";
        case bot_rule::crawler:
            return "crawler";
        case bot_rule::ip_range:
            return "ip_range";
        case bot_rule::behaviour:
            return "behaviour";
    }
    return "none";
}

struct bot_filter::impl {
    bool automation = true;
    bool headless = true;
    std::unique_ptr<RE2> headless_re;
    std::unique_ptr<regex_set> crawlers;
    cidr_set ranges;
    std::map<std::string, site_rules, std::less<>> sites;
};

bot_filter::bot_filter(const bot_filter_options& options) : impl_(std::make_unique<impl>()) {
    impl_->automation = options.automation;
    impl_->headless = options.headless;
    impl_->headless_re = std::make_unique<RE2>(headless_pattern);

    if (!options.crawler_user_agents.empty()) {
        const auto file = options.crawler_user_agents.string();
        std::ifstream in(options.crawler_user_agents);
        if (!in) throw std::runtime_error("crawler patterns " + file + ": cannot read");
        nlohmann::json list;
        try {
            list = nlohmann::json::parse(in);
        } catch (const nlohmann::json::exception& e) {
            throw std::runtime_error("crawler patterns " + file + ": " + e.what());
        }
        if (!list.is_array()) throw std::runtime_error("crawler patterns " + file + ": not a list");
        impl_->crawlers = std::make_unique<regex_set>("crawler patterns " + file, set_max_mem);
        for (const auto& entry : list) {
            if (!entry.is_object() || !entry.contains("pattern") || !entry["pattern"].is_string()) {
                throw std::runtime_error("crawler patterns " + file + ": entry without a pattern");
            }
            // Case-sensitive, as the package's own matchers use them.
            impl_->crawlers->add(entry["pattern"].get<std::string>(), false);
        }
        impl_->crawlers->compile();
    }

    for (const auto& line : options.ip_ranges) {
        const auto trimmed = text::trim(std::string_view(line).substr(0, line.find('#')));
        if (trimmed.empty()) continue;
        auto [range, detail] = parse_range_line(trimmed, "bot IP ranges");
        impl_->ranges.add(range, std::move(detail));
    }

    for (const auto& [site, rules] : options.sites) {
        const std::string what = "site " + site + " bot rules";
        site_rules compiled;
        compiled.deny_ua = compile_list(rules.deny_user_agents, what + " (deny user agents)");
        compiled.allow_ua = compile_list(rules.allow_user_agents, what + " (allow user agents)");
        compiled.deny_ip = range_list(rules.deny_ip_ranges, what + " (deny IP ranges)");
        compiled.allow_ip = range_list(rules.allow_ip_ranges, what + " (allow IP ranges)");
        impl_->sites.emplace(site, std::move(compiled));
    }
}

bot_filter::~bot_filter() = default;
bot_filter::bot_filter(bot_filter&&) noexcept = default;
bot_filter& bot_filter::operator=(bot_filter&&) noexcept = default;

bot_verdict bot_filter::check(const bot_signals& s) const {
    const auto& d = *impl_;
    const auto ua_match = [&](const regex_set* set) -> const std::string* {
        if (set == nullptr) return nullptr;
        const int i = set->first_match(s.user_agent);
        return i < 0 ? nullptr : &set->pattern(std::size_t(i));
    };
    const auto ip_match = [&](const cidr_set& set) -> const std::string* {
        return s.ip && !set.empty() ? set.find(*s.ip) : nullptr;
    };

    if (const auto it = d.sites.find(s.site); it != d.sites.end()) {
        const site_rules& site = it->second;
        if (const auto* p = ua_match(site.deny_ua.get())) return {true, bot_rule::site_deny, *p};
        if (const auto* r = ip_match(site.deny_ip)) return {true, bot_rule::site_deny, *r};
        if (const auto* p = ua_match(site.allow_ua.get())) return {false, bot_rule::site_allow, *p};
        if (const auto* r = ip_match(site.allow_ip)) return {false, bot_rule::site_allow, *r};
    }
    if (d.automation && s.webdriver) return {true, bot_rule::automation, "navigator.webdriver"};
    if (d.headless) {
        re2::StringPiece found;
        const re2::StringPiece ua(s.user_agent.data(), s.user_agent.size());
        if (d.headless_re->Match(ua, 0, ua.size(), RE2::UNANCHORED, &found, 1)) {
            return {true, bot_rule::headless, std::string(found.data(), found.size())};
        }
    }
    if (const auto* p = ua_match(d.crawlers.get())) return {true, bot_rule::crawler, *p};
    if (const auto* r = ip_match(d.ranges)) return {true, bot_rule::ip_range, *r};
    if (s.rate.too_fast) return {true, bot_rule::behaviour, s.rate.detail};
    return {};
}

std::size_t bot_filter::crawler_pattern_count() const noexcept {
    return impl_->crawlers ? impl_->crawlers->size() : 0;
}

std::size_t bot_filter::ip_range_count() const noexcept {
    return impl_->ranges.size();
}

std::vector<std::string> read_ip_range_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("bot IP ranges " + file.string() + ": cannot read");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        const auto content = text::trim(std::string_view(line).substr(0, line.find('#')));
        if (!content.empty()) lines.emplace_back(content);
    }
    return lines;
}

}  // namespace clickstream::enrich
