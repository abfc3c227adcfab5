// The batch parser's JSON tape (processor/src/enrich/json_tape.h) against
// nlohmann::json's DOM parse, which the rest of the project reads JSON with:
// for every input, both accept or both refuse, and what they accept has the
// same values of the same kinds (integer, unsigned, double), duplicate keys
// resolved to the last. Inputs: hand-picked edge cases, the batch fuzz
// corpus, the batch v1 contract files, and seeded mutations of them.
#include "enrich/json_tape.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "support/stack.h"

namespace clickstream::enrich::detail {
namespace {

using json = nlohmann::json;

json to_json(const tape_ref& r) {
    switch (r.kind()) {
        case tape_kind::null:
            return nullptr;
        case tape_kind::boolean:
            return r.boolean();
        case tape_kind::integer:
            return json(static_cast<json::number_integer_t>(r.integer()));
        case tape_kind::unsigned_:
            return json(static_cast<json::number_unsigned_t>(r.unsigned_integer()));
        case tape_kind::floating:
            return json(r.floating());
        case tape_kind::string:
            return std::string(r.str());
        case tape_kind::object: {
            json o = json::object();
            for (tape_ref c = r.first_child(); c; c = c.next_sibling(r)) {
                o[std::string(c.key())] = to_json(c);  // a later duplicate wins
            }
            return o;
        }
        case tape_kind::array: {
            json a = json::array();
            for (tape_ref c = r.first_child(); c; c = c.next_sibling(r)) a.push_back(to_json(c));
            return a;
        }
    }
    return nullptr;
}

// Equal values of equal kinds (json's operator== takes 1 and 1u as equal).
bool same(const json& a, const json& b) {
    if (a.type() != b.type()) return false;
    if (a.is_object()) {
        if (a.size() != b.size()) return false;
        for (auto it = a.begin(); it != a.end(); ++it) {
            const auto other = b.find(it.key());
            if (other == b.end() || !same(*it, *other)) return false;
        }
        return true;
    }
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!same(a[i], b[i])) return false;
        }
        return true;
    }
    return a == b;
}

// Empty when the tape and the DOM agree on `text`, else what differs.
std::string disagreement(json_tape& tape, const std::string& text) {
    const json dom = json::parse(text, nullptr, false);
    const bool dom_ok = !dom.is_discarded();
    const bool tape_ok = tape.parse(text);
    if (dom_ok != tape_ok) {
        return std::string("nlohmann ") + (dom_ok ? "accepts" : "refuses") + ", the tape " +
               (tape_ok ? "accepts" : "refuses");
    }
    if (!dom_ok) return {};
    const json from_tape = to_json(tape_ref(&tape, 0));
    if (!same(dom, from_tape)) return "values differ: " + dom.dump() + " vs " + from_tape.dump();
    return {};
}

std::string printable(const std::string& s) {
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7F) {
            out += c;
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02X", u);
            out += hex;
        }
    }
    return out.size() > 300 ? out.substr(0, 300) + "..." : out;
}

TEST(enrich_json_tape, edge_cases_read_as_nlohmann_reads_them) {
    const std::vector<std::string> cases = {"",
                                            " ",
                                            "{}",
                                            "[]",
                                            "[",
                                            "]",
                                            "{",
                                            "}",
                                            "{\"a\":1}",
                                            " {\"a\" : [1, 2 ,3] } \n",
                                            "{\"a\":1,}",
                                            "[1,]",
                                            "[,1]",
                                            "{,}",
                                            "{\"a\"}",
                                            "{\"a\":}",
                                            "{1:2}",
                                            "{\"a\":1 \"b\":2}",
                                            "[1 2]",
                                            "{\"a\":1}{}",
                                            "{\"a\":1} x",
                                            "{\"a\":1}\t\r\n ",
                                            "true",
                                            "false",
                                            "null",
                                            "tru",
                                            "nul",
                                            "True",
                                            "[true,false,null]",
                                            "0",
                                            "-0",
                                            "-",
                                            "01",
                                            "-01",
                                            "1.",
                                            "1.5",
                                            ".5",
                                            "1e5",
                                            "1E+5",
                                            "1e-5",
                                            "1e",
                                            "1e+",
                                            "-1.25e-3",
                                            "1.0",
                                            "9223372036854775807",
                                            "9223372036854775808",
                                            "-9223372036854775808",
                                            "-9223372036854775809",
                                            "18446744073709551615",
                                            "18446744073709551616",
                                            "123456789012345678901234567890",
                                            "1e308",
                                            "1e309",
                                            "-1e309",
                                            "1e-400",
                                            "4.9e-324",
                                            "2.2250738585072014e-308",
                                            "0.1",
                                            "[1.7976931348623157e308]",
                                            "\"\"",
                                            "\"a\"",
                                            "\"a",
                                            "\"\\\"\"",
                                            "\"\\\\\"",
                                            "\"\\/\"",
                                            "\"\\b\\f\\n\\r\\t\"",
                                            "\"\\x\"",
                                            "\"\\u0041\"",
                                            "\"\\u00e9\"",
                                            "\"\\u00E9\"",
                                            "\"\\u0000\"",
                                            "\"\\u12\"",
                                            "\"\\u12G4\"",
                                            "\"\\ud83d\\ude00\"",
                                            "\"\\ud83d\"",
                                            "\"\\ud83dx\"",
                                            "\"\\ud83d\\u0041\"",
                                            "\"\\ude00\"",
                                            "\"\\uDBFF\\uDFFF\"",
                                            "\"\\ud800\\ud800\"",
                                            std::string("\"a\0b\"", 5),
                                            std::string("[1]\0", 4),
                                            "\"\x01\"",
                                            "\"\x1f\"",
                                            "\"\x7f\"",
                                            "\"\xc3\xa9\"",
                                            "\"\xc3\"",
                                            "\"\xc0\x80\"",
                                            "\"\xc1\xbf\"",
                                            "\"\xe0\x80\x80\"",
                                            "\"\xe0\xa0\x80\"",
                                            "\"\xed\xa0\x80\"",
                                            "\"\xed\x9f\xbf\"",
                                            "\"\xef\xbf\xbf\"",
                                            "\"\xf0\x80\x80\x80\"",
                                            "\"\xf0\x90\x80\x80\"",
                                            "\"\xf4\x8f\xbf\xbf\"",
                                            "\"\xf4\x90\x80\x80\"",
                                            "\"\xf5\x80\x80\x80\"",
                                            "\"\xff\"",
                                            "\"\x80\"",
                                            "\xef\xbb\xbf{}",
                                            "\xef\xbb{}",
                                            "\xef{}",
                                            "\xef\xbb\xbf",
                                            " \xef\xbb\xbf{}",
                                            "{\"a\":1,\"a\":2}",
                                            "{\"a\":{\"b\":[]},\"a\":[{}]}",
                                            "{\"\":0}",
                                            "[[[[[]]]]]",
                                            "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}",
                                            "\v{}",
                                            "\f{}",
                                            "{}\v",
                                            "[1,\n2]",
                                            "[-]",
                                            "[--1]",
                                            "[+1]",
                                            "[1e1.5]",
                                            "[0x10]",
                                            "[Infinity]",
                                            "[NaN]",
                                            "'a'",
                                            "{'a':1}",
                                            "/* c */ {}",
                                            "{} // c"};
    json_tape tape;
    for (const auto& text : cases) {
        EXPECT_EQ(disagreement(tape, text), "") << printable(text);
    }
}

std::vector<std::string> seed_documents() {
    std::vector<std::string> docs;
    const auto root = test::project_root();
    for (const auto& dir : {root / "tests/fuzz/corpus/batch", test::contracts_dir() / "batch-v1"}) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
            if (entry.is_regular_file()) docs.push_back(test::read_file(entry.path()));
        }
    }
    return docs;
}

TEST(enrich_json_tape, corpus_and_contract_bodies_read_as_nlohmann_reads_them) {
    const auto docs = seed_documents();
    ASSERT_GT(docs.size(), 30U);
    json_tape tape;
    std::size_t accepted = 0;
    for (const auto& text : docs) {
        EXPECT_EQ(disagreement(tape, text), "") << printable(text);
        accepted += json::accept(text) ? 1 : 0;
    }
    EXPECT_GT(accepted, 20U);  // most are well-formed JSON (whatever the schema says)
}

// Seeded mutations of the same bodies: bytes replaced, inserted or dropped,
// with a bias to the bytes that matter to a JSON lexer.
TEST(enrich_json_tape, mutated_bodies_read_as_nlohmann_reads_them) {
    const auto docs = seed_documents();
    ASSERT_FALSE(docs.empty());
    const std::string interesting = std::string("\"\\u{}[],:-+.eE0189 \t\nabftnrx/", 31) +
                                    "\xc3\xa9\xed\xa0\x80\xf0\x90\xef\xbb\xbf\x01\x7f\xff" +
                                    std::string(1, '\0');
    std::mt19937_64 rng(6);
    json_tape tape;
    std::size_t accepted = 0, failures = 0;
    for (int round = 0; round < 20000 && failures < 10; ++round) {
        std::string text = docs[rng() % docs.size()];
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int k = 0; k < edits && !text.empty(); ++k) {
            const std::size_t at = rng() % text.size();
            const char c = rng() % 4 == 0 ? static_cast<char>(rng() % 256)
                                          : interesting[rng() % interesting.size()];
            switch (rng() % 3) {
                case 0:
                    text[at] = c;
                    break;
                case 1:
                    text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
                    break;
                default:
                    text.erase(at, 1);
            }
        }
        const std::string d = disagreement(tape, text);
        if (!d.empty()) {
            ++failures;
            ADD_FAILURE() << d << ": " << printable(text);
        }
        accepted += json::accept(text) ? 1 : 0;
    }
    // Both paths were taken: some mutants are still JSON, most are not.
    EXPECT_GT(accepted, 1000U);
    EXPECT_LT(accepted, 19000U);
}

}  // namespace
}  // namespace clickstream::enrich::detail
