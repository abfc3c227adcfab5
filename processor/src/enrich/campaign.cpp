#include "processor/enrich/campaign.h"

#include <array>
#include <string_view>
#include <utility>

#include "enrich/text.h"

namespace clickstream::enrich {

bool campaign::has_utm() const noexcept {
    return !source.empty() || !medium.empty() || !name.empty() || !term.empty() ||
           !content.empty() || !id.empty();
}

bool campaign::has_click_id() const noexcept {
    return !gclid.empty() || !gbraid.empty() || !wbraid.empty() || !dclid.empty() ||
           !fbclid.empty() || !msclkid.empty() || !ttclid.empty() || !li_fat_id.empty();
}

campaign extract_campaign(const parsed_url& page) {
    campaign c;
    const std::array<std::pair<std::string_view, std::string campaign::*>, 14> fields{{
        {"utm_source", &campaign::source},
        {"utm_medium", &campaign::medium},
        {"utm_campaign", &campaign::name},
        {"utm_term", &campaign::term},
        {"utm_content", &campaign::content},
        {"utm_id", &campaign::id},
        {"gclid", &campaign::gclid},
        {"gbraid", &campaign::gbraid},
        {"wbraid", &campaign::wbraid},
        {"dclid", &campaign::dclid},
        {"fbclid", &campaign::fbclid},
        {"msclkid", &campaign::msclkid},
        {"ttclid", &campaign::ttclid},
        {"li_fat_id", &campaign::li_fat_id},
    }};
    for (const auto& p : page.params) {
        for (const auto& [name, member] : fields) {
            std::string& field = c.*member;
            if (field.empty() && text::iequals(p.name, name)) {
                field = std::string(text::trim(p.value));
                break;
            }
        }
    }
    return c;
}

}  // namespace clickstream::enrich
