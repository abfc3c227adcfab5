// The seven models against credits worked out by hand. The journeys:
//
//   J1  email (-2d), direct (-1d), paid (0)   1 conversion, revenue 100
//   J2  direct (0)                            1 conversion, revenue  50
//   J3  social (-1d), direct (0)              2 conversions, revenue 30
//   non-converting: [email] once, [social, direct] once
//
// with a time-decay half-life of one day.
#include "processor/analysis/attribution.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace clickstream::analysis {
namespace {

constexpr std::int64_t day = 86'400'000;
constexpr std::int64_t t0 = 1'790'000'000'000;

std::vector<journey> journeys() {
    return {
        {{{"email", false, t0 - 2 * day}, {"direct", true, t0 - day}, {"paid", false, t0}},
         t0,
         1,
         100},
        {{{"direct", true, t0}}, t0, 1, 50},
        {{{"social", false, t0 - day}, {"direct", true, t0}}, t0, 2, 30},
    };
}

std::vector<null_path> nulls() {
    return {{{"email"}, 1}, {{"social", "direct"}, 1}};
}

credit of(const attribution_result& r, const std::string& value, model m) {
    for (const auto& row : r.rows) {
        if (row.value == value) return row.by_model[static_cast<std::size_t>(m)];
    }
    return {};
}

void expect_credits(const attribution_result& r, model m, double email, double direct, double paid,
                    double social) {
    SCOPED_TRACE(std::string(to_string(m)));
    EXPECT_NEAR(of(r, "email", m).conversions, email, 1e-9);
    EXPECT_NEAR(of(r, "direct", m).conversions, direct, 1e-9);
    EXPECT_NEAR(of(r, "paid", m).conversions, paid, 1e-9);
    EXPECT_NEAR(of(r, "social", m).conversions, social, 1e-9);
    const auto& total = r.totals[static_cast<std::size_t>(m)];
    EXPECT_NEAR(total.conversions, 4, 1e-9);
    EXPECT_NEAR(total.revenue, 180, 1e-9);
}

TEST(analysis_attribution, every_model_credits_the_hand_worked_values) {
    const auto r = attribute(journeys(), transitions_of(nulls()), {day});
    EXPECT_EQ(r.conversions, 4);
    EXPECT_EQ(r.revenue, 180);
    EXPECT_EQ(r.journeys, 3u);
    EXPECT_EQ(r.null_paths, 2u);
    expect_credits(r, model::first_touch, 1, 1, 0, 2);
    expect_credits(r, model::last_touch, 0, 3, 1, 0);
    // J1 ends on paid (not direct); J2 is direct only; J3's direct visit
    // after the social one gives way to social.
    expect_credits(r, model::last_non_direct, 0, 1, 1, 2);
    expect_credits(r, model::linear, 1.0 / 3, 1.0 / 3 + 1 + 1, 1.0 / 3, 1);
    // J1 weights 1/4, 1/2, 1 (sum 7/4); J3 weights 1/2, 1 (sum 3/2) times 2.
    expect_credits(r, model::time_decay, 1.0 / 7, 2.0 / 7 + 1 + 4.0 / 3, 4.0 / 7, 2.0 / 3);
    expect_credits(r, model::position_based, 0.4, 0.2 + 1 + 1, 0.4, 1);
    // Markov: P(conversion) = 2/3; without email 8/15, direct 0, paid 1/2,
    // social 4/15: removal effects 1/5, 1, 1/4, 3/5 (sum 41/20), shares
    // 4/41, 20/41, 5/41, 12/41 of 4 conversions.
    expect_credits(r, model::markov, 16.0 / 41, 80.0 / 41, 20.0 / 41, 48.0 / 41);
}

TEST(analysis_attribution, null_paths_become_the_steps_of_their_chain) {
    const auto steps = transitions_of({{{"social", "direct"}, 2}, {{}, 5}, {{"email"}, 0}});
    ASSERT_EQ(steps.size(), 3u) << "an empty path and one counted 0 walk no step";
    EXPECT_EQ(steps[0].from, "");
    EXPECT_EQ(steps[0].to, "social");
    EXPECT_EQ(steps[1].from, "social");
    EXPECT_EQ(steps[1].to, "direct");
    EXPECT_EQ(steps[2].from, "direct");
    EXPECT_EQ(steps[2].to, "");
    EXPECT_EQ(steps[2].count, 2);
    // The hand-worked credits again, from the steps (as the query sends
    // them, one path's steps apart from another's and in any order).
    auto t = transitions_of(nulls());
    std::reverse(t.begin(), t.end());
    const auto r = attribute(journeys(), t, {day});
    EXPECT_EQ(r.null_paths, 2u);
    expect_credits(r, model::markov, 16.0 / 41, 80.0 / 41, 20.0 / 41, 48.0 / 41);
}

TEST(analysis_attribution, revenue_follows_the_same_shares) {
    const auto r = attribute(journeys(), transitions_of(nulls()), {day});
    EXPECT_NEAR(of(r, "email", model::first_touch).revenue, 100, 1e-9);
    EXPECT_NEAR(of(r, "social", model::first_touch).revenue, 30, 1e-9);
    EXPECT_NEAR(of(r, "direct", model::linear).revenue, 100.0 / 3 + 50 + 15, 1e-9);
    EXPECT_NEAR(of(r, "paid", model::time_decay).revenue, 400.0 / 7, 1e-9);
    EXPECT_NEAR(of(r, "direct", model::position_based).revenue, 20 + 50 + 15, 1e-9);
    EXPECT_NEAR(of(r, "social", model::markov).revenue, 180 * 12.0 / 41, 1e-9);
}

TEST(analysis_attribution, markov_shares_are_removal_effects_normalised) {
    const auto shares = markov_shares(journeys(), transitions_of(nulls()));
    ASSERT_EQ(shares.size(), 4u);
    EXPECT_EQ(shares[0].first, "direct");
    EXPECT_NEAR(shares[0].second, 20.0 / 41, 1e-12);
    EXPECT_EQ(shares[1].first, "email");
    EXPECT_NEAR(shares[1].second, 4.0 / 41, 1e-12);
    EXPECT_EQ(shares[2].first, "paid");
    EXPECT_NEAR(shares[2].second, 5.0 / 41, 1e-12);
    EXPECT_EQ(shares[3].first, "social");
    EXPECT_NEAR(shares[3].second, 12.0 / 41, 1e-12);
}

TEST(analysis_attribution, a_channel_repeated_in_a_journey_takes_each_share) {
    // One journey a, b, a: linear gives a 2/3; position-based 40+40 to a,
    // 20 to b. The chain: a goes to b or converts (1/2 each), b goes to a:
    // P = 1; without a, 0 (effect 1); without b, 1/2 (effect 1/2): shares
    // 2/3 and 1/3.
    const std::vector<journey> j = {
        {{{"a", false, t0 - 2 * day}, {"b", false, t0 - day}, {"a", false, t0}}, t0, 1, 9}};
    const auto r = attribute(j, {}, {day});
    EXPECT_NEAR(of(r, "a", model::linear).conversions, 2.0 / 3, 1e-12);
    EXPECT_NEAR(of(r, "a", model::position_based).conversions, 0.8, 1e-12);
    EXPECT_NEAR(of(r, "b", model::position_based).conversions, 0.2, 1e-12);
    EXPECT_NEAR(of(r, "a", model::markov).conversions, 2.0 / 3, 1e-12);
    EXPECT_NEAR(of(r, "b", model::markov).conversions, 1.0 / 3, 1e-12);
}

TEST(analysis_attribution, all_direct_journeys_stay_direct_and_nothing_converts_is_empty) {
    const std::vector<journey> j = {{{{"direct", true, t0 - day}, {"direct", true, t0}}, t0, 1, 0}};
    const auto r = attribute(j, {}, {day});
    EXPECT_NEAR(of(r, "direct", model::last_non_direct).conversions, 1, 1e-12);
    EXPECT_NEAR(of(r, "direct", model::markov).conversions, 1, 1e-12);
    const auto none = attribute({}, transitions_of(nulls()), {day});
    EXPECT_EQ(none.conversions, 0);
    for (const auto& row : none.rows) {
        for (const auto& c : row.by_model) EXPECT_EQ(c.conversions, 0);
    }
}

}  // namespace
}  // namespace clickstream::analysis
