// The real clickstream-dashboard against the stack's broker and ClickHouse:
// known clean and bot events on topics of the test's own, the numbers it
// serves; a live poll answered when an event arrives; a restart rebuilding
// the last hour from the topics (and only the last hour: messages stamped
// earlier are skipped by seeking by time); history from a sessions table.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "support/child_process.h"
#include "support/http_client.h"
#include "support/kafka_admin.h"
#include "support/stack.h"

namespace clickstream::test {
namespace {

using json = nlohmann::json;
const std::string token = "integration-token-0123456789";

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A clean event of the golden web session, for `site` at `at`.
json clean_event(const std::string& site, std::int64_t at, const std::string& visitor,
                 const std::string& type, const std::string& path) {
    static const json golden =
        json::parse(read_file(contracts_dir() / "clean-event" / "web_session.json"));
    json e = golden.front();
    e["site"] = site;
    e["event_time_ms"] = at;
    e["anonymous_id"] = visitor;
    e["session_id"] = "s-" + visitor;
    e["type"] = type;
    e["url_path"] = path;
    return e;
}

// Produces through bare librdkafka so a test can set the message timestamp.
class raw_producer {
public:
    raw_producer() {
        char err[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", kafka_bootstrap().c_str(), err, sizeof err);
        rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    }
    ~raw_producer() {
        rd_kafka_flush(rk_, 10000);
        rd_kafka_destroy(rk_);
    }
    void send(const std::string& topic, const json& value, std::int64_t timestamp_ms = 0) {
        const std::string v = value.dump();
        const std::string key = value.value("session_id", "");
        ASSERT_EQ(rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()),
                                    RD_KAFKA_V_KEY(key.data(), key.size()),
                                    RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END),
                  RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    void flush() { ASSERT_EQ(rd_kafka_flush(rk_, 10000), RD_KAFKA_RESP_ERR_NO_ERROR); }

private:
    rd_kafka_t* rk_ = nullptr;
};

class dashboard_test : public ::testing::Test {
protected:
    void SetUp() override {
        clean_ = unique_name("dash_clean");
        bots_ = unique_name("dash_bots");
        group_ = unique_name("dash_group");
        site_ = unique_name("site");
        dir_ = std::filesystem::temp_directory_path() / group_;
        std::filesystem::create_directories(dir_);
        create_topic(clean_, 2);
        create_topic(bots_, 1);
        std::ofstream(dir_ / "token") << token << "\n";
    }
    void TearDown() override {
        service_.reset();
        std::filesystem::remove_all(dir_);
    }

    json config(const std::string& database = "") const {
        return {{"kafka",
                 {
                     {"brokers", kafka_bootstrap()},
                     {"group_id", group_},
                     {"clean_topic", clean_},
                     {"bots_topic", bots_},
                 }},
                {"clickhouse",
                 {{"url", database.empty() ? "" : clickhouse_url()}, {"database", database}}},
                {"auth", {{"token_file", (dir_ / "token").string()}}},
                {"web",
                 {{"dir", (project_root() / "processor/web/dashboard").string()},
                  {"uplot_dir", (project_root() / "node_modules/uplot/dist").string()}}},
                {"live", {{"max_wait_ms", 15'000}}},
                {"http", {{"port", 0}}},
                {"log_level", "debug"}};
    }

    // Starts the service and answers its base URL once it is ready.
    std::string start(const json& cfg) {
        const auto path = dir_ / "dashboard.json";
        std::ofstream(path) << cfg.dump(2);
        const std::size_t from = std::filesystem::exists(dir_ / "dashboard.log")
                                     ? std::filesystem::file_size(dir_ / "dashboard.log")
                                     : 0;
        service_ = std::make_unique<child_process>(child_options{
            {CLICKSTREAM_DASHBOARD_BIN, "--config", path.string()}, {}, dir_ / "dashboard.log"});
        const auto line = service_->wait_for_line("\"listening\"", std::chrono::seconds(30), from);
        EXPECT_TRUE(line) << service_->log();
        if (!line) return "";
        const std::string base =
            "http://127.0.0.1:" + std::to_string(json::parse(*line)["http_port"].get<int>());
        EXPECT_TRUE(service_->wait_for_line("\"caught_up\"", std::chrono::seconds(60), from))
            << service_->log();
        return base;
    }

    static http_response api(const std::string& url, long timeout_ms = 10'000) {
        return send({"GET", url, {}, {"Authorization: Bearer " + token}, timeout_ms});
    }

    // The live snapshot once the service has applied `version` events.
    json snapshot_at(const std::string& base, std::uint64_t version) {
        json s;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            const auto r = api(base + "/api/live?site=" + site_ + "&after=0");
            EXPECT_EQ(r.status, 200) << r.body << r.error;
            if (r.status != 200) break;
            s = json::parse(r.body);
            if (s["version"].get<std::uint64_t>() >= version) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        EXPECT_EQ(s["version"], version) << s.dump();
        return s;
    }

    // Known traffic: 3 visitors, 6 page views (4 on /a, 2 on /b), 2 clicks,
    // 2 conversions (10 + 5.5 EUR), and 2 bot page views.
    void send_traffic(raw_producer& p, std::int64_t at) {
        const char* visitors[] = {"v1", "v2", "v3"};
        for (int i = 0; i < 6; ++i) {
            p.send(clean_, clean_event(site_, at - i * 1000, visitors[i % 3], "page_view",
                                       i < 4 ? "/a" : "/b"));
        }
        for (int i = 0; i < 2; ++i) {
            p.send(clean_, clean_event(site_, at, visitors[i], "click", "/a"));
        }
        json c1 = clean_event(site_, at, "v1", "conversion", "/thanks");
        c1["value"] = 10.0;
        c1["currency"] = "EUR";
        json c2 = c1;
        c2["value"] = 5.5;
        c2["anonymous_id"] = "v2";
        p.send(clean_, c1);
        p.send(clean_, c2);
        for (int i = 0; i < 2; ++i) {
            json b = clean_event(site_, at, "bot" + std::to_string(i), "page_view", "/a");
            b["is_bot"] = true;
            b["bot_rule"] = "crawler_user_agent";
            p.send(bots_, b);
        }
        p.flush();
    }

    static void expect_traffic(const json& s) {
        const auto& t = s["totals"];
        EXPECT_EQ(t["events"], 10) << s.dump();
        EXPECT_EQ(t["views"], 6);
        EXPECT_EQ(t["bots"], 2);
        EXPECT_DOUBLE_EQ(t["bot_share"].get<double>(), 2.0 / 12);
        EXPECT_EQ(t["conversions"], 2);
        EXPECT_DOUBLE_EQ(t["revenue"]["EUR"].get<double>(), 15.5);
        EXPECT_EQ(t["active_visitors"], 3);
        EXPECT_EQ(s["top"]["pages"], json::parse(R"([["/a", 4], ["/b", 2]])"));
        EXPECT_EQ(s["feed"].size(), 12u);
    }

    std::string clean_, bots_, group_, site_;
    std::filesystem::path dir_;
    std::unique_ptr<child_process> service_;
};

TEST_F(dashboard_test, serves_what_the_topics_hold_and_rebuilds_the_hour_after_a_restart) {
    raw_producer p;
    const std::int64_t now = now_ms();
    // Stamped two hours ago in Kafka (its event time says now): the restart
    // must seek past it by timestamp, not read the topic from the start.
    p.send(clean_, clean_event(site_, now, "old", "page_view", "/old"), now - 2 * 3'600'000);
    p.flush();
    send_traffic(p, now);

    std::string base = start(config());
    ASSERT_FALSE(base.empty());
    expect_traffic(snapshot_at(base, 12));

    // The token guards the data; the page and the ops endpoints are open.
    EXPECT_EQ(http_get(base + "/api/live?site=" + site_).status, 401);
    const auto page = http_get(base + "/");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("uPlot.iife.min.js"), std::string::npos);
    EXPECT_EQ(http_get(base + "/vendor/uPlot.iife.min.js").status, 200);
    EXPECT_EQ(http_get(base + "/healthz").status, 200);
    EXPECT_EQ(http_get(base + "/readyz").status, 200);
    EXPECT_EQ(http_get(base + "/metrics").status, 401);
    const auto metrics = api(base + "/metrics");
    EXPECT_NE(metrics.body.find("dashboard_messages_total{topic=\"clean\",result=\"applied\"} 10"),
              std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("dashboard_messages_total{topic=\"bots\",result=\"applied\"} 2"),
              std::string::npos);
    EXPECT_EQ(service_->log().find(token), std::string::npos);

    // A live poll waits for the next event and answers with it.
    auto waiting = std::async(std::launch::async, [&] {
        return api(base + "/api/live?site=" + site_ + "&after=12", 20'000);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    p.send(clean_, clean_event(site_, now_ms(), "v4", "page_view", "/c"));
    p.flush();
    const auto pushed = waiting.get();
    ASSERT_EQ(pushed.status, 200) << pushed.error;
    const json after = json::parse(pushed.body);
    EXPECT_EQ(after["version"], 13) << api(base + "/metrics").body << service_->log();
    EXPECT_EQ(after["totals"]["views"], 7);
    EXPECT_EQ(after["totals"]["active_visitors"], 4);
    EXPECT_EQ(after["feed"][0]["path"], "/c");

    // Restart: the same numbers, rebuilt from the topics, nothing doubled,
    // the two-hour-old message not read.
    EXPECT_EQ(service_->terminate(), 0);
    base = start(config());
    ASSERT_FALSE(base.empty());
    const json rebuilt = snapshot_at(base, 13);
    EXPECT_EQ(rebuilt["totals"]["views"], 7);
    EXPECT_EQ(rebuilt["totals"]["events"], 11);
    EXPECT_EQ(rebuilt["totals"]["bots"], 2);
    EXPECT_EQ(rebuilt["top"]["pages"], json::parse(R"([["/a", 4], ["/b", 2], ["/c", 1]])"));
    const auto m2 = api(base + "/metrics").body;
    EXPECT_EQ(m2.find("result=\"out_of_window\""), std::string::npos) << m2;
}

TEST_F(dashboard_test, history_reads_sessions_per_hour_from_clickhouse) {
    std::string db = unique_name("dash");
    for (auto& c : db) {
        if (c == '-' || c == '.') c = '_';
    }
    const std::string cmd = (project_root() / "scripts/migrate").string() + " --database " + db +
                            " --url " + clickhouse_url() + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const std::int64_t hour = 3'600'000;
    const std::int64_t this_hour = now_ms() / hour * hour;
    // Three sessions this hour (one bounce; 10, 20, 30 s), one the hour
    // before, and one rewritten: its provisional row (version 5) must lose to
    // the final one (version 6).
    std::string rows;
    const std::time_t today_s = static_cast<std::time_t>(this_hour / 1000);
    std::tm today{};
    gmtime_r(&today_s, &today);
    char date[16];
    std::strftime(date, sizeof date, "%Y-%m-%d", &today);
    const auto row = [&](const std::string& id, std::int64_t start, std::int64_t duration,
                         int bounce, int version, std::vector<std::string> pages = {}) {
        rows += json{{"site", site_},      {"session_id", id},
                     {"segment", 0},       {"version", version},
                     {"start_ms", start},  {"end_ms", start + duration},
                     {"start_date", date}, {"duration_ms", duration},
                     {"events", 3},        {"page_views", pages.size()},
                     {"pages", pages},     {"bounce", bounce},
                     {"segment_index", 0}}
                    .dump() +
                "\n";
    };
    row("s1", this_hour + 1000, 10'000, 1, 1, {"/"});
    row("s2", this_hour + 2000, 20'000, 0, 1, {"/", "/cart"});
    row("s3", this_hour + 3000, 5'000, 1, 5, {"/"});
    row("s3", this_hour + 3000, 30'000, 0, 6, {"/", "/cart", "/thanks"});
    row("s4", this_hour - hour + 5000, 40'000, 1, 1);
    // A merged row (no events) is no session.
    rows += json{{"site", site_}, {"session_id", "s5"},          {"segment", 0},
                 {"version", 1},  {"start_ms", this_hour + 100}, {"events", 0}}
                .dump() +
            "\n";
    const auto inserted = http_post(clickhouse_url() + "/?database=" + db +
                                        "&input_format_skip_unknown_fields=1&query=" +
                                        "INSERT%20INTO%20sessions%20FORMAT%20JSONEachRow",
                                    rows);
    ASSERT_EQ(inserted.status, 200) << inserted.body;

    const std::string base = start(config(db));
    ASSERT_FALSE(base.empty());
    const auto r = api(base + "/api/history?site=" + site_ + "&hours=2");
    ASSERT_EQ(r.status, 200) << r.body;
    const json h = json::parse(r.body);
    ASSERT_EQ(h["hours"].size(), 2u) << h.dump();
    EXPECT_EQ(h["hours"][0]["hour_ms"], this_hour - hour);
    EXPECT_EQ(h["hours"][0]["sessions"], 1);
    EXPECT_DOUBLE_EQ(h["hours"][0]["bounce_rate"].get<double>(), 1.0);
    EXPECT_EQ(h["hours"][1]["hour_ms"], this_hour);
    EXPECT_EQ(h["hours"][1]["sessions"], 3);
    EXPECT_DOUBLE_EQ(h["hours"][1]["bounce_rate"].get<double>(), 1.0 / 3);
    EXPECT_DOUBLE_EQ(h["hours"][1]["avg_duration_ms"].get<double>(), 20'000);
    EXPECT_EQ(http_get(base + "/api/history?site=" + site_).status, 401);

    // The analysis API, mounted behind the same token, over the same table.
    const auto paths = api(base + "/api/analysis/paths?site=" + site_ + "&start=/");
    ASSERT_EQ(paths.status, 200) << paths.body;
    const json p = json::parse(paths.body);
    EXPECT_EQ(p["sessions"], 3) << p.dump();
    EXPECT_EQ(http_get(base + "/api/analysis/paths?site=" + site_).status, 401);
    const auto config = json::parse(api(base + "/api/config").body);
    EXPECT_EQ(config, json::parse(R"({"history": true, "analysis": true})"));

    http_post(clickhouse_url() + "/", "DROP DATABASE IF EXISTS " + db);
}

TEST_F(dashboard_test, refuses_to_start_without_a_token) {
    json cfg = config();
    cfg["auth"] = {{"token_file", ""}, {"token_env", "DASHBOARD_TEST_NO_SUCH_VARIABLE"}};
    const auto path = dir_ / "dashboard.json";
    std::ofstream(path) << cfg.dump();
    child_process c(child_options{
        {CLICKSTREAM_DASHBOARD_BIN, "--config", path.string()}, {}, dir_ / "notoken.log"});
    EXPECT_EQ(c.wait(std::chrono::seconds(30)), 2);
    EXPECT_NE(c.log().find("config_invalid"), std::string::npos) << c.log();
}

}  // namespace
}  // namespace clickstream::test
