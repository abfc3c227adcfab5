#include <re2/re2.h>

#include "processor/enrich/ua_parser.h"

namespace clickstream::enrich {
namespace {

// One regex per type, tried in the order of classify_device(). Built once;
// RE2 objects are safe to share between threads.
struct device_rules {
    RE2 console{
        R"(PlayStation|PLAYSTATION|Xbox|XBOX|Nintendo (?:Switch|WiiU|Wii|3DS|DS)|NintendoBrowser)"};
    RE2 tv{
        R"((?i)smart-?tv|\bsmarttv\b|googletv|android ?tv|\bapple ?tv\b|\bappletv|\btvos\b|crkey|)"
        R"(bravia|hbbtv|web0s|netcast|\broku\b|\baft[a-z]{1,5}\b|\bviera\b|aquos|tizen[^;)]*tv|)"
        R"(\bfire ?tv\b|\bdtv\b|philipstv|\bvidaa\b|\btv safari\b)"};
    RE2 tablet{R"(iPad|[Tt]ablet|Kindle|\bSilk/|PlayBook|\bTab\b|\bSM-[TXP]\d)"};
    RE2 mobile{R"(Mobi|iPhone|iPod|Windows Phone|BlackBerry|\bBB10\b|Opera Mini|IEMobile|Symbian|)"
               R"(KAIOS|KaiOS|Nokia|\bJ2ME|MIDP|Phone)"};
    RE2 desktop{R"(Windows NT|Windows 9|Macintosh|Mac OS X|X11|CrOS|Linux|FreeBSD|OpenBSD)"};
};

const device_rules& rules() {
    static const device_rules r;
    return r;
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
    const auto& r = rules();
    const re2::StringPiece ua(user_agent.data(), user_agent.size());
    if (parsed.device.family == "Spider") return device_type::bot;
    if (RE2::PartialMatch(ua, r.console)) return device_type::console;
    if (RE2::PartialMatch(ua, r.tv)) return device_type::tv;
    if (parsed.device.family.starts_with("iPad") || RE2::PartialMatch(ua, r.tablet)) {
        return device_type::tablet;
    }
    // Android phones say "Mobile" (Chrome) or "Mobile;" (Firefox); Android
    // tablets leave it out — Google's own guidance for telling them apart.
    if (contains(user_agent, "Android") && !contains(user_agent, "Mobi") &&
        !contains(user_agent, "Phone")) {
        return device_type::tablet;
    }
    if (contains(user_agent, "Android") || RE2::PartialMatch(ua, r.mobile) ||
        parsed.os.family == "iOS" || parsed.device.family == "iPhone" ||
        parsed.device.family.starts_with("Generic Smartphone") ||
        parsed.device.family == "Generic Feature Phone") {
        return device_type::mobile;
    }
    if (RE2::PartialMatch(ua, r.desktop)) return device_type::desktop;
    return device_type::unknown;
}

}  // namespace clickstream::enrich
