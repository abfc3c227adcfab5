// Funnels, paths and attribution against the real ClickHouse: small datasets
// inserted into a database of this test's own (migrated with
// scripts/migrate), each answer worked out by hand below. Then the
// `clickstream` binary against the same database: exit codes, errors, JSON.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/log.h"
#include "processor/analysis/api.h"
#include "processor/analysis/attribution.h"
#include "processor/analysis/funnel.h"
#include "processor/analysis/paths.h"
#include "processor/analysis/sessions.h"
#include "processor/sessionize/clickhouse.h"
#include "support/http_client.h"
#include "support/stack.h"

namespace clickstream::test {
namespace {

using json = nlohmann::json;
using namespace clickstream::analysis;

constexpr std::int64_t s = 1000;
constexpr std::int64_t day = 86'400'000;
// 2026-11-20 12:00:00 UTC: every dataset is around this time.
constexpr std::int64_t T = 1'795'176'000'000;
constexpr std::int64_t now = T + 10 * day;

std::string ch(const std::string& db, const std::string& sql, const std::string& body = {}) {
    std::string url = clickhouse_url() + "/?database=" + db;
    std::string text = sql;
    if (!body.empty()) text += "\n" + body;
    const auto r = http_post(url, text);
    EXPECT_EQ(r.status, 200) << sql << "\n" << r.body << r.error;
    return r.body;
}

json event(const std::string& site, const std::string& session, const std::string& anon,
           const std::string& user, std::int64_t at, const std::string& type,
           const std::string& name_or_path, const std::string& props = "") {
    static int n = 0;
    const bool page = type == "page_view";
    return {{"site", site},
            {"session_id", session},
            {"event_id", "e" + std::to_string(++n)},
            {"device_date", format_date(at / day)},
            {"event_time_ms", at},
            {"type", type},
            {"name", page ? "" : name_or_path},
            {"anonymous_id", anon},
            {"user_id", user},
            {"url_path", page ? name_or_path : "/shop"},
            {"props", props}};
}

json session_row(const std::string& site, const std::string& id, const std::string& anon,
                 const std::string& user, std::int64_t start, const std::string& channel,
                 std::vector<std::string> pages, int conversions = 0, double revenue = 0) {
    return {{"site", site},
            {"session_id", id},
            {"segment", 1},
            {"version", 8},
            {"anonymous_id", anon},
            {"user_id", user},
            {"start_ms", start},
            {"end_ms", start + 60 * s},
            {"start_date", format_date(start / day)},
            {"events", 3},
            {"page_views", pages.size()},
            {"pages", pages},
            {"landing_page", pages.empty() ? "" : pages.front()},
            {"exit_page", pages.empty() ? "" : pages.back()},
            {"channel", channel},
            {"device_type", "desktop"},
            {"conversions", conversions},
            {"revenue", revenue},
            {"converted", conversions > 0 ? 1 : 0}};
}

void insert(const std::string& db, const std::string& table, const std::vector<json>& rows) {
    std::string body;
    for (const auto& r : rows) body += r.dump() + "\n";
    ch(db, "INSERT INTO " + table + " FORMAT JSONEachRow", body);
}

// A database name of this test's own (letters, digits and '_').
std::string database_name(const std::string& prefix) {
    std::string db = unique_name(prefix);
    for (auto& c : db) {
        if (c == '-' || c == '.') c = '_';
    }
    return db;
}

// scripts/migrate on `db`: the migrations it has not had yet. The command, or
// "" when it succeeded.
std::string migrate(const std::string& db) {
    const std::string cmd = (project_root() / "scripts/migrate").string() + " --database " + db +
                            " --url " + clickhouse_url() + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0 ? std::string() : cmd;
}

class analysis_test : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        db_ = database_name("analysis");
        ASSERT_EQ(migrate(db_), "");

        // Funnel (site shop), steps / > /product/* > add_to_cart > purchase:
        //   F1 email   all four: +10 s, +10 s, +40 s; purchase plan=pro
        //   F2 direct  /, /product/b at +30 s, then abandons
        //   F3 email   /, /product/a +5 s, add_to_cart in the same ms (a tie)
        //   F4 direct  /product/a before /, then add_to_cart: out of order
        //   F5a social x5: /, /product/c +20 s ... F5b next day, signed in as
        //              u5: add_to_cart, purchase (+30 s) plan=basic
        //   F6         two days later: outside the range
        insert(db_, "events",
               {event("shop", "F1", "x1", "", T, "page_view", "/"),
                event("shop", "F1", "x1", "", T + 10 * s, "page_view", "/product/a"),
                event("shop", "F1", "x1", "", T + 20 * s, "custom", "add_to_cart"),
                event("shop", "F1", "x1", "", T + 60 * s, "conversion", "purchase",
                      R"({"plan":"pro"})"),
                event("shop", "F2", "x2", "", T, "page_view", "/"),
                event("shop", "F2", "x2", "", T + 30 * s, "page_view", "/product/b"),
                event("shop", "F3", "x3", "", T, "page_view", "/"),
                event("shop", "F3", "x3", "", T + 5 * s, "page_view", "/product/a"),
                event("shop", "F3", "x3", "", T + 5 * s, "custom", "add_to_cart"),
                event("shop", "F4", "x4", "", T, "page_view", "/product/a"),
                event("shop", "F4", "x4", "", T + 10 * s, "page_view", "/"),
                event("shop", "F4", "x4", "", T + 20 * s, "custom", "add_to_cart"),
                event("shop", "F5a", "x5", "", T, "page_view", "/"),
                event("shop", "F5a", "x5", "", T + 20 * s, "page_view", "/product/c"),
                event("shop", "F5b", "x5", "u5", T + day, "custom", "add_to_cart"),
                event("shop", "F5b", "x5", "u5", T + day + 30 * s, "conversion", "purchase",
                      R"({"plan":"basic"})"),
                event("shop", "F6", "x6", "", T + 2 * day, "page_view", "/"),
                event("shop", "F6", "x6", "", T + 2 * day + s, "page_view", "/product/a")});
        insert(db_, "sessions",
               {session_row("shop", "F1", "x1", "", T, "email", {"/", "/product/a"}, 1, 10),
                session_row("shop", "F2", "x2", "", T, "direct", {"/", "/product/b"}),
                session_row("shop", "F3", "x3", "", T, "email", {"/", "/product/a"}),
                session_row("shop", "F4", "x4", "", T, "direct", {"/product/a", "/"}),
                session_row("shop", "F5a", "x5", "", T, "social", {"/", "/product/c"}),
                session_row("shop", "F5b", "x5", "u5", T + day, "direct", {}, 1, 20),
                session_row("shop", "F6", "x6", "", T + 2 * day, "direct", {"/", "/product/a"})});

        // Breakdown by the session's rows (site brk, 2026-11-25; from
        // 2026-11-24 the shop's other sites have nothing), steps / >
        // add_to_cart:
        //   B1  two segments: email (-2 h), direct (+1 h): email, the earlier
        //   B2  version 7 social, version 9 paid_search: the newest counts
        //   B3  no row in sessions: (none)
        //   B4  newest version merged away (events = 0): (none)
        //   B5  a session row without events: no unit
        // and a session B1 of site brk2 (social, / only), apart from brk's.
        const std::int64_t b = T + 5 * day;
        auto version = [](json r, int segment, int v, int events) {
            r["segment"] = segment;
            r["version"] = v;
            r["events"] = events;
            return r;
        };
        insert(db_, "events",
               {event("brk", "B1", "z1", "", b, "page_view", "/"),
                event("brk", "B1", "z1", "", b + 10 * s, "custom", "add_to_cart"),
                event("brk", "B2", "z2", "", b, "page_view", "/"),
                event("brk", "B3", "z3", "", b, "page_view", "/"),
                event("brk", "B3", "z3", "", b + 10 * s, "custom", "add_to_cart"),
                event("brk", "B4", "z4", "", b, "page_view", "/"),
                event("brk2", "B1", "w1", "", b, "page_view", "/")});
        insert(
            db_, "sessions",
            {version(session_row("brk", "B1", "z1", "", b - 7'200 * s, "email", {"/"}), 1, 8, 3),
             version(session_row("brk", "B1", "z1", "", b + 3'600 * s, "direct", {"/"}), 2, 8, 3),
             version(session_row("brk", "B2", "z2", "", b, "social", {"/"}), 1, 7, 3),
             version(session_row("brk", "B2", "z2", "", b, "paid_search", {"/"}), 1, 9, 3),
             version(session_row("brk", "B4", "z4", "", b, "social", {"/"}), 1, 7, 3),
             version(session_row("brk", "B4", "z4", "", b, "social", {"/"}), 1, 9, 0),
             session_row("brk", "B5", "z5", "", b, "email", {"/"}),
             session_row("brk2", "B1", "w1", "", b, "social", {"/"})});

        // Paths (site paths): page sequences of five sessions.
        insert(db_, "sessions",
               {session_row("paths", "s1", "p1", "", T, "direct", {"/", "/a", "/b"}),
                session_row("paths", "s2", "p2", "", T, "direct", {"/", "/a", "/a", "/c"}),
                session_row("paths", "s3", "p3", "", T, "direct", {"/", "/b"}),
                session_row("paths", "s4", "p4", "", T, "direct", {"/x", "/", "/a", "/b"}),
                session_row("paths", "s5", "p5", "", T, "direct", {"/c"})});

        // Attribution (site attr), the journeys of the unit test by hand:
        //   u1   email (-2d), direct (-1d), paid_search (0): 1 conversion, 100
        //   y2   direct (0): 1 conversion, 50
        //   y3   social (-1d, anonymous), then signed in as u3: direct (0),
        //        2 conversions, 30 — converting in a later session, and a
        //        direct visit after a campaign visit
        //   y4   email (0), no conversion; y5 social (-1d), direct (0), none
        //   u1 also has a referral session 40 days back: outside the lookback
        insert(db_, "sessions",
               {session_row("attr", "a0", "y1", "u1", T - 40 * day, "referral", {"/"}),
                session_row("attr", "a1", "y1", "u1", T - 2 * day, "email", {"/"}),
                session_row("attr", "a2", "y1", "u1", T - day, "direct", {"/"}),
                session_row("attr", "a3", "y1", "u1", T, "paid_search", {"/"}, 1, 100),
                session_row("attr", "b1", "y2", "", T, "direct", {"/"}, 1, 50),
                session_row("attr", "c1", "y3", "", T - day, "social", {"/"}),
                session_row("attr", "c2", "y3", "u3", T, "direct", {"/"}, 2, 30),
                session_row("attr", "d1", "y4", "", T, "email", {"/"}),
                session_row("attr", "e1", "y5", "", T - day, "social", {"/"}),
                session_row("attr", "e2", "y5", "", T, "direct", {"/"})});
    }
    static void TearDownTestSuite() { ch("default", "DROP DATABASE IF EXISTS " + db_); }

    void SetUp() override {
        sessionize::clickhouse_options o;
        o.url = clickhouse_url();
        o.database = db_;
        client_ = std::make_unique<sessionize::clickhouse_client>(o, log_);
        runner_ = std::make_unique<clickhouse_runner>(*client_);
    }

    json api(const std::string& target) {
        const auto r = handle_request("GET", target, *runner_, now);
        EXPECT_EQ(r.status, 200) << target << "\n" << r.body;
        return json::parse(r.body);
    }
    static std::vector<std::int64_t> counts(const json& steps) {
        std::vector<std::int64_t> out;
        for (const auto& st : steps) out.push_back(st["count"].get<std::int64_t>());
        return out;
    }

    static inline std::string db_;
    std::ostringstream log_stream_;
    common::logger log_{log_stream_, "analysis_test"};
    std::unique_ptr<sessionize::clickhouse_client> client_;
    std::unique_ptr<clickhouse_runner> runner_;
};

const std::string shop_funnel =
    "/api/analysis/funnel?site=shop&from=2026-11-20&to=2026-11-21&step=page:/"
    "&step=page:/product/*&step=event:add_to_cart&step=event:purchase";

TEST_F(analysis_test, session_funnel_counts_drop_offs_and_median_times) {
    const auto j = api(shop_funnel + "&by=channel");
    // Entered: F1-F5a (F4 too: it has a /); F5b has no /, F6 is out of range.
    // Product after /: F1, F2, F3 (tie allowed later), F5a; F4's came before.
    EXPECT_EQ(counts(j["steps"]), (std::vector<std::int64_t>{5, 4, 2, 1}));
    EXPECT_EQ(j["steps"][1]["drop_off"], 1);
    EXPECT_EQ(j["steps"][2]["drop_off"], 2);  // F2 abandoned, F5a went on next day
    EXPECT_DOUBLE_EQ(j["steps"][3]["conversion"].get<double>(), 0.2);
    // Medians: {10, 30, 5, 20} s → 15 s; {10, 0} s → 5 s (the tie); 40 s.
    EXPECT_DOUBLE_EQ(j["steps"][1]["median_ms_from_previous"].get<double>(), 15000);
    EXPECT_DOUBLE_EQ(j["steps"][2]["median_ms_from_previous"].get<double>(), 5000);
    EXPECT_DOUBLE_EQ(j["steps"][3]["median_ms_from_previous"].get<double>(), 40000);
    // By the entry session's channel; equal counts ordered by name.
    ASSERT_EQ(j["groups"].size(), 3u);
    EXPECT_EQ(j["groups"][0]["value"], "direct");
    EXPECT_EQ(counts(j["groups"][0]["steps"]), (std::vector<std::int64_t>{2, 1, 0, 0}));
    EXPECT_EQ(j["groups"][1]["value"], "email");
    EXPECT_EQ(counts(j["groups"][1]["steps"]), (std::vector<std::int64_t>{2, 2, 2, 1}));
    EXPECT_DOUBLE_EQ(j["groups"][1]["steps"][1]["median_ms_from_previous"].get<double>(), 7500);
    EXPECT_EQ(j["groups"][2]["value"], "social");
    EXPECT_EQ(counts(j["groups"][2]["steps"]), (std::vector<std::int64_t>{1, 1, 0, 0}));
}

TEST_F(analysis_test, session_funnel_breakdown_reads_each_sessions_newest_earliest_row) {
    const std::string steps =
        "from=2026-11-25&to=2026-11-25&step=page:/"
        "&step=event:add_to_cart&by=channel";
    auto j = api("/api/analysis/funnel?site=brk&" + steps);
    EXPECT_EQ(counts(j["steps"]), (std::vector<std::int64_t>{4, 2}));
    ASSERT_EQ(j["groups"].size(), 3u);
    EXPECT_EQ(j["groups"][0]["value"], "(none)");  // B3 without a row, B4 merged away
    EXPECT_EQ(counts(j["groups"][0]["steps"]), (std::vector<std::int64_t>{2, 1}));
    EXPECT_EQ(j["groups"][1]["value"], "email");  // B1's first segment
    EXPECT_EQ(counts(j["groups"][1]["steps"]), (std::vector<std::int64_t>{1, 1}));
    EXPECT_EQ(j["groups"][2]["value"], "paid_search");  // B2's newest version
    EXPECT_EQ(counts(j["groups"][2]["steps"]), (std::vector<std::int64_t>{1, 0}));
    // Across sites a session is (site, id): brk2's B1 is a unit of its own.
    j = api("/api/analysis/funnel?" + steps);
    EXPECT_EQ(counts(j["steps"]), (std::vector<std::int64_t>{5, 2}));
    ASSERT_EQ(j["groups"].size(), 4u);
    EXPECT_EQ(j["groups"][1]["value"], "email");
    EXPECT_EQ(counts(j["groups"][1]["steps"]), (std::vector<std::int64_t>{1, 1}));
    EXPECT_EQ(j["groups"][3]["value"], "social");
    EXPECT_EQ(counts(j["groups"][3]["steps"]), (std::vector<std::int64_t>{1, 0}));
}

TEST_F(analysis_test, user_funnel_follows_a_person_into_a_later_session) {
    // x5's anonymous session F5a and signed-in F5b are one person (u5):
    // add_to_cart and purchase a day later complete the funnel.
    auto j = api(shop_funnel + "&scope=user&window=7d");
    EXPECT_EQ(j["unit"], "people");
    EXPECT_EQ(counts(j["steps"]), (std::vector<std::int64_t>{5, 4, 3, 2}));
    EXPECT_DOUBLE_EQ(j["steps"][3]["median_ms_from_previous"].get<double>(), 35000);
    // With a one-hour window u5 stops at the product page.
    j = api(shop_funnel + "&scope=user&window=1h");
    EXPECT_EQ(counts(j["steps"]), (std::vector<std::int64_t>{5, 4, 2, 1}));
    // A property filter: only x1's purchase was plan=pro.
    j =
        api("/api/analysis/funnel?site=shop&from=2026-11-20&to=2026-11-21&scope=user&step=page:/"
            "&step=page:/product/*&step=event:add_to_cart&step=event:purchase%7Bplan%3Dpro%7D");
    EXPECT_EQ(counts(j["steps"]), (std::vector<std::int64_t>{5, 4, 3, 1}));
}

TEST_F(analysis_test, a_user_funnel_window_takes_a_step_at_its_last_millisecond_and_not_after) {
    // Site edge: w1 reaches the product page exactly one hour after /, w2
    // one millisecond later than that.
    const std::int64_t hour = 3'600 * s;
    insert(db_, "events",
           {event("edge", "E1", "w1", "", T, "page_view", "/"),
            event("edge", "E1", "w1", "", T + hour, "page_view", "/product/a"),
            event("edge", "E2", "w2", "", T, "page_view", "/"),
            event("edge", "E2", "w2", "", T + hour + 1, "page_view", "/product/a")});
    const std::string edge =
        "/api/analysis/funnel?site=edge&from=2026-11-20&to=2026-11-21&step=page:/"
        "&step=page:/product/*&scope=user&window=";
    EXPECT_EQ(counts(api(edge + "1h")["steps"]), (std::vector<std::int64_t>{2, 1}));
    EXPECT_EQ(counts(api(edge + "2h")["steps"]), (std::vector<std::int64_t>{2, 2}));
}

TEST_F(analysis_test, any_order_funnel_counts_steps_in_either_order) {
    // F4 now reaches add_to_cart (product before / is fine); F5b has no /.
    const auto j = api(shop_funnel + "&order=any");
    EXPECT_EQ(counts(j["steps"]), (std::vector<std::int64_t>{5, 5, 3, 1}));
    EXPECT_TRUE(j["steps"][1]["median_ms_from_previous"].is_null());
}

TEST_F(analysis_test, paths_from_a_start_page_with_loops_collapsed_and_exits) {
    const auto j = api(
        "/api/analysis/paths?site=paths&from=2026-11-20&to=2026-11-20&start=/&depth=3&collapse=1"
        "&exits=1");
    EXPECT_EQ(j["sessions"], 4);  // s5 never saw /
    const json expected_sequences =
        json::array({{{"pages", {"/", "/a", "/b", "(exit)"}}, {"sessions", 2}, {"share", 0.5}},
                     {{"pages", {"/", "/a", "/c", "(exit)"}}, {"sessions", 1}, {"share", 0.25}},
                     {{"pages", {"/", "/b", "(exit)"}}, {"sessions", 1}, {"share", 0.25}}});
    EXPECT_EQ(j["sequences"], expected_sequences);
    const json expected_transitions = json::array({
        {{"step", 1}, {"from", "/"}, {"to", "/a"}, {"sessions", 3}},
        {{"step", 1}, {"from", "/"}, {"to", "/b"}, {"sessions", 1}},
        {{"step", 2}, {"from", "/a"}, {"to", "/b"}, {"sessions", 2}},
        {{"step", 2}, {"from", "/a"}, {"to", "/c"}, {"sessions", 1}},
        {{"step", 2}, {"from", "/b"}, {"to", "(exit)"}, {"sessions", 1}},
        {{"step", 3}, {"from", "/b"}, {"to", "(exit)"}, {"sessions", 2}},
        {{"step", 3}, {"from", "/c"}, {"to", "(exit)"}, {"sessions", 1}},
    });
    EXPECT_EQ(j["transitions"], expected_transitions);
}

TEST_F(analysis_test, paths_into_an_end_page_and_from_landing_pages) {
    auto j =
        api("/api/analysis/paths?site=paths&from=2026-11-20&to=2026-11-20&end=/b&depth=3"
            "&exits=1");
    EXPECT_EQ(j["sessions"], 3);
    std::vector<std::vector<std::string>> pages;
    for (const auto& q : j["sequences"]) pages.push_back(q["pages"]);
    EXPECT_EQ(pages,
              (std::vector<std::vector<std::string>>{
                  {"(entrance)", "/", "/a", "/b"}, {"(entrance)", "/", "/b"}, {"/", "/a", "/b"}}));
    // No start or end, no collapse: the first two pages; ties by name.
    j = api("/api/analysis/paths?site=paths&from=2026-11-20&to=2026-11-20&depth=2");
    EXPECT_EQ(j["sessions"], 5);
    pages.clear();
    std::vector<std::int64_t> n;
    for (const auto& q : j["sequences"]) {
        pages.push_back(q["pages"]);
        n.push_back(q["sessions"]);
    }
    EXPECT_EQ(pages, (std::vector<std::vector<std::string>>{
                         {"/", "/a"}, {"/", "/b"}, {"/c"}, {"/x", "/"}}));
    EXPECT_EQ(n, (std::vector<std::int64_t>{2, 1, 1, 1}));
}

double credit_of(const json& j, const std::string& value, const std::string& model,
                 const std::string& what = "conversions") {
    for (const auto& row : j["rows"]) {
        if (row["value"] == value) return row["models"][model][what].get<double>();
    }
    return 0;
}

TEST_F(analysis_test, attribution_credits_every_model_by_hand) {
    const auto j =
        api("/api/analysis/attribution?site=attr&from=2026-11-20&to=2026-11-20"
            "&lookback=30d&half_life=1d");
    EXPECT_EQ(j["conversions"], 4.0);
    EXPECT_EQ(j["revenue"], 180.0);
    EXPECT_EQ(j["converting_sessions"], 3);
    EXPECT_EQ(j["non_converting_paths"], 2);
    struct expected {
        const char* model;
        double email, direct, paid, social;
    };
    // Worked out in tests/unit/analysis/attribution_test.cpp's comments; the
    // referral session 40 days back is outside the lookback.
    const expected all[] = {
        {"first_touch", 1, 1, 0, 2},
        {"last_touch", 0, 3, 1, 0},
        {"last_non_direct", 0, 1, 1, 2},
        {"linear", 1.0 / 3, 7.0 / 3, 1.0 / 3, 1},
        {"time_decay", 1.0 / 7, 2.0 / 7 + 1 + 4.0 / 3, 4.0 / 7, 2.0 / 3},
        {"position_based", 0.4, 2.2, 0.4, 1},
        {"markov", 16.0 / 41, 80.0 / 41, 20.0 / 41, 48.0 / 41},
    };
    for (const auto& e : all) {
        SCOPED_TRACE(e.model);
        EXPECT_NEAR(credit_of(j, "email", e.model), e.email, 1e-9);
        EXPECT_NEAR(credit_of(j, "direct", e.model), e.direct, 1e-9);
        EXPECT_NEAR(credit_of(j, "paid_search", e.model), e.paid, 1e-9);
        EXPECT_NEAR(credit_of(j, "social", e.model), e.social, 1e-9);
        EXPECT_NEAR(credit_of(j, "referral", e.model), 0, 1e-12);
        EXPECT_NEAR(j["totals"][e.model]["conversions"].get<double>(), 4, 1e-9);
        EXPECT_NEAR(j["totals"][e.model]["revenue"].get<double>(), 180, 1e-9);
    }
    EXPECT_NEAR(credit_of(j, "email", "first_touch", "revenue"), 100, 1e-9);
    EXPECT_NEAR(credit_of(j, "social", "last_non_direct", "revenue"), 30, 1e-9);
}

// The read splits in two key ranges at the sessions' median id: the split
// divides the work and never the answer. Every split point between the
// site's ids, before them all and after them all (people's sessions on both
// sides, and on one), gives the rows the single read gives.
TEST_F(analysis_test, attribution_answers_the_same_wherever_the_read_splits) {
    auto o = *parse_attribution_params(
        {{"site", "attr"}, {"from", "2026-11-20"}, {"to", "2026-11-20"}, {"lookback", "30d"}}, now);
    const auto sorted_rows = [&](std::string_view split) {
        auto r = runner_->run(attribution_sql(o, split));
        EXPECT_TRUE(r) << r.error().message;
        std::vector<std::string> out;
        if (r) {
            for (const auto& row : r->data) out.push_back(row.dump());
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    const auto whole = sorted_rows("");
    ASSERT_FALSE(whole.empty());
    std::vector<std::string> ids;
    std::istringstream lines(
        ch(db_, "SELECT DISTINCT hex(session_id) FROM sessions WHERE site = 'attr' ORDER BY 1"));
    for (std::string id; std::getline(lines, id);) ids.push_back(id);
    ASSERT_GE(ids.size(), 4u);
    ids.push_back("00");
    ids.push_back("FF");
    for (const auto& at : ids) EXPECT_EQ(sorted_rows(at), whole) << "split at " << at;
    // The first query's median is one of those points: the read does split.
    auto median = runner_->run(attribution_split_sql(o));
    ASSERT_TRUE(median) << median.error().message;
    const std::string at = split_point_hex(as_string(median->data.at(0).at(0)));
    EXPECT_FALSE(at.empty());
    EXPECT_NE(attribution_sql(o, at).find("UNION ALL"), std::string::npos);
}

// A session funnel reads in two key ranges at the sessions' median id, each
// range's units counted apart and summed, the medians merged: the split
// divides the work and never the answer. Site spl, around the end of
// October (steps / > /product/* > add_to_cart, or the reverse in any order):
//   S1  email   / at 23:58 on Oct 31, the rest after midnight: its events
//               sit in two months' partitions of `events`
//   S2  direct  all three; S3 social / only; S4 direct /product/a before /
//   S5  version 7 social, version 9 email (the newest counts), two steps
//   S6  two segments (paid_search, then direct), three steps in the second
//   S7  no row in sessions; S8 /, add_to_cart in the same millisecond
// Every split point (each id of the site, before them all, after them all,
// the median the query ahead finds), each range on the server's threads or on
// one, gives the rows and totals of one read, for strict and any order, each
// breakdown and none, one site and all, and a range without events.
TEST_F(analysis_test, session_funnel_answers_the_same_wherever_the_read_splits) {
    constexpr std::int64_t november = 1'793'491'200'000;  // 2026-11-01 00:00 UTC
    const std::int64_t m = 60 * s;
    const std::int64_t n = november + 3'600 * s;
    auto version = [](json r, int segment, int v) {
        r["segment"] = segment;
        r["version"] = v;
        return r;
    };
    insert(db_, "events",
           {event("spl", "S1", "q1", "", november - 2 * m, "page_view", "/"),
            event("spl", "S1", "q1", "", november + 2 * m, "page_view", "/product/a"),
            event("spl", "S1", "q1", "", november + 3 * m, "custom", "add_to_cart"),
            event("spl", "S2", "q2", "", n, "page_view", "/"),
            event("spl", "S2", "q2", "", n + 20 * s, "page_view", "/product/b"),
            event("spl", "S2", "q2", "", n + 90 * s, "custom", "add_to_cart"),
            event("spl", "S3", "q3", "", n, "page_view", "/"),
            event("spl", "S4", "q4", "", n, "page_view", "/product/a"),
            event("spl", "S4", "q4", "", n + 10 * s, "page_view", "/"),
            event("spl", "S5", "q5", "", n, "page_view", "/"),
            event("spl", "S5", "q5", "", n + 40 * s, "page_view", "/product/c"),
            event("spl", "S6", "q6", "", n + 2 * m, "page_view", "/"),
            event("spl", "S6", "q6", "", n + 3 * m, "page_view", "/product/a"),
            event("spl", "S6", "q6", "", n + 9 * m, "custom", "add_to_cart"),
            event("spl", "S7", "q7", "", n, "page_view", "/"),
            event("spl", "S7", "q7", "", n + 5 * s, "page_view", "/product/b"),
            event("spl", "S8", "q8", "", n, "page_view", "/"),
            event("spl", "S8", "q8", "", n, "custom", "add_to_cart")});
    insert(db_, "sessions",
           {session_row("spl", "S1", "q1", "", november - 2 * m, "email", {"/", "/product/a"}),
            session_row("spl", "S2", "q2", "", n, "direct", {"/", "/product/b"}),
            session_row("spl", "S3", "q3", "", n, "social", {"/"}),
            session_row("spl", "S4", "q4", "", n, "direct", {"/product/a", "/"}),
            version(session_row("spl", "S5", "q5", "", n, "social", {"/"}), 1, 7),
            version(session_row("spl", "S5", "q5", "", n, "email", {"/"}), 1, 9),
            version(session_row("spl", "S6", "q6", "", n - m, "paid_search", {"/"}), 1, 8),
            version(session_row("spl", "S6", "q6", "", n + m, "direct", {"/"}), 2, 8),
            session_row("spl", "S8", "q8", "", n, "organic_search", {"/"})});
    const auto answer = [&](const funnel_options& o, std::string_view split, unsigned threads = 0) {
        auto r = runner_->run(funnel_sql(o, split, threads));
        EXPECT_TRUE(r) << r.error().message;
        return r ? json::array({r->data, r->totals}).dump() : std::string();
    };
    std::vector<std::string> ids;
    std::istringstream lines(
        ch(db_, "SELECT DISTINCT hex(session_id) FROM events WHERE site = 'spl' ORDER BY 1"));
    for (std::string id; std::getline(lines, id);) ids.push_back(id);
    ASSERT_EQ(ids.size(), 8u);
    EXPECT_EQ(ids[0], "5331") << "S1, the session in two months' partitions";
    ids.push_back("00");
    ids.push_back("FF");
    const std::string in = "from=2026-10-31&to=2026-11-01&step=page:/&step=page:/product/*";
    const std::vector<std::string> queries = {
        in + "&step=event:add_to_cart&by=channel&site=spl",
        in + "&site=spl",
        in + "&step=event:add_to_cart&order=any&by=device&site=spl",
        in + "&step=event:add_to_cart&by=landing_page&site=spl",
        in + "&step=event:add_to_cart&by=channel",
        "from=2026-06-01&to=2026-06-02&step=page:/&step=page:/product/*&by=channel&site=spl"};
    for (const auto& query : queries) {
        SCOPED_TRACE(query);
        auto o = parse_funnel_params(parse_query_string(query), now);
        ASSERT_TRUE(o) << o.error().message;
        const auto whole = answer(*o, "");
        for (const auto& at : ids) {
            EXPECT_NE(funnel_sql(*o, at).find("session_id < unhex('" + at + "')"),
                      std::string::npos);
            EXPECT_EQ(answer(*o, at), whole) << "split at " << at;
            EXPECT_EQ(answer(*o, at, 1), whole) << "split at " << at << ", a thread each";
        }
        // The query ahead's point, and the API's answer, which sends both.
        auto median = runner_->run(funnel_split_sql(*o));
        ASSERT_TRUE(median) << median.error().message;
        const std::string at = split_point_hex(as_string(median->data.at(0).at(0)));
        EXPECT_EQ(answer(*o, at), whole) << "split at " << at;
        auto read = runner_->run(funnel_sql(*o, ""));
        ASSERT_TRUE(read);
        auto unsplit = read_funnel(*o, *read);
        ASSERT_TRUE(unsplit);
        EXPECT_EQ(api("/api/analysis/funnel?" + query), to_json(*o, *unsplit));
    }
    // A user who may not change settings (readonly = 1) gets no thread
    // count from the query ahead, and the split without SETTINGS runs.
    {
        auto o = parse_funnel_params(parse_query_string(queries[0]), now);
        ASSERT_TRUE(o);
        const std::string readonly = clickhouse_url() + "/?database=" + db_ + "&readonly=1";
        auto ahead = http_post(readonly, funnel_split_sql(*o) + "\nFORMAT JSONCompact");
        ASSERT_EQ(ahead.status, 200) << ahead.body;
        const auto row = json::parse(ahead.body)["data"].at(0);
        EXPECT_EQ(as_int(row.at(1)), 0);
        const std::string at = split_point_hex(as_string(row.at(0)));
        ASSERT_FALSE(at.empty());
        auto split = http_post(readonly, funnel_sql(*o, at) + "\nFORMAT JSONCompact");
        ASSERT_EQ(split.status, 200) << split.body;
        const auto j = json::parse(split.body);
        EXPECT_EQ(json::array({j["data"], j["totals"]}).dump(), answer(*o, ""));
        EXPECT_EQ(http_post(readonly, funnel_sql(*o, at, 1)).status, 500)
            << "readonly = 1 refuses a query's SETTINGS";
        EXPECT_GT(as_int(runner_->run(funnel_split_sql(*o))->data.at(0).at(1)), 0);
    }
    // The answer, worked out by hand (S4 enters at its /, with no product
    // page after it; S6's value is its first segment's; S8 has no product
    // page): times to the product page {240, 20, 40, 60, 5} s, to the cart
    // {60, 70, 360} s.
    const std::string three = in + "&step=event:add_to_cart&by=channel&site=spl";
    auto o = parse_funnel_params(parse_query_string(three), now);
    ASSERT_TRUE(o);
    auto median = runner_->run(funnel_split_sql(*o));
    ASSERT_TRUE(median);
    EXPECT_FALSE(split_point_hex(as_string(median->data.at(0).at(0))).empty());
    const auto j = api("/api/analysis/funnel?" + three);
    EXPECT_EQ(counts(j["steps"]), (std::vector<std::int64_t>{8, 5, 3}));
    EXPECT_DOUBLE_EQ(j["steps"][1]["median_ms_from_previous"].get<double>(), 40000);
    EXPECT_DOUBLE_EQ(j["steps"][2]["median_ms_from_previous"].get<double>(), 70000);
    const std::vector<std::pair<std::string, std::vector<std::int64_t>>> groups = {
        {"direct", {2, 1, 1}},         {"email", {2, 2, 1}},       {"(none)", {1, 1, 0}},
        {"organic_search", {1, 0, 0}}, {"paid_search", {1, 1, 1}}, {"social", {1, 0, 0}}};
    ASSERT_EQ(j["groups"].size(), groups.size());
    for (std::size_t i = 0; i < groups.size(); ++i) {
        EXPECT_EQ(j["groups"][i]["value"], groups[i].first) << i;
        EXPECT_EQ(counts(j["groups"][i]["steps"]), groups[i].second) << groups[i].first;
    }
    EXPECT_DOUBLE_EQ(j["groups"][1]["steps"][1]["median_ms_from_previous"].get<double>(), 140000);
}

TEST_F(analysis_test, attribution_lookback_boundary_is_inclusive) {
    // One day back: u1's email (2 days) drops out, the sessions exactly one
    // day before a conversion stay. First touch: u1 direct, y2 direct, u3
    // social (x2 conversions).
    const auto j =
        api("/api/analysis/attribution?site=attr&from=2026-11-20&to=2026-11-20"
            "&lookback=1d");
    EXPECT_NEAR(credit_of(j, "direct", "first_touch"), 2, 1e-12);
    EXPECT_NEAR(credit_of(j, "social", "first_touch"), 2, 1e-12);
    EXPECT_NEAR(credit_of(j, "email", "first_touch"), 0, 1e-12);
    EXPECT_NEAR(credit_of(j, "email", "linear"), 0, 1e-12);
}

// A session rewritten into the month before (site mon): its provisional row
// starts 2026-11-01 00:10 (paid_search), and an earlier event, arriving late,
// makes the newest version start 2026-10-31 23:50 (social, the channel of
// that earliest event) under the same key. The two versions sit in two
// partitions of `sessions` (toYYYYMM(start_date)), and stay there: merges
// never cross partitions (tests/unit/processor/session_window_test.cpp shows
// the writer doing this). Attribution reads `sessions FINAL` over every
// partition, which keeps the newest version alone; a read split or pruned by
// month would see both, or the older one alone.
TEST_F(analysis_test, attribution_counts_a_session_rewritten_into_the_month_before_once) {
    constexpr std::int64_t november = 1'793'491'200'000;  // 2026-11-01 00:00 UTC
    auto version = [](json r, int v) {
        r["version"] = v;
        return r;
    };
    insert(db_, "sessions",
           {session_row("mon", "m0", "n1", "", november - 36 * 3'600 * s, "email", {"/"}),
            version(
                session_row("mon", "m1", "n1", "", november + 600 * s, "paid_search", {"/"}, 1, 40),
                5),
            version(session_row("mon", "m1", "n1", "", november - 600 * s, "social", {"/"}, 1, 40),
                    10)});
    ch(db_, "OPTIMIZE TABLE sessions FINAL");
    const std::string m1 = " WHERE site = 'mon' AND session_id = 'm1'";
    EXPECT_EQ(ch(db_, "SELECT groupArray(start_date) FROM (SELECT start_date FROM sessions" + m1 +
                          " ORDER BY start_date)"),
              "['2026-10-31','2026-11-01']\n");
    EXPECT_EQ(ch(db_, "SELECT version FROM sessions FINAL" + m1), "10\n");
    // A partition predicate prunes before FINAL merges: the older version.
    EXPECT_EQ(
        ch(db_, "SELECT version FROM sessions FINAL" + m1 + " AND start_date >= '2026-11-01'"),
        "5\n");

    auto j = api("/api/analysis/attribution?site=mon&from=2026-10-31&to=2026-11-01&lookback=30d");
    EXPECT_EQ(j["conversions"], 1.0);
    EXPECT_EQ(j["revenue"], 40.0);
    EXPECT_EQ(j["converting_sessions"], 1);
    EXPECT_EQ(j["non_converting_paths"], 0);
    EXPECT_NEAR(credit_of(j, "email", "first_touch"), 1, 1e-12);
    EXPECT_NEAR(credit_of(j, "social", "last_touch"), 1, 1e-12);
    EXPECT_NEAR(credit_of(j, "email", "linear"), 0.5, 1e-12);
    EXPECT_NEAR(credit_of(j, "social", "linear"), 0.5, 1e-12);
    for (const auto* model : {"first_touch", "last_touch", "linear", "markov"}) {
        EXPECT_NEAR(credit_of(j, "paid_search", model), 0, 1e-12) << model;
    }
    // From November on: the session starts in October now, so nothing converts.
    j = api("/api/analysis/attribution?site=mon&from=2026-11-01&to=2026-11-01&lookback=30d");
    EXPECT_EQ(j["conversions"], 0.0);
    EXPECT_EQ(j["converting_sessions"], 0);
    EXPECT_TRUE(j["rows"].empty()) << j["rows"];
}

TEST_F(analysis_test, sessions_of_a_person_joined_by_the_identity_rule) {
    const auto j = api("/api/analysis/sessions?site=shop&from=2026-11-20&to=2026-11-22&person=u5");
    EXPECT_EQ(j["summary"]["sessions"], 2);
    EXPECT_EQ(j["summary"]["people"], 1);
    EXPECT_EQ(j["summary"]["conversions"], 1);
    ASSERT_EQ(j["sessions"].size(), 2u);
    EXPECT_EQ(j["sessions"][0]["session_id"], "F5b");  // newest first
    EXPECT_EQ(j["sessions"][1]["session_id"], "F5a");
    EXPECT_EQ(j["sessions"][1]["person"], "u5");  // anonymous, joined by x5
}

// The identity map's table (migration 0005, `session_identities`, kept by a
// materialized view over `sessions`) in a database of its own: every row here
// arrives after the view exists, some after a first query, and each answer is
// the person rule of docs/analysis.md worked out over `sessions FINAL`.
class analysis_identity_map_test : public ::testing::Test {
protected:
    void SetUp() override {
        db_ = database_name("identity_map");
        ASSERT_EQ(migrate(db_), "");
        sessionize::clickhouse_options o;
        o.url = clickhouse_url();
        o.database = db_;
        client_ = std::make_unique<sessionize::clickhouse_client>(o, log_);
        runner_ = std::make_unique<clickhouse_runner>(*client_);
    }
    void TearDown() override { ch("default", "DROP DATABASE IF EXISTS " + db_); }

    // A session row of anonymous id w, as the sessionize writer writes one.
    static json row(const std::string& site, const std::string& id, const std::string& user,
                    std::int64_t start, int version, int events = 3) {
        json r = session_row(site, id, "w", user, start, "direct", {"/"});
        r["version"] = version;
        r["events"] = events;
        return r;
    }
    // "site/session id" -> person, from the sessions list over all sites.
    std::map<std::string, std::string> people() {
        const auto r = handle_request(
            "GET", "/api/analysis/sessions?from=2026-11-15&to=2026-11-25&limit=100", *runner_, now);
        EXPECT_EQ(r.status, 200) << r.body;
        const json j = json::parse(r.body);
        std::map<std::string, std::string> out;
        for (const auto& x : j["sessions"])
            out[x["site"].get<std::string>() + "/" + x["session_id"].get<std::string>()] =
                x["person"].get<std::string>();
        return out;
    }

    std::string db_;
    std::ostringstream log_stream_;
    common::logger log_{log_stream_, "analysis_identity_map_test"};
    std::unique_ptr<sessionize::clickhouse_client> client_;
    std::unique_ptr<clickhouse_runner> runner_;
};

TEST_F(analysis_identity_map_test, follows_rewritten_and_merged_sessions_per_site_as_rows_arrive) {
    // Site one, anonymous id w:
    //   A1  anonymous (-2 d)
    //   A2  signed in as ua (version 8), rewritten as ub (version 9) with the
    //       same end: the newest version's user counts, not the older one's
    //   A3  signed in as uz, ending after A2, then merged away (version 12,
    //       events = 0): its user id is no longer anyone's
    // Site two, the same anonymous id w: B1 anonymous, B2 signed in as uc.
    insert(db_, "sessions",
           {row("one", "A1", "", T - 2 * day, 8), row("one", "A2", "ua", T - day, 8),
            row("two", "B1", "", T - day, 8), row("one", "A3", "uz", T, 8)});
    insert(db_, "sessions",
           {row("one", "A2", "ub", T - day, 9), row("one", "A3", "uz", T, 12, 0),
            row("two", "B2", "uc", T, 8)});
    // The view holds the rows with a user id alone, every version of them.
    EXPECT_EQ(ch(db_, "SELECT count() FROM session_identities"), "5\n");

    auto p = people();
    EXPECT_EQ(p.size(), 4u);  // A3 merged away
    EXPECT_EQ(p["one/A1"], "ub");
    EXPECT_EQ(p["one/A2"], "ub");
    EXPECT_EQ(p["two/B1"], "uc");  // people are per site
    EXPECT_EQ(p["two/B2"], "uc");
    const auto one = handle_request(
        "GET", "/api/analysis/sessions?site=one&from=2026-11-15&to=2026-11-25&person=ub", *runner_,
        now);
    EXPECT_EQ(json::parse(one.body)["summary"]["sessions"], 2) << one.body;

    // A later sign-in on site one (A4, ud) re-attributes A1 from the next
    // query on; site two is unchanged. Merged, the view answers the same.
    insert(db_, "sessions", {row("one", "A4", "ud", T + day, 8)});
    p = people();
    EXPECT_EQ(p["one/A1"], "ud");
    EXPECT_EQ(p["one/A2"], "ub");
    EXPECT_EQ(p["one/A4"], "ud");
    EXPECT_EQ(p["two/B1"], "uc");
    ch(db_, "OPTIMIZE TABLE session_identities FINAL");
    EXPECT_EQ(people(), p);
}

TEST_F(analysis_identity_map_test, migration_fills_the_table_from_sessions_already_there) {
    // A database from before 0005: sessions holds rows, the table is made and
    // filled by the migration, and rows go on arriving through the view.
    ch(db_, "DROP TABLE session_identities_writer");
    ch(db_, "DROP TABLE session_identities");
    ch(db_, "ALTER TABLE schema_migrations DELETE WHERE version = 5");
    for (int i = 0; i < 100; ++i) {
        if (ch(db_,
               "SELECT count() FROM system.mutations WHERE database = currentDatabase() AND "
               "NOT is_done") == "0\n")
            break;
        ::usleep(100'000);
    }
    ASSERT_EQ(ch(db_, "SELECT count() FROM schema_migrations FINAL WHERE version = 5"), "0\n");
    insert(db_, "sessions", {row("one", "A1", "", T - day, 8), row("one", "A2", "ua", T, 8)});

    ASSERT_EQ(migrate(db_), "");
    EXPECT_EQ(ch(db_, "SELECT count() FROM session_identities"), "1\n");
    EXPECT_EQ(people()["one/A1"], "ua");

    insert(db_, "sessions", {row("one", "A2", "ub", T, 9)});
    EXPECT_EQ(people()["one/A1"], "ub");
}

// The `clickstream` binary: exit code, stdout, stderr.
struct process_result {
    int code = -1;
    std::string out, err;
};

process_result run_cli_binary(const std::string& args) {
    const auto err_path = std::filesystem::temp_directory_path() / unique_name("cli-err");
    const std::string cmd =
        std::string(CLICKSTREAM_ANALYSIS_BIN) + " " + args + " 2>" + err_path.string();
    process_result r;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    std::size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_file(err_path);
    std::filesystem::remove(err_path);
    return r;
}

TEST_F(analysis_test, cli_prints_json_tables_and_csv) {
    const std::string conn = "--clickhouse-url " + clickhouse_url() + " --database " + db_ +
                             " --site shop --from 2026-11-20 --to 2026-11-21 ";
    auto r =
        run_cli_binary("funnel " + conn + "--step page:/ --step 'page:/product/*' --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = json::parse(r.out);
    EXPECT_EQ(counts(j["steps"]), (std::vector<std::int64_t>{5, 4}));
    r = run_cli_binary("attribution --clickhouse-url " + clickhouse_url() + " --database " + db_ +
                       " --site attr --from 2026-11-20 --to 2026-11-20 --half-life 1d");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Conversions credited by channel (4 conversions, 180.00 revenue"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("(total)"), std::string::npos);
    r = run_cli_binary("paths " + conn + "--format csv --depth 2");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("# Paths from the landing page", 0), 0u) << r.out;
}

TEST_F(analysis_test, cli_errors_have_exit_codes) {
    const std::string conn = "--clickhouse-url " + clickhouse_url() + " --database " + db_ + " ";
    auto r = run_cli_binary("funnel " + conn + "--step page:/ --step 'event:buy{plan'");
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err,
              "clickstream: bad step 'event:buy{plan': a '{' without its closing '}' at the end\n");
    EXPECT_TRUE(r.out.empty());
    r = run_cli_binary("sessions " + conn + "--to 2026-02-30");
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "clickstream: bad date '2026-02-30': that month has days 01 to 28\n");
    // Nothing listens on port 1: the query fails (exit 1), the reason logged.
    r = run_cli_binary("sessions --clickhouse-url http://127.0.0.1:1 --timeout 5");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("clickhouse_unreachable"), std::string::npos) << r.err;
    // A database that does not exist: ClickHouse refuses, its message logged.
    r = run_cli_binary("sessions --clickhouse-url " + clickhouse_url() +
                       " --database no_such_db_analysis");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("clickhouse_rejected"), std::string::npos) << r.err;
    r = run_cli_binary("--help");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("examples:"), std::string::npos);
}

}  // namespace
}  // namespace clickstream::test
