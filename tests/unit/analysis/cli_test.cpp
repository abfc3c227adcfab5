#include "processor/analysis/cli.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/fake_query_runner.h"

namespace clickstream::analysis {
namespace {

using json = nlohmann::json;
constexpr std::int64_t now = 1'795'000'000'000;

struct cli_run {
    int code = -1;
    std::string out, err;
    connection used;
    std::vector<std::string> queries;
};

cli_run run(std::vector<std::string> args, test::fake_query_runner* script = nullptr,
            std::map<std::string, std::string> env = {}) {
    cli_run r;
    std::ostringstream out, err;
    test::fake_query_runner fallback;
    test::fake_query_runner& db = script != nullptr ? *script : fallback;
    struct forward final : query_runner {
        explicit forward(test::fake_query_runner& d) : db(d) {}
        result<rows> run(std::string_view sql) noexcept override { return db.run(sql); }
        test::fake_query_runner& db;
    };
    r.code = run_cli(
        args, out, err, now,
        [&](const connection& c) -> std::unique_ptr<query_runner> {
            r.used = c;
            return std::make_unique<forward>(db);
        },
        [&](const char* name) -> const char* {
            auto it = env.find(name);
            return it == env.end() ? nullptr : it->second.c_str();
        });
    r.out = out.str();
    r.err = err.str();
    r.queries = db.queries;
    return r;
}

TEST(analysis_cli, help_lists_commands_and_examples) {
    const auto r = run({"--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("clickstream funnel --step page:/"), std::string::npos);
    EXPECT_EQ(run({"paths", "--help"}).code, 0);
    EXPECT_EQ(run({}).code, 2);
}

TEST(analysis_cli, usage_errors_exit_2_with_the_reason) {
    auto r = run({"funel"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err,
              "clickstream: unknown command 'funel' (funnel, paths, attribution, sessions; see "
              "--help)\n");
    r = run({"funnel", "--step", "page:/", "--step", "evnt:buy"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("bad step 'evnt:buy': unknown kind 'evnt'"), std::string::npos);
    EXPECT_TRUE(r.queries.empty());
    r = run({"paths", "--from", "2026-11-31"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "clickstream: bad date '2026-11-31': that month has days 01 to 30\n");
    r = run({"paths", "--steps", "x"});
    EXPECT_EQ(r.err, "clickstream paths: unknown option --steps (see --help)\n");
    r = run({"attribution", "--by"});
    EXPECT_EQ(r.err, "clickstream attribution: --by needs a value\n");
    r = run({"sessions", "--format", "xml"});
    EXPECT_EQ(r.err, "clickstream: bad --format 'xml': expected text, json or csv\n");
    r = run({"sessions", "--database", "x;drop"});
    EXPECT_EQ(r.code, 2);
}

TEST(analysis_cli, json_is_the_api_body_and_text_is_a_table) {
    test::fake_query_runner db;
    db.answer({});  // the split point: no sessions
    db.answer({json::array({"", "4", "1", 2000.0})}, json::array({"", "4", "1", 2000.0}));
    auto r = run({"funnel", "--step", "page:/", "--step=event:buy", "--format", "json"}, &db);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = json::parse(r.out);
    EXPECT_EQ(j["steps"][1]["count"], 1);
    EXPECT_EQ(j["steps"][1]["conversion"], 0.25);
    test::fake_query_runner db2;
    db2.answer({});
    db2.answer({json::array({"", "4", "1", 2000.0})}, json::array({"", "4", "1", 2000.0}));
    r = run({"funnel", "--step", "page:/", "--step", "event:buy"}, &db2);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(
        r.out.find("\n2  event:buy         1       25.0%          25.0%         3           2s\n"),
        std::string::npos)
        << r.out;
}

TEST(analysis_cli, csv_quotes_cells_and_flags_take_no_value) {
    test::fake_query_runner db;
    db.answer({json::array({"-1", json::array(), "2"}),
               json::array({"0", json::array({"/a,b", "/c"}), "2"})});
    const auto r = run({"paths", "--collapse", "--exits", "--format", "csv"}, &db);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("2,100.0%,\"/a,b > /c\"\r\n"), std::string::npos) << r.out;
    ASSERT_EQ(r.queries.size(), 1u);
    EXPECT_NE(r.queries[0].find("arrayPushBack"), std::string::npos);  // --exits
}

TEST(analysis_cli, connection_from_options_over_environment) {
    auto r = run({"sessions"}, nullptr,
                 {{"CLICKSTREAM_CLICKHOUSE_URL", "http://ch:8123"},
                  {"CLICKSTREAM_CLICKHOUSE_DATABASE", "env_db"}});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.used.url, "http://ch:8123");
    EXPECT_EQ(r.used.database, "env_db");
    r = run({"sessions", "--clickhouse-url", "http://x:1", "--database", "d2", "--timeout", "5"},
            nullptr, {{"CLICKSTREAM_CLICKHOUSE_URL", "http://ch:8123"}});
    EXPECT_EQ(r.used.url, "http://x:1");
    EXPECT_EQ(r.used.database, "d2");
    EXPECT_EQ(r.used.timeout_ms, 5000);
}

TEST(analysis_cli, the_password_comes_from_a_file_or_the_environment_and_is_never_printed) {
    auto r = run({"sessions"}, nullptr, {{"CLICKSTREAM_CLICKHOUSE_PASSWORD", "from-env"}});
    EXPECT_EQ(r.used.password, "from-env");
    const auto file = std::filesystem::temp_directory_path() / "analysis_cli_password_test";
    std::ofstream(file) << "from-the-file\n";
    r = run({"sessions", "--password", "inline", "--password-file", file.string()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.used.password, "from-the-file") << "the file wins, without its newline";
    r = run({"sessions"}, nullptr,
            {{"CLICKSTREAM_CLICKHOUSE_PASSWORD", "from-env"},
             {"CLICKSTREAM_CLICKHOUSE_PASSWORD_FILE", file.string()}});
    EXPECT_EQ(r.used.password, "from-the-file");
    std::filesystem::remove(file);
    r = run({"sessions", "--password-file", file.string()});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--password-file: cannot read " + file.string()), std::string::npos)
        << r.err;
}

TEST(analysis_cli, a_failed_query_exits_1) {
    test::fake_query_runner db;
    db.fail(errc::database, "ClickHouse: clickhouse_unreachable");
    const auto r = run({"attribution"}, &db);
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "clickstream: ClickHouse: clickhouse_unreachable\n");
}

}  // namespace
}  // namespace clickstream::analysis
