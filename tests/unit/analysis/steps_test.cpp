#include "processor/analysis/steps.h"

#include <gtest/gtest.h>

namespace clickstream::analysis {
namespace {

TEST(analysis_steps, pages_events_and_property_filters) {
    auto p = parse_step("page:/product/*");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->what, step::kind::page);
    EXPECT_EQ(p->pattern, "/product/*");
    auto e = parse_step(" event:purchase{plan=pro, qty = 2} ");
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->what, step::kind::event);
    EXPECT_EQ(e->pattern, "purchase");
    ASSERT_EQ(e->props.size(), 2u);
    EXPECT_EQ(e->props[1].key, "qty");
    EXPECT_EQ(e->props[1].value, "2");
    EXPECT_EQ(e->text, "event:purchase{plan=pro, qty = 2}");
}

TEST(analysis_steps, bad_steps_say_what_is_wrong) {
    const std::string syntax =
        "expected page:<path> (with * for any characters) or event:<name>, optionally followed "
        "by {key=value,...}";
    EXPECT_EQ(parse_step("pricing").error().message, "bad step 'pricing': " + syntax);
    EXPECT_EQ(parse_step("pag:/x").error().message,
              "bad step 'pag:/x': unknown kind 'pag'; " + syntax);
    EXPECT_EQ(parse_step("page:pricing").error().message,
              "bad step 'page:pricing': a page path starts with '/' (or '*'), e.g. page:/pricing");
    EXPECT_EQ(parse_step("event:").error().message, "bad step 'event:': no name after 'event:'");
    EXPECT_EQ(parse_step("event:buy{plan=pro").error().message,
              "bad step 'event:buy{plan=pro': a '{' without its closing '}' at the end");
    EXPECT_EQ(parse_step("event:buy{plan}").error().message,
              "bad step 'event:buy{plan}': property filter 'plan' is not key=value");
    EXPECT_EQ(parse_step("event:buy{=pro}").error().message,
              "bad step 'event:buy{=pro}': property filter '=pro' has no key");
    EXPECT_EQ(parse_step("event:buy{}").error().message,
              "bad step 'event:buy{}': empty {} (give key=value pairs)");
    EXPECT_EQ(parse_step("event:bu*").error().message,
              "bad step 'event:bu*': event names take no '*'; name the event exactly");
    EXPECT_EQ(parse_steps({"page:/"}).error().message,
              "a funnel needs at least 2 steps (got 1), e.g. "
              "step=page:/pricing&step=event:signup");
    EXPECT_EQ(parse_steps({"page:/", "evnt:x"}).error().message,
              "bad step 'evnt:x': unknown kind 'evnt'; " + syntax);
}

TEST(analysis_steps, globs_become_like_patterns_with_literals_escaped) {
    EXPECT_EQ(like_pattern("/product/*"), "/product/%");
    EXPECT_EQ(like_pattern("/50%_off*"), "/50\\%\\_off%");
}

TEST(analysis_steps, conditions_match_paths_names_and_props) {
    EXPECT_EQ(step_condition(*parse_step("page:/a")),
              "((type IN ('page_view', 'screen_view') AND if(type = 'screen_view', name, "
              "url_path) = '/a'))");
    EXPECT_EQ(step_condition(*parse_step("page:/p/*")),
              "((type IN ('page_view', 'screen_view') AND if(type = 'screen_view', name, "
              "url_path) LIKE '/p/%'))");
    EXPECT_EQ(step_condition(*parse_step("event:buy{plan=pro}")),
              "((name = 'buy' OR type = 'buy') AND (visitParamExtractString(props, 'plan') = "
              "'pro' OR visitParamExtractRaw(props, 'plan') = 'pro'))");
    EXPECT_EQ(step_condition(*parse_step("event:it's")), "((name = 'it\\'s' OR type = 'it\\'s'))");
}

}  // namespace
}  // namespace clickstream::analysis
