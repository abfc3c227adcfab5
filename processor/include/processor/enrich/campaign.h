// Campaign fields from the page URL's query: utm_* and ad click ids.
//
// Parameter names match without regard to case ("UTM_Source" is common in
// hand-built links); values are kept as decoded, trimmed of whitespace. The
// first non-empty value of a name wins.
#pragma once

#include <string>

#include "processor/enrich/url.h"

namespace clickstream::enrich {

struct campaign {
    std::string source;   // utm_source
    std::string medium;   // utm_medium
    std::string name;     // utm_campaign
    std::string term;     // utm_term
    std::string content;  // utm_content
    std::string id;       // utm_id
    // Ad click ids: Google Ads (gclid; gbraid and wbraid on iOS), Campaign
    // Manager / Display & Video 360 (dclid), Meta (fbclid: also added to
    // organic links), Microsoft Advertising (msclkid), TikTok (ttclid),
    // LinkedIn (li_fat_id).
    std::string gclid, gbraid, wbraid, dclid, fbclid, msclkid, ttclid, li_fat_id;

    // True when any utm_* field is set.
    bool has_utm() const noexcept;
    // True when any click id is set.
    bool has_click_id() const noexcept;
};

campaign extract_campaign(const parsed_url& page);

}  // namespace clickstream::enrich
