// The traffic generator through the real collector and Kafka: a small
// historical run (50 visitors, 3 days) into a clickstream-collector on a
// loopback port that produces to a topic of this test's own; every event
// its ground truth lists is on the topic, once, and nothing else is.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <map>
#include <set>

#include "collector/raw_message.h"
#include "collector_support.h"

namespace {

namespace t = clickstream::test;
namespace raw = clickstream::collector::raw_header;
using json = nlohmann::json;

const std::string origin = "https://shop.example";

// Runs a program to its end; its exit status, or -1.
int run_program(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The topic's end offset (one partition), read from the broker.
std::int64_t end_offset(const std::string& topic) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", t::kafka_bootstrap().c_str(), err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    EXPECT_NE(rk, nullptr) << err;
    if (rk == nullptr) return -1;
    std::int64_t low = 0, high = -1;
    const auto e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), 0, &low, &high, 10000);
    EXPECT_EQ(e, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(e);
    rd_kafka_destroy(rk);
    return high;
}

std::vector<json> read_lines(const std::filesystem::path& file) {
    std::vector<json> out;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
}

class traffic_gen_it : public ::testing::Test {
protected:
    void SetUp() override {
        topic_ = t::unique_name("it_traffic_gen");
        t::create_topic(topic_, 1);
        dir_ = std::filesystem::temp_directory_path() / t::unique_name("traffic_gen");
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    json config() const {
        return {
            {"http", {{"port", 0}}},
            {"threads", 2},
            {"kafka",
             {{"brokers", t::kafka_bootstrap()}, {"topic", topic_}, {"message_timeout_ms", 10000}}},
            {"spool", {{"dir", (dir_ / "spool").string()}}},
            {"access_log_every", 0},
            {"sites", {{"demo", {{"origins", {origin}}, {"session_timeout_s", 1200}}}}}};
    }

    std::string topic_;
    std::filesystem::path dir_;
};

TEST_F(traffic_gen_it, historical_run_puts_exactly_the_ground_truth_on_the_raw_topic) {
    t::collector_process c(config());
    const auto truth_file = dir_ / "truth.jsonl";
    const int status = run_program({CLICKSTREAM_TRAFFIC_GEN_BIN,
                                    "--collector",
                                    c.url(""),
                                    "--site",
                                    "demo",
                                    "--mode",
                                    "historical",
                                    "--seed",
                                    "42",
                                    "--visitors",
                                    "50",
                                    "--days",
                                    "3",
                                    "--start",
                                    "2025-03-01",
                                    "--bot-share",
                                    "0.2",
                                    "--ground-truth",
                                    truth_file.string(),
                                    "--data",
                                    (t::project_root() / "node_modules").string(),
                                    "--state-dir",
                                    (dir_ / "state").string(),
                                    "--quiet"});
    ASSERT_EQ(status, 0) << "the generator failed";

    // What the generator says it sent.
    std::map<std::string, json> listed;      // event id -> ground-truth line
    std::map<std::string, json> session_of;  // anonymous id -> a session line
    std::set<std::string> bot_kinds;
    std::int64_t timeout_s = 0;
    for (auto& line : read_lines(truth_file)) {
        if (line["kind"] == "run") timeout_s = line["session_timeout_s"];
        if (line["kind"] == "session") {
            session_of[line["anonymous_id"].get<std::string>()] = line;
            if (line["is_bot"].get<bool>()) bot_kinds.insert(line["bot_kind"].get<std::string>());
        }
        if (line["kind"] != "event") continue;
        const auto id = line["id"].get<std::string>();
        EXPECT_TRUE(listed.emplace(id, std::move(line)).second) << "listed twice: " << id;
    }
    EXPECT_EQ(timeout_s, 1200) << "the generator takes the site's timeout from the collector";
    ASSERT_GT(listed.size(), 500U);
    EXPECT_FALSE(bot_kinds.empty());

    // Every 2xx the generator waited for means the batch is on the topic, so
    // the end offset read now is all there will be.
    const std::int64_t messages = end_offset(topic_);
    ASSERT_GT(messages, 0);
    const auto got = t::read_topic(topic_, static_cast<std::size_t>(messages));
    ASSERT_EQ(static_cast<std::int64_t>(got.size()), messages);

    // The SDK keeps a batch until a 2xx: if an answer is lost (a timeout after
    // the collector had produced it), it sends the batch again, so an event id
    // can legitimately be on the topic twice; the processor drops such
    // duplicates by id. Count ids once, and check each copy is the same event.
    std::map<std::string, json> on_topic;
    std::size_t copies = 0;
    bool webdriver_seen = false;
    for (const auto& m : got) {
        EXPECT_EQ(t::header_of(m, raw::site), "demo");
        EXPECT_EQ(t::header_of(m, raw::origin), origin);
        const json batch = json::parse(m.msg.value);
        const auto anonymous_id = batch["context"]["anonymous_id"].get<std::string>();
        ASSERT_EQ(session_of.count(anonymous_id), 1U) << "a visitor the ground truth lacks";
        const json& s = session_of[anonymous_id];
        // One shared transport, each visitor with its own user agent.
        EXPECT_EQ(t::header_of(m, raw::user_agent), s["user_agent"]);
        EXPECT_EQ(batch["context"]["webdriver"], s["webdriver"]);
        EXPECT_EQ(batch["context"]["session_timeout_s"], 1200);
        webdriver_seen = webdriver_seen || s["webdriver"].get<bool>();
        for (const auto& e : batch["events"]) {
            ++copies;
            const auto id = e["id"].get<std::string>();
            const auto [it, first] = on_topic.emplace(id, e);
            if (!first) {
                EXPECT_EQ(it->second, e) << "a duplicate that differs: " << id;
            }
        }
    }
    EXPECT_TRUE(webdriver_seen) << "no headless visitor in this run";
    for (const auto& [id, line] : listed) {
        const auto it = on_topic.find(id);
        ASSERT_NE(it, on_topic.end()) << "missing from the topic: " << line.dump();
        const json& e = it->second;
        EXPECT_EQ(e["session_id"], line["session_id"]) << id;
        EXPECT_EQ(e["type"], line["type"]) << id;
        EXPECT_EQ(e["ts"], line["ts"]) << id;
        if (line["type"] != "identify") {
            EXPECT_EQ(e["true_ts"], line["true_ts"]) << id;
        }
    }
    for (const auto& [id, e] : on_topic) {
        EXPECT_EQ(listed.count(id), 1U) << "on the topic, not in the ground truth: " << e.dump();
    }
    EXPECT_EQ(on_topic.size(), listed.size());
    RecordProperty("events", static_cast<int>(listed.size()));
    RecordProperty("duplicate_copies", static_cast<int>(copies - on_topic.size()));
    EXPECT_EQ(c.terminate(), 0);
}

}  // namespace
