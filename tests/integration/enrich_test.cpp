// The enrich stage through the real broker: the real clickstream-processor
// process reads raw topics of the test's own and writes clean, bots and dlq
// topics, which the test reads back with read_committed and counts exactly.
// Then kill -9 while a transaction is open (seen in the stage's metrics),
// restart, and the clean topic holds every event exactly once.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "common/kafka/producer.h"
#include "support/http_client.h"
#include "support/kafka_admin.h"
#include "support/stack.h"

extern char** environ;  // NOLINT: POSIX

namespace clickstream::test {
namespace {

using json = nlohmann::json;

constexpr const char* browser_ua =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15";
constexpr const char* crawler_ua =
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";

struct topics {
    std::string raw, clean, bots, dlq;
};

topics make_topics(const std::string& prefix, int raw_partitions) {
    topics t{unique_name(prefix + "_raw"), unique_name(prefix + "_clean"),
             unique_name(prefix + "_bots"), unique_name(prefix + "_dlq")};
    create_topic(t.raw, raw_partitions);
    create_topic(t.clean, 2);
    create_topic(t.bots, 1);
    create_topic(t.dlq, 1);
    return t;
}

// The real clickstream-processor enrich, with a config file written from
// JSON; its stderr (JSON lines) goes to a file the test reads.
class enrich_process {
public:
    explicit enrich_process(const json& config) {
        dir_ = std::filesystem::temp_directory_path() / unique_name("enrich");
        std::filesystem::create_directories(dir_);
        const auto config_path = dir_ / "enrich.json";
        std::ofstream(config_path) << config.dump(2);
        log_path_ = dir_ / "stderr.log";
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 2, log_path_.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const std::string bin = CLICKSTREAM_PROCESSOR_BIN;
        const std::string path = config_path.string();
        char* argv[] = {const_cast<char*>(bin.c_str()), const_cast<char*>("enrich"),
                        const_cast<char*>("--config"), const_cast<char*>(path.c_str()), nullptr};
        EXPECT_EQ(posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv, environ), 0);
        posix_spawn_file_actions_destroy(&actions);
        const json started = wait_for_event("enrich_started");
        EXPECT_TRUE(started.contains("http_port")) << log_text();
        port_ = started.value("http_port", 0);
    }
    ~enrich_process() {
        if (pid_ > 0 && !exited_) kill_now();
        std::filesystem::remove_all(dir_);
    }

    void kill_now() {
        ::kill(pid_, SIGKILL);
        wait();
    }
    int terminate() {
        ::kill(pid_, SIGTERM);
        return wait();
    }
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    std::string log_text() const { return read_file(log_path_); }

    // The first log line with this event, waiting up to 60 s; {} if none.
    json wait_for_event(const std::string& event) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            std::ifstream in(log_path_);
            std::string line;
            while (std::getline(in, line)) {
                const auto j = json::parse(line, nullptr, false);
                if (!j.is_discarded() && j.value("event", "") == event) return j;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return {};
    }

    // One series of /metrics ("name" or "name{labels}"); -1 if absent.
    double metric(const std::string& series) const {
        const auto res = http_get("http://127.0.0.1:" + std::to_string(port_) + "/metrics");
        std::istringstream in(res.body);
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
        }
        return -1;
    }

    http_response get(const std::string& path) const {
        return http_get("http://127.0.0.1:" + std::to_string(port_) + path);
    }

    // Polls /metrics until `done` (up to 60 s); false if it never was.
    template <class Done>
    bool wait_until(Done done) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            if (done()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

private:
    std::filesystem::path dir_, log_path_;
    pid_t pid_ = -1;
    bool exited_ = false;
    int port_ = 0;
};

json stage_config(const topics& t, const std::string& group, int commit_interval_ms) {
    return {{"log_level", "info"},
            {"root", project_root().string()},
            {"http", {{"address", "127.0.0.1"}, {"port", 0}}},
            {"kafka",
             {{"brokers", kafka_bootstrap()},
              {"group_id", group},
              {"transactional_id", group + "-0"},
              {"session_timeout_ms", 3000},
              {"transaction_timeout_ms", 20000},
              {"operation_timeout_ms", 10000},
              {"consumer", {{"heartbeat.interval.ms", "500"}}}}},
            {"topics", {{"raw", t.raw}, {"clean", t.clean}, {"bots", t.bots}, {"dlq", t.dlq}}},
            {"stage", {{"commit_interval_ms", commit_interval_ms}, {"max_records", 100000}}},
            {"sites", {{"demo-shop", {{"domains", {"shop.example"}}}}}}};
}

// Produces raw messages as the collector does (its headers), and waits for
// the broker's acknowledgement of each.
class raw_producer {
public:
    explicit raw_producer(std::string topic) : topic_(std::move(topic)) {
        common::kafka::producer_options o;
        o.brokers = kafka_bootstrap();
        auto p = common::kafka::producer::create(o, log_);
        EXPECT_TRUE(p) << log_text_.str();
        if (p) producer_ = std::move(*p);
    }

    void send(const std::string& body, const std::string& site, const std::string& user_agent,
              const std::string& source = "batch") {
        common::kafka::message m;
        m.topic = topic_;
        m.key = "anon-" + std::to_string(sent_ % 7);
        m.value = body;
        m.headers = {{"received_at", std::to_string(1764100010000 + sent_)},
                     {"client_ip", "192.0.2.10"},
                     {"user_agent", user_agent},
                     {"content_type", source == "pixel" ? "application/x-www-form-urlencoded"
                                                        : "text/plain;charset=UTF-8"},
                     {"content_encoding", "identity"},
                     {"request_id", "req-" + std::to_string(sent_)},
                     {"site", site},
                     {"source", source}};
        ++sent_;
        producer_->produce(std::move(m), [this](common::kafka::delivery_report&& r) {
            if (r.error) failed_.fetch_add(1);
        });
    }
    void flush() {
        EXPECT_TRUE(producer_->flush(std::chrono::seconds(30)));
        EXPECT_EQ(failed_.load(), 0);
    }
    std::size_t sent() const { return sent_; }

private:
    std::string topic_;
    std::ostringstream log_text_;
    common::logger log_{log_text_, "test", common::log_level::warn};
    std::unique_ptr<common::kafka::producer> producer_;
    std::size_t sent_ = 0;
    std::atomic<int> failed_{0};
};

// A valid batch of `n` page views with ids derived from `first` (unique per
// test through `tag`, 0–65535), in session `session`.
std::string generated_batch(int tag, int first, int n, const std::string& session,
                            bool webdriver = false) {
    json b = json::parse(read_file(contracts_dir() / "batch-v1/valid/web_session.json"));
    b["context"]["webdriver"] = webdriver;
    json one = b["events"][0];
    b["events"] = json::array();
    for (int i = 0; i < n; ++i) {
        char id[40];
        std::snprintf(id, sizeof id, "%08x-0000-4000-8000-%012d", tag, first + i);
        one["id"] = id;
        one["session_id"] = session;
        one["seq"] = first + i + 1;
        b["events"].push_back(one);
    }
    return b.dump();
}

std::multiset<std::string> event_ids(const consumed& messages) {
    std::multiset<std::string> ids;
    for (const auto& m : messages) ids.insert(json::parse(m.msg.value)["event_id"]);
    return ids;
}

// Reads with the given isolation level until `enough` (up to 60 s).
// Sum over `partitions` of `topic`'s high offsets as a reader with
// `isolation` sees them: read_uncommitted's include an open transaction's
// records, read_committed's stop at the first of them (the LSO). -1 on error.
std::int64_t high_offsets(const std::string& topic, int partitions, const std::string& isolation) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", kafka_bootstrap().c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", unique_name("hw").c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "isolation.level", isolation.c_str(), err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (rk == nullptr) return -1;
    std::int64_t sum = 0;
    for (int p = 0; p < partitions && sum >= 0; ++p) {
        std::int64_t low = 0, high = 0;
        if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 5000) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            sum = -1;
        } else {
            sum += high;
        }
    }
    rd_kafka_destroy(rk);
    return sum;
}

consumed read_with(const std::string& topic, const std::string& isolation,
                   const std::function<bool(const consumed&)>& enough) {
    std::ostringstream log_text;
    common::logger log(log_text, "test", common::log_level::warn);
    common::kafka::consumer_options o;
    o.brokers = kafka_bootstrap();
    o.group_id = unique_name("it_enrich_read");
    o.topics = {topic};
    o.settings["isolation.level"] = isolation;
    auto c = common::kafka::consumer::create(o, log);
    EXPECT_TRUE(c) << log_text.str();
    consumed out;
    if (!c) return out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!enough(out) && std::chrono::steady_clock::now() < deadline) {
        auto m = (*c)->poll(std::chrono::milliseconds(500));
        if (m && *m) out.push_back(std::move(**m));
    }
    // Anything that should not be there would come right behind: drain what
    // the broker still has for us.
    for (int empty = 0; empty < 2;) {
        auto m = (*c)->poll(std::chrono::milliseconds(1000));
        if (m && *m) {
            out.push_back(std::move(**m));
        } else {
            ++empty;
        }
    }
    (*c)->close();
    return out;
}

TEST(enrich_integration, raw_to_clean_bots_and_dlq_with_exact_counts) {
    const topics t = make_topics("enrich_it", 2);
    const std::string group = unique_name("enrich_it_group");
    enrich_process stage(stage_config(t, group, 100));
    EXPECT_EQ(stage.get("/healthz").status, 200);

    raw_producer raw(t.raw);
    const auto golden = [](const std::string& f) {
        return read_file(contracts_dir() / "batch-v1" / f);
    };
    // Golden batches: 4 + 4 + 2 events (app_purchase is the demo-app site).
    raw.send(golden("valid/web_session.json"), "demo-shop", browser_ua);
    raw.send(golden("valid/app_purchase.json"), "demo-app", "clickstream-native/0.1.0");
    raw.send(golden("valid/server_import.json"), "demo-shop", "clickstream-native/0.1.0");
    // Generated: 20 batches of 5 page views from people.
    for (int i = 0; i < 20; ++i) {
        raw.send(generated_batch(1, i * 5, 5, "sess-" + std::to_string(i)), "demo-shop",
                 browser_ua);
    }
    // Bots: 5 batches of 2 from a crawler, 3 of 2 with navigator.webdriver.
    for (int i = 0; i < 5; ++i) {
        raw.send(generated_batch(2, i * 2, 2, "crawl-" + std::to_string(i)), "demo-shop",
                 crawler_ua);
    }
    for (int i = 0; i < 3; ++i) {
        raw.send(generated_batch(3, i * 2, 2, "wd-" + std::to_string(i), true), "demo-shop",
                 browser_ua);
    }
    // Duplicates: 10 of the people's batches and a golden one sent again.
    for (int i = 0; i < 10; ++i) {
        raw.send(generated_batch(1, i * 5, 5, "sess-" + std::to_string(i)), "demo-shop",
                 browser_ua);
    }
    raw.send(golden("valid/web_session.json"), "demo-shop", browser_ua);
    // A pixel hit: one more clean event.
    raw.send(
        "s=demo-shop&aid=p1&sid=pix-1&id=00000004-0000-4000-8000-000000000001"
        "&ts=1764100000000&u=https%3A%2F%2Fshop.example%2F",
        "demo-shop", browser_ua, "pixel");
    // Malformed: every invalid golden, and bytes that are neither JSON nor UTF-8.
    const json cases = json::parse(golden("cases.json"))["cases"];
    std::map<std::string, int> expected_reasons;
    for (const auto& c : cases) {
        if (c["valid"].get<bool>()) continue;
        raw.send(golden(c["file"].get<std::string>()), "demo-shop", browser_ua);
        ++expected_reasons[c["reason"].get<std::string>()];
    }
    raw.send("\xff\xfe\x00garbage", "demo-shop", browser_ua);
    ++expected_reasons["not_json"];
    raw.send(std::string(5000, '['), "demo-shop", browser_ua);
    ++expected_reasons["too_large"];
    raw.flush();
    const std::size_t clean_expected = 10 + 100 + 1;
    const std::size_t bots_expected = 16;
    std::size_t dlq_expected = 0;
    for (const auto& [reason, n] : expected_reasons) dlq_expected += n;

    // The stage has read and committed everything.
    ASSERT_TRUE(stage.wait_until([&] {
        double in = 0;
        for (const char* s : {"batch", "pixel"}) {
            in += std::max(
                0.0, stage.metric(std::string("clickstream_enrich_batches_in_total{source=\"") + s +
                                  "\"}"));
        }
        return in == static_cast<double>(raw.sent()) &&
               stage.metric("clickstream_enrich_transaction_open") == 0;
    })) << stage.log_text();
    EXPECT_EQ(stage.get("/readyz").status, 200);

    const auto clean = read_with(t.clean, "read_committed",
                                 [&](const consumed& got) { return got.size() >= clean_expected; });
    const auto bots = read_with(t.bots, "read_committed",
                                [&](const consumed& got) { return got.size() >= bots_expected; });
    const auto dlq = read_with(t.dlq, "read_committed",
                               [&](const consumed& got) { return got.size() >= dlq_expected; });
    ASSERT_EQ(clean.size(), clean_expected);
    ASSERT_EQ(bots.size(), bots_expected);
    ASSERT_EQ(dlq.size(), dlq_expected);

    const auto ids = event_ids(clean);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), clean_expected);
    for (const auto& m : clean) {
        const json e = json::parse(m.msg.value);
        ASSERT_TRUE(m.msg.key);
        EXPECT_EQ(*m.msg.key, e["session_id"].get<std::string>());
        EXPECT_EQ(e["is_bot"], false);
        EXPECT_EQ(e["ip"], "192.0.2.0");
        if (e["event_id"] == "0b7e4c1a-9f2d-4e8b-a1c3-5d6e7f8a9b0c") {
            EXPECT_EQ(e["browser_family"], "Safari");
            EXPECT_EQ(e["device_type"], "desktop");
            EXPECT_EQ(e["channel"], "email");
            EXPECT_EQ(e["referrer_medium"], "search");
            EXPECT_EQ(e["url_path"], "/products/blue-mug");
        }
    }
    std::map<std::string, int> rules;
    for (const auto& m : bots) ++rules[json::parse(m.msg.value)["bot_rule"].get<std::string>()];
    EXPECT_EQ(rules, (std::map<std::string, int>{{"automation", 6}, {"crawler", 10}}));
    std::map<std::string, int> reasons;
    for (const auto& m : dlq) {
        ++reasons[header_of(m, "dlq_reason")];
        EXPECT_NE(header_of(m, "received_at"), "<absent>");
        EXPECT_EQ(header_of(m, "dlq_topic"), t.raw);
    }
    EXPECT_EQ(reasons, expected_reasons);
    EXPECT_EQ(stage.metric("clickstream_enrich_dedup_hits_total"), 50 + 4);
    EXPECT_EQ(stage.metric("clickstream_enrich_events_out_total{topic=\"" + t.clean + "\"}"),
              static_cast<double>(clean_expected));
    EXPECT_EQ(stage.terminate(), 0) << stage.log_text();
}

TEST(enrich_integration, kill_9_with_an_open_transaction_loses_and_doubles_nothing) {
    const topics t = make_topics("enrich_crash", 2);
    const std::string group = unique_name("enrich_crash_group");
    // Long transactions (3 s) so that one is open when the stage is killed.
    const json config = stage_config(t, group, 3000);
    constexpr int batches = 600, per_batch = 5;
    raw_producer raw(t.raw);
    std::atomic<int> sent{0};
    std::atomic<bool> go_on{true};
    // Load throughout: a steady stream of batches while the stage runs, is
    // killed and restarts.
    std::thread load([&] {
        for (int i = 0; i < batches && go_on; ++i) {
            // A session per batch: the behaviour rule (30 events at once)
            // must not turn these people into bots.
            raw.send(generated_batch(5, i * per_batch, per_batch, "s-" + std::to_string(i)),
                     "demo-shop", browser_ua);
            sent = i + 1;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        raw.flush();
    });

    {
        enrich_process first(config);
        // A transaction committed, and the next one holds outputs that are on
        // the broker already (its high offsets run past the committed ones):
        // kill now.
        const bool open = first.wait_until([&] {
            return first.metric("clickstream_enrich_transaction_commits_total") >= 1 &&
                   first.metric("clickstream_enrich_transaction_open") == 1 &&
                   first.metric("clickstream_enrich_transaction_open_outputs") >= 250 &&
                   high_offsets(t.clean, 2, "read_uncommitted") >
                       high_offsets(t.clean, 2, "read_committed");
        });
        ASSERT_TRUE(open) << first.log_text();
        first.kill_now();
    }
    enrich_process second(config);
    load.join();
    const std::size_t expected = static_cast<std::size_t>(sent.load()) * per_batch;
    ASSERT_EQ(expected, static_cast<std::size_t>(batches * per_batch));
    ASSERT_TRUE(second.wait_until([&] {
        return second.metric("clickstream_enrich_lag_messages") == 0 &&
               second.metric("clickstream_enrich_transaction_open") == 0 &&
               second.metric("clickstream_enrich_transaction_commits_total") >= 1;
    })) << second.log_text();

    const auto committed = read_with(t.clean, "read_committed",
                                     [&](const consumed& got) { return got.size() >= expected; });
    const auto ids = event_ids(committed);
    EXPECT_EQ(committed.size(), expected) << second.log_text();
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), expected);
    // The killed transaction's outputs are in the log, aborted: a reader that
    // ignores transactions sees them, so a transaction was open at the kill.
    const auto everything = read_with(t.clean, "read_uncommitted",
                                      [&](const consumed& got) { return got.size() > expected; });
    EXPECT_GT(everything.size(), expected);
    EXPECT_EQ(second.terminate(), 0) << second.log_text();
}

}  // namespace
}  // namespace clickstream::test
