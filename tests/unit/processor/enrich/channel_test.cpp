#include "processor/enrich/channel.h"

#include <gtest/gtest.h>

#include "enrich_test_data.h"

namespace clickstream::enrich {
namespace {

// The channel of a landing page URL and referrer, as the stage derives it.
channel channel_of(const char* page, const char* referrer) {
    const auto url = parse_url(page);
    EXPECT_TRUE(url) << page;
    const campaign c = url ? extract_campaign(*url) : campaign{};
    const auto& p = test_data::referrers();
    const auto r = p.parse(referrer, std::vector<std::string>{"shop.example.com"});
    return classify_channel(c, r, p.classify_source(c.source));
}

TEST(enrich_channel, every_channel_from_real_inputs) {
    struct row {
        const char* page;
        const char* referrer;
        channel want;
    };
    const row rows[] = {
        {"https://shop.example.com/", "", channel::direct},
        {"https://shop.example.com/b", "https://shop.example.com/a", channel::direct},
        {"https://shop.example.com/", "https://www.google.com/", channel::organic_search},
        {"https://shop.example.com/?utm_source=google&utm_medium=organic", "",
         channel::organic_search},
        {"https://shop.example.com/?gclid=abc", "https://www.google.com/", channel::paid_search},
        {"https://shop.example.com/?msclkid=abc", "https://www.bing.com/", channel::paid_search},
        {"https://shop.example.com/?utm_source=google&utm_medium=cpc", "", channel::paid_search},
        {"https://shop.example.com/?utm_source=bing&utm_medium=ppc", "", channel::paid_search},
        {"https://shop.example.com/", "https://l.facebook.com/l.php?u=x", channel::social},
        {"https://shop.example.com/?fbclid=IwAR0", "", channel::social},
        {"https://shop.example.com/?utm_source=newsletter&utm_medium=social", "", channel::social},
        {"https://shop.example.com/?utm_source=facebook&utm_medium=paid_social", "",
         channel::paid_social},
        {"https://shop.example.com/?utm_source=instagram&utm_medium=cpc", "", channel::paid_social},
        {"https://shop.example.com/?ttclid=E.C.P.abc", "", channel::paid_social},
        {"https://shop.example.com/?li_fat_id=1234", "https://www.linkedin.com/",
         channel::paid_social},
        {"https://shop.example.com/?utm_source=spring&utm_medium=email", "", channel::email},
        {"https://shop.example.com/?utm_source=newsletter", "", channel::email},
        {"https://shop.example.com/", "https://mail.google.com/", channel::email},
        {"https://shop.example.com/", "https://someones-blog.example.net/post", channel::referral},
        {"https://shop.example.com/?utm_source=partner.example&utm_medium=referral", "",
         channel::referral},
        {"https://shop.example.com/?utm_source=gdn&utm_medium=display", "", channel::display},
        {"https://shop.example.com/?utm_source=network&utm_medium=cpm", "", channel::display},
        {"https://shop.example.com/?dclid=CJ1", "", channel::display},
        {"https://shop.example.com/", "https://www.googleadservices.com/pagead/aclk",
         channel::display},
        {"https://shop.example.com/?utm_source=awin&utm_medium=affiliate", "", channel::affiliate},
        {"https://shop.example.com/?utm_source=flyer&utm_medium=print", "", channel::other},
        {"https://shop.example.com/?utm_source=(direct)&utm_medium=(none)", "", channel::direct},
    };
    for (const auto& r : rows) {
        EXPECT_EQ(to_string(channel_of(r.page, r.referrer)), to_string(r.want))
            << r.page << " from '" << r.referrer << "'";
    }
}

TEST(enrich_channel, campaign_tags_win_over_the_referrer) {
    // A newsletter link opened in Gmail's web client, tagged as email; a
    // tagged social post opened from a search engine's result.
    EXPECT_EQ(channel_of("https://shop.example.com/?utm_source=news&utm_medium=email",
                         "https://www.google.com/"),
              channel::email);
    EXPECT_EQ(channel_of("https://shop.example.com/?utm_source=pinterest&utm_medium=social",
                         "https://www.bing.com/"),
              channel::social);
}

}  // namespace
}  // namespace clickstream::enrich
