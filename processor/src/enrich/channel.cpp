#include "processor/enrich/channel.h"

#include <algorithm>
#include <array>
#include <string>

#include "enrich/text.h"

namespace clickstream::enrich {
namespace {

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& set) noexcept {
    return std::find(set.begin(), set.end(), s) != set.end();
}

// GA4's paid medium: ^(.*cp.*|ppc|retargeting|paid.*)$
bool paid_medium(std::string_view m) noexcept {
    return m.find("cp") != std::string_view::npos || m == "ppc" || m == "retargeting" ||
           m.starts_with("paid");
}

constexpr std::array<std::string_view, 5> display_media{"display", "banner", "expandable",
                                                        "interstitial", "cpm"};
constexpr std::array<std::string_view, 6> social_media{"social", "social-network", "social-media",
                                                       "sm",     "social network", "social media"};
constexpr std::array<std::string_view, 3> referral_media{"referral", "app", "link"};
constexpr std::array<std::string_view, 5> email_words{"email", "e-mail", "e_mail", "e mail",
                                                      "newsletter"};
constexpr std::array<std::string_view, 2> affiliate_media{"affiliate", "affiliates"};

}  // namespace

std::string_view to_string(channel c) noexcept {
    switch (c) {
        case channel::direct:
            return "direct";
        case channel::organic_search:
            return "organic_search";
        case channel::paid_search:
            return "paid_search";
        case channel::social:
            return "social";
        case channel::paid_social:
            return "paid_social";
        case channel::email:
            return "email";
        case channel::referral:
            return "referral";
        case channel::display:
            return "display";
        case channel::affiliate:
            return "affiliate";
        case channel::other:
            return "other";
    }
    return "other";
}

channel classify_channel(const campaign& c, const referrer_info& referrer,
                         referrer_medium source_medium) noexcept {
    // 1. Ad click ids say "paid" whatever the tags say. fbclid is not among
    // them: Meta adds it to organic links too.
    if (!c.gclid.empty() || !c.gbraid.empty() || !c.wbraid.empty() || !c.msclkid.empty()) {
        return channel::paid_search;
    }
    if (!c.dclid.empty()) return channel::display;
    if (!c.ttclid.empty() || !c.li_fat_id.empty()) return channel::paid_social;

    if (c.has_utm()) {
        const std::string medium = text::to_lower(text::trim(c.medium));
        const std::string source = text::to_lower(text::trim(c.source));
        // What the source is: from utm_source, else from the referrer.
        const referrer_medium kind = c.source.empty() ? referrer.medium : source_medium;

        if (paid_medium(medium)) {
            if (kind == referrer_medium::search) return channel::paid_search;
            if (kind == referrer_medium::social) return channel::paid_social;
            if (one_of(medium, display_media)) return channel::display;
            return channel::other;  // paid, on a source we cannot place
        }
        if (one_of(medium, display_media)) return channel::display;
        if (kind == referrer_medium::social || one_of(medium, social_media)) return channel::social;
        if (kind == referrer_medium::search || medium == "organic") return channel::organic_search;
        if (one_of(medium, referral_media)) return channel::referral;
        if (kind == referrer_medium::email || one_of(medium, email_words) ||
            one_of(source, email_words)) {
            return channel::email;
        }
        if (one_of(medium, affiliate_media)) return channel::affiliate;
        if ((source == "(direct)" || source == "direct") &&
            (medium.empty() || medium == "(none)" || medium == "none")) {
            return channel::direct;
        }
        return channel::other;
    }

    if (!c.fbclid.empty()) return channel::social;

    switch (referrer.medium) {
        case referrer_medium::none:
        case referrer_medium::internal:
            return channel::direct;
        case referrer_medium::search:
            return channel::organic_search;
        case referrer_medium::social:
            return channel::social;
        case referrer_medium::email:
            return channel::email;
        case referrer_medium::paid:
            return channel::display;
        case referrer_medium::unknown:
            return channel::referral;
    }
    return channel::other;
}

}  // namespace clickstream::enrich
