// The pixel v1 contract (docs/contracts/pixel-v1/) from the consuming side:
// parse_pixel on every golden query string gives the verdict cases.json
// lists; a valid one reads as the very batch v1 that cases.json gives for it
// (parsed by parse_batch and compared field by field), an invalid one fails
// with the listed reason at the listed path. The beacon's side reads the same
// files in tests/contracts/pixel_v1.test.mjs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "processor/enrich/batch.h"
#include "support/stack.h"

namespace clickstream::enrich {
namespace {

using json = nlohmann::json;

std::string read(const std::string& file) {
    return test::read_file(test::contracts_dir() / "pixel-v1" / file);
}

// A golden is one query string and a newline.
std::string query(const std::string& file) {
    std::string q = read(file);
    if (!q.empty() && q.back() == '\n') q.pop_back();
    return q;
}

void expect_same(const batch& got, const batch& want) {
    EXPECT_EQ(got.v, want.v);
    EXPECT_EQ(got.site, want.site);
    EXPECT_EQ(got.sent_at, want.sent_at);
    EXPECT_EQ(got.sdk_name, want.sdk_name);
    EXPECT_EQ(got.sdk_version, want.sdk_version);
    const auto& gc = got.context;
    const auto& wc = want.context;
    EXPECT_EQ(gc.anonymous_id, wc.anonymous_id);
    EXPECT_EQ(gc.user_id, wc.user_id);
    EXPECT_EQ(gc.platform, wc.platform);
    EXPECT_EQ(gc.session_timeout_s, wc.session_timeout_s);
    EXPECT_EQ(gc.tab_id, wc.tab_id);
    EXPECT_EQ(gc.webdriver, wc.webdriver);
    EXPECT_EQ(gc.screen.has_value(), wc.screen.has_value());
    EXPECT_EQ(gc.viewport.has_value(), wc.viewport.has_value());
    EXPECT_EQ(gc.language, wc.language);
    ASSERT_EQ(got.events.size(), want.events.size());
    for (std::size_t i = 0; i < got.events.size(); ++i) {
        const auto& g = got.events[i];
        const auto& w = want.events[i];
        EXPECT_EQ(g.id, w.id);
        EXPECT_EQ(g.type, w.type);
        EXPECT_EQ(g.ts, w.ts);
        EXPECT_EQ(g.true_ts, w.true_ts);
        EXPECT_EQ(g.session_id, w.session_id);
        EXPECT_EQ(g.session_index, w.session_index);
        EXPECT_EQ(g.seq, w.seq);
        EXPECT_EQ(g.url, w.url);
        EXPECT_EQ(g.referrer, w.referrer);
        EXPECT_EQ(g.title, w.title);
        EXPECT_EQ(g.name, w.name);
        EXPECT_EQ(g.props, w.props);
        EXPECT_EQ(g.value, w.value);
        EXPECT_EQ(g.currency, w.currency);
        EXPECT_EQ(g.element.has_value(), w.element.has_value());
        EXPECT_EQ(g.depth, w.depth);
    }
}

TEST(pixel_contract, every_golden_gets_its_batch_or_its_reason_and_path) {
    const json cases = json::parse(read("cases.json"))["cases"];
    ASSERT_GE(cases.size(), 13U);
    std::size_t valid = 0;
    for (const auto& c : cases) {
        const auto file = c["file"].get<std::string>();
        SCOPED_TRACE(file);
        const auto r = parse_pixel(query(file));
        if (c["valid"].get<bool>()) {
            ++valid;
            ASSERT_TRUE(r) << to_string(r.error().reason) << " at " << r.error().path << ": "
                           << r.error().detail;
            const auto want = parse_batch(c["batch"].dump());
            ASSERT_TRUE(want) << "cases.json's batch is not a valid batch v1: "
                              << to_string(want.error().reason) << " at " << want.error().path;
            expect_same(*r, *want);
        } else {
            ASSERT_FALSE(r) << "accepted";
            EXPECT_EQ(to_string(r.error().reason), c["reason"].get<std::string>())
                << r.error().detail;
            EXPECT_EQ(r.error().path, c["path"].get<std::string>()) << r.error().detail;
        }
    }
    EXPECT_GE(valid, 4U);
}

// What the beacon sends on a first visit is a page view with every id the
// enrich stage needs: the bug this contract fixed sent none of them.
TEST(pixel_contract, the_beacons_first_visit_is_a_full_page_view) {
    const auto r = parse_pixel(query("valid/tracker_first_visit.txt"));
    ASSERT_TRUE(r) << to_string(r.error().reason) << " at " << r.error().path;
    ASSERT_EQ(r->events.size(), 1U);
    const auto& e = r->events[0];
    EXPECT_EQ(e.type, "page_view");
    EXPECT_FALSE(r->context.anonymous_id.empty());
    EXPECT_FALSE(e.session_id.empty());
    EXPECT_EQ(e.id.size(), 36U);
    EXPECT_EQ(e.session_index, 1);
    EXPECT_EQ(e.seq, 1);
    EXPECT_EQ(e.title, "Blue mug \xE2\x80\x94 Demo shop");
    EXPECT_FALSE(r->context.tab_id.empty());
}

}  // namespace
}  // namespace clickstream::enrich
