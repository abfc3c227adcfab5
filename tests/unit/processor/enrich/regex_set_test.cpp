#include "enrich/regex_set.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <random>
#include <stdexcept>

#include "enrich_test_data.h"

namespace clickstream::enrich {
namespace {

// The first regex of the set that matches `text` on its own, trying each in
// order (-1: none): the answer first_match() must give.
int sequential_first_match(const regex_set& set, const std::string& text) {
    for (std::size_t i = 0; i < set.size(); ++i) {
        if (RE2::PartialMatch(text, set.regex(i))) return static_cast<int>(i);
    }
    return -1;
}

// The prefilter must give the answer of trying each regex in order: for
// every section of regexes.yaml and every real user agent, the set's first
// match is the first regex that matches on its own.
TEST(enrich_regex_set, first_match_equals_trying_each_regex_in_order) {
    const auto root = YAML::LoadFile(test_data::paths().uap_regexes.string());
    std::vector<std::string> inputs;
    for (const auto& [ua, category] : test_data::browser_user_agents()) inputs.push_back(ua);
    for (const auto& ua : test_data::crawler_user_agents()) inputs.push_back(ua);
    inputs.emplace_back("");

    std::size_t compared = 0, matched = 0, alone = 0;
    for (const char* section : {"user_agent_parsers", "os_parsers", "device_parsers"}) {
        regex_set set(section, std::int64_t{64} << 20);
        for (const auto& item : root[section]) {
            const bool ignore_case =
                item["regex_flag"] && item["regex_flag"].as<std::string>() == "i";
            set.add(item["regex"].as<std::string>(), ignore_case);
        }
        set.compile();
        for (const auto& ua : inputs) {
            const int sequential = sequential_first_match(set, ua);
            ASSERT_EQ(set.first_match(ua), sequential) << section << ": " << ua;
            ++compared;
            if (sequential >= 0) ++matched;
        }
        EXPECT_EQ(set.fallbacks(), 0U) << section;
        alone += set.alone();
    }
    // uap-core's catch-all crawler rules (a leading `^.{0,200}?`, or
    // hundreds of names) are tried alone.
    EXPECT_GT(alone, 0U);
    std::cout << "prefilter agreed with the sequential scan on " << compared << " lookups ("
              << matched << " matches)\n";
    EXPECT_GT(matched, compared / 2);
}

// The set holds wide counted repetitions relaxed ({0,10} -> {0,}), so it
// can name a candidate the exact pattern refuses: the answer is still the
// first pattern that matches on its own, whatever the input's length, and a
// brace that is no repetition (escaped, in a class) is left as it is.
TEST(enrich_regex_set, relaxed_repetitions_give_the_exact_first_match) {
    regex_set set("relaxed", std::int64_t{8} << 20);
    const char* patterns[] = {"a.{0,10}b",   "x{2,40}y",     "\\{1,20}q", "[{]{1,20}r",
                              "c.{3,200}?d", "(?:e.{0,2}f)", "b"};
    for (const char* p : patterns) set.add(p, false);
    set.add("Z.{1,30}Z", true);
    set.compile();
    const std::string inputs[] = {"a" + std::string(9, '-') + "b",
                                  "a" + std::string(10, '-') + "b",
                                  "a" + std::string(11, '-') + "b",
                                  "a" + std::string(300, '-') + "b",
                                  "xy",
                                  "xxy",
                                  std::string(40, 'x') + "y",
                                  std::string(41, 'x') + "y",
                                  "{1,20}q",
                                  "{q",
                                  "{{{r",
                                  std::string(21, '{') + "r",
                                  "c12d",
                                  "c" + std::string(200, '1') + "d",
                                  "c" + std::string(201, '1') + "d",
                                  "e12f",
                                  "e123f",
                                  "z" + std::string(30, '.') + "z",
                                  "z" + std::string(31, '.') + "z",
                                  "nothing here"};
    for (const auto& text : inputs) {
        const int sequential = sequential_first_match(set, text);
        EXPECT_EQ(set.first_match(text), sequential) << text;
    }
    // The long "a...b" is answered by "b", which the relaxed "a.{0,}b" hides
    // from a set that would return its lowest hit unchecked.
    EXPECT_EQ(set.first_match("a" + std::string(300, '-') + "b"), 6);
    EXPECT_EQ(set.first_match("a" + std::string(10, '-') + "b"), 0);
}

// Patterns with a leading gap or a large program are tried one by one, in
// index order, beside the set: the answer is still the first pattern that
// matches on its own, whether it is in the set, alone, before or after the
// other.
TEST(enrich_regex_set, patterns_tried_alone_keep_the_first_match_order) {
    regex_set set("alone", std::int64_t{8} << 20);
    std::string names;
    for (int i = 0; i < 1000; ++i) names += (i ? "|name" : "(?:name") + std::to_string(i) + "x";
    names += ")";
    const std::pair<const char*, bool> patterns[] = {{"^.{0,20}?(bot)\\b", false},
                                                     {"Chrome/(\\d+)", false},
                                                     {"^.*?spider", true},
                                                     {"\\(compatible;", false},
                                                     {"Safari", false}};
    set.add(patterns[0].first, patterns[0].second);
    set.add(patterns[1].first, patterns[1].second);
    set.add(names, false);
    for (std::size_t i = 2; i < std::size(patterns); ++i)
        set.add(patterns[i].first, patterns[i].second);
    set.compile();
    EXPECT_EQ(set.alone(), 3U);
    const std::string inputs[] = {"Mozilla/5.0 Chrome/120 Safari",
                                  "a bot Chrome/120",
                                  std::string(30, 'a') + " bot Chrome/120",
                                  "Mozilla/5.0 (compatible; name999x) Safari",
                                  "Mozilla/5.0 (compatible; name1000x) Safari",
                                  "SPIDER (compatible; x)",
                                  "Safari SpIdEr",
                                  "(compatible; name7x",
                                  "nothing"};
    for (const auto& text : inputs) {
        const int sequential = sequential_first_match(set, text);
        EXPECT_EQ(set.first_match(text), sequential) << text;
    }
    EXPECT_EQ(set.first_match("a bot Chrome/120"), 0);
    EXPECT_EQ(set.first_match(std::string(30, 'a') + " bot Chrome/120"), 1);
    EXPECT_EQ(set.first_match("Mozilla/5.0 (compatible; name999x) Safari"), 2);
    EXPECT_EQ(set.first_match("SPIDER (compatible; x)"), 3);
    EXPECT_EQ(set.first_match("nothing"), -1);
}

// On a text no longer than the smallest relaxed bound, a pattern whose
// relaxed repetitions each repeat one character matches as its relaxed copy
// does, groups included: regex_for() hands out the cheaper copy there and
// the exact regex otherwise, and never the copy of a repeated group.
TEST(enrich_regex_set, relaxed_copy_gives_the_exact_groups_on_short_texts) {
    regex_set set("groups", std::int64_t{8} << 20);
    set.add("^(.{0,12}?)(x{1,20})", false);
    set.add("(?:ab){0,20}(c)", false);
    set.add("([a-z]{2,30})(\\d{0,15})", true);
    set.add("(b.{0,100}?)(\\d|c)(.{0,300})$", false);
    set.compile();
    EXPECT_NE(&set.regex_for(0, 12), &set.regex(0));
    EXPECT_EQ(&set.regex_for(0, 13), &set.regex(0));
    EXPECT_EQ(&set.regex_for(1, 1), &set.regex(1));
    EXPECT_NE(&set.regex_for(2, 15), &set.regex(2));
    EXPECT_EQ(&set.regex_for(2, 16), &set.regex(2));
    EXPECT_NE(&set.regex_for(3, 100), &set.regex(3));
    std::mt19937 rng(20261126);
    const std::string alphabet = "abcxX1 ";
    for (int n = 0; n < 3000; ++n) {
        std::string text(rng() % 140, ' ');
        for (char& c : text) c = alphabet[rng() % alphabet.size()];
        for (std::size_t i = 0; i < set.size(); ++i) {
            const RE2& exact = set.regex(i);
            const RE2& chosen = set.regex_for(i, text.size());
            std::array<re2::StringPiece, 4> want{}, got{};
            const int groups = exact.NumberOfCapturingGroups() + 1;
            const bool matched =
                exact.Match(text, 0, text.size(), RE2::UNANCHORED, want.data(), groups);
            ASSERT_EQ(chosen.Match(text, 0, text.size(), RE2::UNANCHORED, got.data(), groups),
                      matched)
                << i << ": " << text;
            for (int g = 0; matched && g < groups; ++g) {
                ASSERT_EQ(got[g].data(), want[g].data()) << i << " group " << g << ": " << text;
                ASSERT_EQ(got[g].size(), want[g].size()) << i << " group " << g << ": " << text;
            }
        }
        const int sequential = sequential_first_match(set, text);
        ASSERT_EQ(set.first_match(text), sequential) << text;
    }
}

TEST(enrich_regex_set, a_tiny_memory_budget_falls_back_to_the_same_answer) {
    // Enough to compile, far too little for the DFA on long inputs.
    regex_set set("tiny", 1 << 16);
    const char* patterns[] = {"(a|b)*c{1,20}x", "b{3,30}y", "zzz", "[a-c]{5,40}d"};
    for (const char* p : patterns) set.add(p, false);
    set.compile();
    std::string text;
    for (int i = 0; i < 4000; ++i) text += "abc"[i % 3];
    text += "bbbbby";
    const int sequential = sequential_first_match(set, text);
    EXPECT_EQ(set.first_match(text), sequential);
    EXPECT_NE(sequential, -1);
}

TEST(enrich_regex_set, rejects_what_re2_cannot_run_naming_it) {
    regex_set set("test list", 1 << 20);
    EXPECT_EQ(set.add("ok", false), 0U);
    test_data::expect_load_error([&] { set.add("(?=lookahead)", false); },
                                 "test list: RE2 cannot compile pattern 1 '(?=lookahead)'");
}

}  // namespace
}  // namespace clickstream::enrich
