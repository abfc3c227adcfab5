// What the sessionize stage logs of ClickHouse's errors, and where its
// ClickHouse password comes from.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/config.h"
#include "processor/sessionize/clickhouse.h"
#include "processor/sessionize/service.h"

namespace clickstream::sessionize {
namespace {

TEST(session_clickhouse, an_error_keeps_its_code_and_drops_the_quoted_row) {
    // ClickHouse 18.16's answer to a JSONEachRow row it cannot parse.
    const auto e = clickhouse_error_summary(
        "Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected , before: "
        "\"user-42\",\"url\":\"https://shop.example/account?email=a@b.c\"}: (at row 1)\n, "
        "e.what() = DB::Exception\n");
    EXPECT_EQ(e.code, 27);
    EXPECT_EQ(e.summary, "Cannot parse input");
    // Newer servers put a full stop after the code.
    const auto newer = clickhouse_error_summary(
        "Code: 117. DB::Exception: Unknown field found while parsing JSONEachRow format: "
        "user_x: (at row 1)\n");
    EXPECT_EQ(newer.code, 117);
    EXPECT_EQ(newer.summary, "Unknown field found while parsing JSONEachRow format");
    // Quotes end the summary too.
    EXPECT_EQ(clickhouse_error_summary("Code: 60, e.displayText() = DB::Exception: Table "
                                       "x.sessions doesn't exist., e.what() = DB::Exception")
                  .summary,
              "Table x.sessions doesn");
}

TEST(session_clickhouse, a_summary_is_bounded_and_printable) {
    const auto long_one = clickhouse_error_summary(
        "Code: 1, e.displayText() = DB::Exception: " + std::string(5000, 'a') + ": 'row'");
    EXPECT_EQ(long_one.code, 1);
    EXPECT_EQ(long_one.summary, std::string(100, 'a'));
    EXPECT_EQ(
        clickhouse_error_summary("Code: 9, e.displayText() = DB::Exception: bad\x01row").summary,
        "bad");
    const auto none = clickhouse_error_summary("<html>502 Bad Gateway</html>");
    EXPECT_EQ(none.code, 0);
    EXPECT_EQ(none.summary, "");
    EXPECT_GT(clickhouse_error_summary("Code: 99999999999999999999").code, 0) << "no overflow";
}

TEST(session_clickhouse, the_password_comes_from_a_file_over_the_inline_value) {
    auto parse = [](const std::vector<std::string>& env) {
        return parse_options(common::load_config(default_config(), {}, env));
    };
    EXPECT_EQ(parse({"CLICKSTREAM_CLICKHOUSE__PASSWORD=inline"}).clickhouse.password, "inline");
    const auto file = std::filesystem::temp_directory_path() / "sessionize_ch_password_test";
    std::ofstream(file) << "from-the-file\n";
    EXPECT_EQ(parse({"CLICKSTREAM_CLICKHOUSE__PASSWORD=inline",
                     "CLICKSTREAM_CLICKHOUSE__PASSWORD_FILE=" + file.string()})
                  .clickhouse.password,
              "from-the-file");
    std::filesystem::remove(file);
    try {
        parse({"CLICKSTREAM_CLICKHOUSE__PASSWORD_FILE=" + file.string()});
        FAIL() << "a missing password file was taken";
    } catch (const common::config_error& e) {
        EXPECT_EQ(std::string(e.what()), "clickhouse.password_file: cannot read " + file.string());
    }
}

}  // namespace
}  // namespace clickstream::sessionize
