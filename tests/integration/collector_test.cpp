// The real clickstream-collector process on a loopback port, against the
// stack's Kafka: what clients send arrives on the topic byte for byte with
// the contract's headers; what is refused never arrives; the spool keeps
// batches while the broker is unreachable and replays them exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>

#include "collector/raw_message.h"
#include "collector_support.h"
#include "support/gzip.h"
#include "support/http_client.h"

namespace {

namespace t = clickstream::test;
namespace raw = clickstream::collector::raw_header;
using json = nlohmann::json;

const std::string origin = "https://shop.example";

std::string batch(const std::string& marker) {
    return R"({"v":1,"site":"demo","sent_at":1,"context":{"anonymous_id":"anon-)" + marker +
           R"("},"events":[{"id":")" + marker + R"(","type":"page_view","ts":1}]})";
}

class collector_it : public ::testing::Test {
protected:
    void SetUp() override {
        topic_ = t::unique_name("it_collector");
        // One partition: the order on the topic is the order of acknowledgement.
        t::create_topic(topic_, 1);
        spool_ = std::filesystem::temp_directory_path() / t::unique_name("spool");
    }
    void TearDown() override { std::filesystem::remove_all(spool_); }

    json config(const std::string& brokers = t::kafka_bootstrap()) const {
        return {{"http", {{"port", 0}}},
                {"threads", 2},
                {"kafka", {{"brokers", brokers}, {"topic", topic_}, {"message_timeout_ms", 5000}}},
                {"spool", {{"dir", spool_.string()}}},
                {"access_log_every", 0},
                {"sites",
                 {{"demo", {{"origins", {origin}}, {"session_timeout_s", 1200}}},
                  {"native", {{"origins", json::array()}, {"allow_no_origin", false}}}}}};
    }

    static t::http_response post_batch(const t::collector_process& c, const std::string& body,
                                       std::vector<std::string> headers = {
                                           "Content-Type: application/json", "Origin: " + origin}) {
        return t::http_post(c.url("/v1/batch?site=demo"), body, std::move(headers));
    }

    std::string topic_;
    std::filesystem::path spool_;
};

TEST_F(collector_it, batches_arrive_with_exact_bytes_and_contract_headers) {
    t::collector_process c(config());
    const std::string plain = batch("p1");
    const std::string zipped = batch("z1");
    auto r1 = post_batch(c, plain,
                         {"Content-Type: text/plain;charset=UTF-8", "Origin: " + origin,
                          "User-Agent: it-agent/1.0"});
    ASSERT_EQ(r1.status, 204) << r1.error << r1.body;
    EXPECT_EQ(r1.header("access-control-allow-origin"), origin);
    auto r2 = post_batch(c, t::gzip(zipped),
                         {"Content-Type: application/json", "Content-Encoding: gzip"});
    ASSERT_EQ(r2.status, 204) << r2.body;

    auto got = t::read_topic(topic_, 2);
    ASSERT_EQ(got.size(), 2U);
    std::sort(got.begin(), got.end(), [](auto& a, auto& b) { return a.msg.value < b.msg.value; });
    const auto& p = got[0];  // "...anon-p1" sorts before "...anon-z1"
    EXPECT_EQ(p.msg.value, plain);
    EXPECT_FALSE(p.msg.key);
    EXPECT_EQ(t::header_of(p, raw::content_type), "text/plain;charset=UTF-8");
    EXPECT_EQ(t::header_of(p, raw::content_encoding), "identity");
    EXPECT_EQ(t::header_of(p, raw::user_agent), "it-agent/1.0");
    EXPECT_EQ(t::header_of(p, raw::origin), origin);
    EXPECT_EQ(t::header_of(p, raw::client_ip), "127.0.0.1");
    EXPECT_EQ(t::header_of(p, raw::site), "demo");
    EXPECT_EQ(t::header_of(p, raw::request_id), r1.header("x-request-id"));
    EXPECT_GT(std::stoll(t::header_of(p, raw::received_at)), 1700000000000LL);
    const auto& z = got[1];
    EXPECT_EQ(z.msg.value, zipped) << "stored inflated";
    EXPECT_EQ(z.msg.key, "anon-z1");
    EXPECT_EQ(t::header_of(z, raw::content_encoding), "gzip");
    EXPECT_EQ(t::header_of(z, raw::origin), "<absent>");
    EXPECT_EQ(c.terminate(), 0);
}

TEST_F(collector_it, pixel_config_health_and_metrics_endpoints) {
    t::collector_process c(config());
    auto gif = t::http_get(c.url("/v1/p.gif?site=demo&e=pv&u=%2Fhome"));
    ASSERT_EQ(gif.status, 200) << gif.body;
    EXPECT_EQ(gif.header("content-type"), "image/gif");
    EXPECT_EQ(gif.body.substr(0, 6), "GIF89a");
    auto cfg = t::http_get(c.url("/v1/config?site=demo"));
    ASSERT_EQ(cfg.status, 200);
    EXPECT_EQ(json::parse(cfg.body)["session_timeout_s"], 1200);
    EXPECT_NE(cfg.header("cache-control").find("max-age="), std::string::npos);
    EXPECT_EQ(t::http_get(c.url("/healthz")).status, 200);
    EXPECT_EQ(t::http_get(c.url("/readyz")).status, 200);
    auto metrics = t::http_get(c.admin_url("/metrics"));
    EXPECT_NE(
        metrics.body.find(R"(clickstream_collector_requests_total{route="pixel",status="200"} 1)"),
        std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("clickstream_collector_produce_latency_seconds_count 1"),
              std::string::npos);

    auto got = t::read_topic(topic_, 1);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].msg.value, "site=demo&e=pv&u=%2Fhome");
    EXPECT_EQ(t::header_of(got[0], raw::content_type), raw::pixel_content_type);
    EXPECT_EQ(c.terminate(), 0);
}

TEST_F(collector_it, cors_preflight_for_allowed_and_refused_origins) {
    t::collector_process c(config());
    auto ok = t::send({"OPTIONS",
                       c.url("/v1/batch?site=demo"),
                       {},
                       {"Origin: " + origin, "Access-Control-Request-Method: POST",
                        "Access-Control-Request-Headers: content-type"}});
    EXPECT_EQ(ok.status, 204);
    EXPECT_EQ(ok.header("access-control-allow-origin"), origin);
    EXPECT_EQ(ok.header("access-control-allow-credentials"), "true");
    auto refused =
        t::send({"OPTIONS",
                 c.url("/v1/batch?site=demo"),
                 {},
                 {"Origin: https://evil.example", "Access-Control-Request-Method: POST"}});
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(refused.header("access-control-allow-origin"), "");
    EXPECT_EQ(c.terminate(), 0);
}

TEST_F(collector_it, bad_inputs_get_their_status_and_nothing_reaches_the_topic) {
    json cfg = config();
    cfg["limits"] = {{"body_bytes", 2000}, {"inflated_bytes", 4000}};
    t::collector_process c(cfg);
    const std::vector<std::string> json_type = {"Content-Type: application/json",
                                                "Origin: " + origin};
    struct bad {
        t::http_request req;
        long status;
    };
    const std::vector<bad> cases = {
        {{"POST", c.url("/v1/batch?site=nope"), batch("x"), json_type}, 403},
        {{"POST",
          c.url("/v1/batch?site=demo"),
          batch("x"),
          {"Content-Type: application/json", "Origin: https://evil.example"}},
         403},
        {{"POST", c.url("/v1/batch?site=native"), batch("x"), {"Content-Type: application/json"}},
         403},
        {{"POST", c.url("/v1/batch?site=demo"), std::string(3000, 'x'), json_type}, 413},
        {{"POST",
          c.url("/v1/batch?site=demo"),
          t::gzip(std::string(100000, ' ')),
          {"Content-Type: application/json", "Content-Encoding: gzip"}},
         413},
        {{"PUT", c.url("/v1/batch?site=demo"), batch("x"), json_type}, 405},
        {{"POST", c.url("/v1/batch?site=demo"), batch("x"), {"Content-Type: application/xml"}},
         415},
        {{"POST",
          c.url("/v1/batch?site=demo"),
          "definitely not gzip",
          {"Content-Type: application/json", "Content-Encoding: gzip"}},
         400},
        {{"POST", c.url("/v1/batch?site=demo"), "", json_type}, 400},
    };
    for (const auto& b : cases) {
        auto r = t::send(b.req);
        EXPECT_EQ(r.status, b.status)
            << b.req.method << " " << b.req.url << ": " << r.error << r.body;
        EXPECT_TRUE(json::parse(r.body, nullptr, false).contains("error")) << r.body;
    }
    // A good batch after them: on this one-partition topic it is the first
    // message, so nothing refused came before it.
    ASSERT_EQ(post_batch(c, batch("good")).status, 204);
    auto got = t::read_topic(topic_, 1);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].msg.value, batch("good"));
    EXPECT_EQ(got[0].offset, 0);
    EXPECT_EQ(c.terminate(), 0);
}

TEST_F(collector_it, unreachable_broker_spools_and_a_restart_replays_exactly_once) {
    std::vector<std::string> bodies;
    {
        json cfg = config("127.0.0.1:1");  // nothing listens there
        cfg["kafka"]["message_timeout_ms"] = 1000;
        t::collector_process down(cfg);
        for (int i = 0; i < 10; ++i) {
            bodies.push_back(batch("s" + std::to_string(i)));
            auto r = post_batch(down, bodies.back());
            EXPECT_EQ(r.status, 202) << r.error << r.body;
        }
        auto ready = t::http_get(down.url("/readyz"));
        EXPECT_EQ(ready.status, 503) << ready.body;
        EXPECT_EQ(down.terminate(), 0) << down.log_text();
    }
    t::collector_process up(config());
    auto got = t::read_topic(topic_, bodies.size() + 1, std::chrono::seconds(20));
    std::multiset<std::string> values;
    for (const auto& m : got) values.insert(m.msg.value);
    EXPECT_EQ(values, std::multiset<std::string>(bodies.begin(), bodies.end()))
        << "every spooled batch exactly once\n"
        << up.log_text();
    EXPECT_EQ(up.terminate(), 0);
}

TEST_F(collector_it, full_spool_answers_503_with_retry_after) {
    json cfg = config("127.0.0.1:1");
    cfg["kafka"]["message_timeout_ms"] = 1000;
    cfg["spool"]["max_bytes"] = 2000;
    t::collector_process c(cfg);
    t::http_response r;
    int accepted = 0;
    for (int i = 0; i < 50; ++i) {
        r = post_batch(c, batch("f" + std::to_string(i)));
        if (r.status != 202) break;
        ++accepted;
    }
    EXPECT_GT(accepted, 0);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_FALSE(r.header("retry-after").empty());
    EXPECT_EQ(r.header("access-control-allow-origin"), origin);
    EXPECT_EQ(c.terminate(), 0);
}

TEST_F(collector_it, sigterm_under_load_loses_no_acknowledged_batch) {
    t::collector_process c(config());
    std::mutex mutex;
    std::vector<std::string> acked;
    std::map<std::string, long> statuses;
    std::atomic<bool> go{true};
    std::vector<std::thread> clients;
    for (int k = 0; k < 4; ++k) {
        clients.emplace_back([&, k] {
            for (int i = 0; go; ++i) {
                const std::string body = batch("l" + std::to_string(k) + "-" + std::to_string(i));
                auto r = post_batch(c, body);
                if (r.status / 100 == 2) {
                    std::lock_guard lock(mutex);
                    acked.push_back(body);
                    statuses[body] = r.status;
                }
                if (r.status == 0) break;  // the listener is gone
            }
        });
    }
    // Let load build up, then stop the collector in the middle of it.
    for (int i = 0; i < 500; ++i) {
        {
            std::lock_guard lock(mutex);
            if (acked.size() >= 50) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(c.terminate(), 0);
    go = false;
    for (auto& th : clients) th.join();
    ASSERT_GE(acked.size(), 50U);
    // The topic may hold more than was acknowledged: a batch can reach Kafka
    // while its answer is lost with the connection.
    std::set<std::string> values;
    auto got = t::read_topic_until(topic_, [&](const t::consumed& read) {
        values.clear();
        for (const auto& m : read) values.insert(m.msg.value);
        return std::all_of(acked.begin(), acked.end(),
                           [&](const auto& b) { return values.count(b) > 0; });
    });
    for (const auto& body : acked)
        EXPECT_EQ(values.count(body), 1U) << body << " answered " << statuses[body];
    EXPECT_EQ(got.size(), values.size()) << "no batch twice";
}

TEST_F(collector_it, tls_with_a_certificate_made_at_test_time) {
    const auto dir = std::filesystem::temp_directory_path() / t::unique_name("tls");
    std::filesystem::create_directories(dir);
    json cfg = config();
    cfg["tls"] = t::tls_with_new_certificate(dir);
    t::collector_process c(cfg);
    auto r = t::send({"POST",
                      c.tls_url("/v1/batch?site=demo"),
                      batch("tls"),
                      {"Content-Type: application/json", "Origin: " + origin}});
    ASSERT_EQ(r.status, 204) << r.error;
    auto plain = post_batch(c, batch("plain"));
    EXPECT_EQ(plain.status, 204) << "plain HTTP beside TLS";
    auto got = t::read_topic(topic_, 2);
    std::set<std::string> values;
    for (const auto& m : got) values.insert(m.msg.value);
    EXPECT_EQ(values, (std::set<std::string>{batch("tls"), batch("plain")}));
    EXPECT_EQ(c.terminate(), 0);
    std::filesystem::remove_all(dir);
}

}  // namespace
