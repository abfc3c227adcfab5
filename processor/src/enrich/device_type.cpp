#include <memory>

#include "enrich/regex_set.h"
#include "processor/enrich/ua_parser.h"

namespace clickstream::enrich {
namespace {

// The device type rules' user agent patterns, in priority order, in one set:
// one scan finds the first that matches (see classify_device).
enum rule_index { console_rule = 0, tv_rule, tablet_rule, mobile_rule, desktop_rule };

const regex_set& rules() {
    static const auto set = [] {
        auto s = std::make_unique<regex_set>("device type rules", std::int64_t{8} << 20);
        s->add(R"(PlayStation|PLAYSTATION|Xbox|XBOX|Nintendo (?:Switch|WiiU|Wii|3DS|DS)|)"
               R"(NintendoBrowser)",
               false);
        s->add(R"(smart-?tv|\bsmarttv\b|googletv|android ?tv|\bapple ?tv\b|\bappletv|\btvos\b|)"
               R"(crkey|bravia|hbbtv|web0s|netcast|\broku\b|\baft[a-z]{1,5}\b|\bviera\b|aquos|)"
               R"(tizen[^;)]*tv|\bfire ?tv\b|\bdtv\b|philipstv|\bvidaa\b|\btv safari\b)",
               true);
        s->add(R"(iPad|[Tt]ablet|Kindle|\bSilk/|PlayBook|\bTab\b|\bSM-[TXP]\d)", false);
        s->add(R"(Mobi|iPhone|iPod|Windows Phone|BlackBerry|\bBB10\b|Opera Mini|IEMobile|Symbian|)"
               R"(KAIOS|KaiOS|Nokia|\bJ2ME|MIDP|Phone)",
               false);
        s->add(R"(Windows NT|Windows 9|Macintosh|Mac OS X|X11|CrOS|Linux|FreeBSD|OpenBSD)", false);
        s->compile();
        return s;
    }();
    return *set;
}

bool contains(std::string_view s, std::string_view part) noexcept {
    return s.find(part) != std::string_view::npos;
}

}  // namespace

std::string_view to_string(device_type t) noexcept {
    switch (t) {
        case device_type::desktop:
            return "desktop";
        case device_type::mobile:
            return "mobile";
        case device_type::tablet:
            return "tablet";
        case device_type::tv:
            return "tv";
        case device_type::console:
            return "console";
        case device_type::bot:
            return "bot";
        case device_type::unknown:
            return "unknown";
    }
    return "unknown";
}

device_type classify_device(std::string_view user_agent, const user_agent_info& parsed) {
    if (parsed.device.family == "Spider") return device_type::bot;
    const int first = rules().first_match(user_agent);
    if (first == console_rule) return device_type::console;
    if (first == tv_rule) return device_type::tv;
    if (first == tablet_rule || parsed.device.family.starts_with("iPad"))
        return device_type::tablet;
    // Android phones say "Mobile" (Chrome) or "Mobile;" (Firefox); Android
    // tablets leave it out — Google's own guidance for telling them apart.
    const bool android = contains(user_agent, "Android");
    if (android && !contains(user_agent, "Mobi") && !contains(user_agent, "Phone")) {
        return device_type::tablet;
    }
    if (android || first == mobile_rule || parsed.os.family == "iOS" ||
        parsed.device.family == "iPhone" ||
        parsed.device.family.starts_with("Generic Smartphone") ||
        parsed.device.family == "Generic Feature Phone") {
        return device_type::mobile;
    }
    if (first == desktop_rule) return device_type::desktop;
    return device_type::unknown;
}

}  // namespace clickstream::enrich
