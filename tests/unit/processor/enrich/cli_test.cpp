#include "processor/enrich/cli.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/stack.h"

namespace clickstream::enrich {
namespace {

struct run_result {
    int status;
    std::vector<nlohmann::json> lines;
    std::string out, err;
};

run_result run(std::vector<std::string> args, const std::string& input) {
    std::istringstream in(input);
    std::ostringstream out, err;
    const int status = run_cli(args, in, out, err, clickstream::test::project_root());
    run_result r{status, {}, out.str(), err.str()};
    if (status == 0 && std::find(args.begin(), args.end(), "--help") == args.end()) {
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);)
            r.lines.push_back(nlohmann::json::parse(line));
    }
    return r;
}

TEST(enrich_cli, user_agents_one_json_object_a_line) {
    const auto r =
        run({"--mode", "ua"},
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\r\n"
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1\n"
            "\xff\xfe\n");
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.lines.size(), 3U);
    EXPECT_EQ(r.lines[0]["bot"]["rule"], "crawler");
    EXPECT_EQ(r.lines[0]["device"]["type"], "bot");
    EXPECT_EQ(r.lines[0]["user_agent"].get<std::string>().back(), ')');  // '\r' removed
    EXPECT_EQ(r.lines[1]["browser"]["family"], "Mobile Safari");
    EXPECT_EQ(r.lines[1]["os"]["major"], "17");
    EXPECT_EQ(r.lines[1]["device"]["type"], "mobile");
    EXPECT_EQ(r.lines[2]["browser"]["family"], "Other");  // invalid UTF-8 still gives a line
}

TEST(enrich_cli, urls_and_their_errors) {
    const auto r = run({"--mode", "url", "--cache", "0"},
                       "https://shop.example.com/a//b/../c?utm_source=google&utm_medium=cpc\n"
                       "http://[::1\n");
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.lines.size(), 2U);
    EXPECT_EQ(r.lines[0]["parts"]["normalized_path"], "/a/c");
    EXPECT_EQ(r.lines[0]["campaign"]["source"], "google");
    EXPECT_EQ(r.lines[0]["channel"], "paid_search");
    EXPECT_EQ(r.lines[1]["error"], "bad_host");
}

TEST(enrich_cli, referrers_with_the_sites_domain) {
    const auto r = run({"--mode", "referrer", "--site-domain", "example.com"},
                       "https://www.google.de/\nhttps://blog.example.com/\n\n");
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.lines.size(), 3U);
    EXPECT_EQ(r.lines[0]["medium"], "search");
    EXPECT_EQ(r.lines[0]["channel"], "organic_search");
    EXPECT_EQ(r.lines[1]["medium"], "internal");
    EXPECT_EQ(r.lines[2]["medium"], "none");
    EXPECT_EQ(r.lines[2]["channel"], "direct");
}

TEST(enrich_cli, ip_addresses) {
    const auto r = run({"--mode", "ip"}, "8.8.8.8\n2001:db8::1\nnope\n");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.lines[0]["anonymized"], "8.8.8.0");
    EXPECT_EQ(r.lines[0]["country"], "US");
    EXPECT_EQ(r.lines[1]["anonymized"], "2001:db8::");
    EXPECT_TRUE(r.lines[1]["country"].is_null());
    EXPECT_EQ(r.lines[2]["error"], "bad_ip");
}

// Whole batches: the clean events are exactly the contract's goldens when
// the options say what the golden's headers say (and no GeoIP database).
TEST(enrich_cli, batches_give_the_golden_clean_events) {
    const auto dir = test::contracts_dir();
    const auto cases = nlohmann::json::parse(test::read_file(dir / "clean-event/cases.json"));
    const auto& c = cases["cases"][0];
    ASSERT_EQ(c["file"], "web_session.json");
    const auto& h = c["headers"];
    const auto body =
        nlohmann::json::parse(test::read_file(dir / "batch-v1" / c["batch"].get<std::string>()));
    const auto r = run({"--mode", "batch", "--user-agent", h["user_agent"], "--client-ip",
                        h["client_ip"], "--received-at", h["received_at"], "--request-id",
                        h["request_id"], "--site-domain", "shop.example", "--geoip",
                        "/nonexistent/GeoIP.dat", "--geoip-v6", "/nonexistent/GeoIPv6.dat"},
                       body.dump() + "\n");
    ASSERT_EQ(r.status, 0) << r.err;
    const auto expected =
        nlohmann::json::parse(test::read_file(dir / "clean-event" / c["file"].get<std::string>()));
    ASSERT_EQ(r.lines.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(r.lines[i], expected[i]) << i;
}

TEST(enrich_cli, batches_bots_and_dead_letters) {
    const auto dir = test::contracts_dir();
    const auto body =
        nlohmann::json::parse(test::read_file(dir / "batch-v1/valid/web_session.json"));
    auto no_site = body;
    no_site.erase("site");
    const auto r = run({"--mode", "batch", "--user-agent",
                        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
                       "{\"v\":1,\"site\"\n\n" + body.dump() + "\r\n" + no_site.dump() + "\n");
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.lines.size(), 1 + body["events"].size() + 1);
    EXPECT_EQ(r.lines[0]["line"], 1);
    EXPECT_EQ(r.lines[0]["dlq_reason"], "not_json");
    for (std::size_t i = 0; i < body["events"].size(); ++i) {
        const auto& e = r.lines[1 + i];
        EXPECT_EQ(e["event_id"], body["events"][i]["id"]);
        EXPECT_EQ(e["is_bot"], true);
        EXPECT_EQ(e["bot_rule"], "crawler");
        // No --received-at: the batch's sent_at, so no skew.
        EXPECT_EQ(e["receive_time_ms"], body["sent_at"]);
    }
    const auto& last = r.lines.back();
    EXPECT_EQ(last["line"], 4);
    EXPECT_EQ(last["dlq_reason"], "missing_field");
    EXPECT_EQ(last["dlq_path"], "/site");
    EXPECT_EQ(run({"--mode", "batch", "--received-at", "soon"}, "").status, 2);
}

TEST(enrich_cli, help_bad_arguments_and_missing_data) {
    const auto help = run({"--help"}, "");
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.out.find("Usage: clickstream-enrich --mode"), std::string::npos);

    const auto bad = run({"--mode", "tea"}, "");
    EXPECT_EQ(bad.status, 2);
    EXPECT_NE(bad.err.find("--mode must be"), std::string::npos);
    EXPECT_EQ(run({"--mode"}, "").status, 2);
    EXPECT_EQ(run({"--mode", "ua", "--cache", "many"}, "").status, 2);

    const auto missing = run({"--mode", "ua", "--uap-regexes", "/nonexistent/regexes.yaml"}, "x\n");
    EXPECT_EQ(missing.status, 1);
    EXPECT_NE(missing.err.find("/nonexistent/regexes.yaml"), std::string::npos);
    EXPECT_TRUE(missing.out.empty());
}

}  // namespace
}  // namespace clickstream::enrich
