// The default channel grouping: one channel per event from its campaign and
// referrer. The rules, in order, are in docs/enrich.md ("Channel"); they
// follow Google Analytics 4's default channel group where it has a matching
// channel, so numbers compare.
#pragma once

#include <string_view>

#include "processor/enrich/campaign.h"
#include "processor/enrich/referrer_parser.h"

namespace clickstream::enrich {

enum class channel {
    direct,
    organic_search,
    paid_search,
    social,
    paid_social,
    email,
    referral,
    display,
    affiliate,
    other,
};

std::string_view to_string(channel c) noexcept;

// `source_medium`: what the campaign's utm_source names, from
// referrer_parser::classify_source() (`unknown` when there is no utm_source).
channel classify_channel(const campaign& c, const referrer_info& referrer,
                         referrer_medium source_medium) noexcept;

}  // namespace clickstream::enrich
