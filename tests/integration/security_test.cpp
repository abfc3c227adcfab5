// Security properties of the running services (docs/reliability.md,
// "Security"): unknown sites and disallowed origins are refused on every
// public route; TLS 1.0 and 1.1 handshakes fail even when the machine's
// OpenSSL would allow them; the collector's and the enrich stage's logs hold
// no client IP and no user id while the clean event holds only the
// anonymised IP; secrets given to the collector never appear in its logs;
// Do-Not-Track and Global Privacy Control drop what a site asks to drop;
// /metrics only on the admin listener; ClickHouse passwords from files, sent
// and never logged, and ClickHouse's error text (which quotes rows) kept out
// of the sessionize log.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <thread>

#include "collector/raw_message.h"
#include "collector_support.h"
#include "common/kafka/producer.h"
#include "processor/sessionize/clickhouse.h"
#include "security_support.h"
#include "support/child_process.h"
#include "support/http_client.h"

namespace {

namespace t = clickstream::test;
namespace raw = clickstream::collector::raw_header;
using json = nlohmann::json;

const std::string origin = "https://shop.example";

std::string batch(const std::string& site, const std::string& marker) {
    return R"({"v":1,"site":")" + site + R"(","sent_at":1,"context":{"anonymous_id":"anon-)" +
           marker + R"("},"events":[{"id":")" + marker + R"(","type":"page_view","ts":1}]})";
}

std::filesystem::path temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / t::unique_name(name);
    std::filesystem::create_directories(dir);
    return dir;
}

// The output of a shell command (stdout and stderr).
std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (p == nullptr) return out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
}

class security_it : public ::testing::Test {
protected:
    void SetUp() override {
        topic_ = t::unique_name("it_security");
        t::create_topic(topic_, 1);
        spool_ = std::filesystem::temp_directory_path() / t::unique_name("spool");
    }
    void TearDown() override { std::filesystem::remove_all(spool_); }

    json config() const {
        return {{"http", {{"port", 0}}},
                {"threads", 2},
                {"kafka", {{"brokers", t::kafka_bootstrap()}, {"topic", topic_}}},
                {"spool", {{"dir", spool_.string()}}},
                {"access_log_every", 0},
                {"sites",
                 {{"demo", {{"origins", {origin}}}},
                  {"apps_only", {{"origins", json::array()}, {"allow_no_origin", true}}},
                  {"web_only", {{"origins", {origin}}, {"allow_no_origin", false}}}}}};
    }

    std::string topic_;
    std::filesystem::path spool_;
};

TEST_F(security_it, unknown_sites_and_disallowed_origins_are_refused_on_every_public_route) {
    t::collector_process c(config());
    struct probe {
        std::string method, path;
        bool body;
    };
    const std::vector<probe> routes = {{"POST", "/v1/batch", true},
                                       {"GET", "/v1/p.gif", false},
                                       {"GET", "/v1/config", false},
                                       {"OPTIONS", "/v1/batch", false}};
    struct refusal {
        std::string site;
        std::string origin;  // "" sends none
        long status;
    };
    const std::vector<refusal> refusals = {
        {"nope", origin, 403},                           // unknown site
        {"DEMO", origin, 403},                           // keys are exact
        {"", origin, 400},                               // no site
        {"demo", "https://evil.example", 403},           // origin not listed
        {"demo", "https://shop.example.evil.com", 403},  // a prefix is not a match
        {"demo", "http://shop.example", 403},            // scheme differs
        {"demo", "null", 403},                           // sandboxed frames, file: pages
        {"apps_only", origin, 403},                      // no web origin listed at all
        {"web_only", "", 403},                           // a site that requires an Origin
    };
    for (const auto& route : routes) {
        for (const auto& r : refusals) {
            std::vector<std::string> headers = {"Content-Type: application/json",
                                                "Access-Control-Request-Method: POST"};
            if (!r.origin.empty()) headers.push_back("Origin: " + r.origin);
            const std::string query = r.site.empty() ? "" : "?site=" + r.site;
            auto res = t::send({route.method, c.url(route.path + query),
                                route.body ? batch(r.site, "refused") : "", headers});
            EXPECT_EQ(res.status, r.status)
                << route.method << " " << route.path << query << " from '" << r.origin << "'";
            EXPECT_EQ(res.header("access-control-allow-origin"), "")
                << route.method << " " << route.path << query << " from '" << r.origin << "'";
        }
    }
    // The same routes for a listed origin and site are served.
    auto ok = t::http_post(c.url("/v1/batch?site=demo"), batch("demo", "allowed"),
                           {"Content-Type: application/json", "Origin: https://SHOP.example"});
    EXPECT_EQ(ok.status, 204) << "origins compare case-insensitively, as browsers send them";
    EXPECT_EQ(t::http_get(c.url("/v1/config?site=demo")).status, 200);
    // Nothing refused reached the topic: the allowed batch was first, and last.
    auto last = t::http_post(c.url("/v1/batch?site=apps_only"), batch("apps_only", "last"),
                             {"Content-Type: application/json"});
    EXPECT_EQ(last.status, 204) << "no Origin: native apps, where the site allows them";
    t::expect_topic_holds_exactly(topic_, {batch("demo", "allowed")}, batch("apps_only", "last"));
    EXPECT_EQ(c.terminate(), 0);
}

TEST_F(security_it, tls_1_0_and_1_1_handshakes_fail_while_1_2_and_1_3_succeed) {
    const auto dir = temp_dir("tls");
    const json tls = t::tls_with_new_certificate(dir);
    // An OpenSSL configuration that allows TLS 1.0 and every cipher, given to
    // the client and to the collector, so that what refuses old versions is
    // the collector's own setting, not Debian's system-wide default.
    const auto lax = dir / "lax.cnf";
    std::ofstream(lax) << "openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n"
                          "[ssl_sect]\nsystem_default = system_default_sect\n"
                          "[system_default_sect]\nMinProtocol = TLSv1\n"
                          "CipherString = DEFAULT@SECLEVEL=0\n";
    const auto handshake = [&](int port, const std::string& version) {
        const std::string out =
            run("OPENSSL_CONF=" + lax.string() +
                " timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " " +
                version + " </dev/null");
        // "New, (NONE)" is a failed handshake. The protocol is on the
        // "Protocol  :" line; a TLS 1.3 client may leave before printing it,
        // and then "New, TLSv1.3" (a TLS 1.3 suite) says it.
        const auto fresh = out.find("New, ");
        if (fresh == std::string::npos || out.find("New, (NONE)") != std::string::npos) {
            return std::string("failed: ") + out.substr(0, 400);
        }
        const auto proto = out.find("Protocol  : ");
        if (proto != std::string::npos) {
            return out.substr(proto + 12, out.find('\n', proto) - proto - 12);
        }
        return out.substr(fresh + 5, out.find(',', fresh + 5) - fresh - 5);
    };

    // Control: with that configuration the client does complete a TLS 1.0
    // handshake against a server that allows it.
    int control_port = 0;
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        control_port = ntohs(a.sin_port);
        ::close(fd);
    }
    {
        t::child_process control(
            {{"/usr/bin/openssl", "s_server", "-accept",
              "127.0.0.1:" + std::to_string(control_port), "-cert", (dir / "cert.pem").string(),
              "-key", (dir / "key.pem").string(), "-tls1", "-www"},
             {"OPENSSL_CONF=" + lax.string()},
             dir / "s_server.log"});
        std::string got;
        for (int i = 0; i < 50 && got != "TLSv1"; ++i) {
            got = handshake(control_port, "-tls1");
            if (got != "TLSv1") std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        EXPECT_EQ(got, "TLSv1") << "the client can speak TLS 1.0";
    }

    json cfg = config();
    cfg["tls"] = tls;
    ::setenv("OPENSSL_CONF", lax.c_str(), 1);
    t::collector_process c(cfg);  // started under the lax configuration too
    ::unsetenv("OPENSSL_CONF");
    const int port = t::port_of_url(c.tls_url("/"));
    EXPECT_EQ(handshake(port, "-tls1").rfind("failed", 0), 0U) << handshake(port, "-tls1");
    EXPECT_EQ(handshake(port, "-tls1_1").rfind("failed", 0), 0U) << handshake(port, "-tls1_1");
    EXPECT_EQ(handshake(port, "-tls1_2"), "TLSv1.2");
    EXPECT_EQ(handshake(port, "-tls1_3"), "TLSv1.3");
    // TLS 1.2 only with forward secrecy and AEAD: a static-RSA or CBC suite
    // is refused, an ECDHE-GCM one is taken.
    EXPECT_EQ(handshake(port, "-tls1_2 -cipher AES128-GCM-SHA256").rfind("failed", 0), 0U);
    EXPECT_EQ(handshake(port, "-tls1_2 -cipher ECDHE-RSA-AES128-SHA").rfind("failed", 0), 0U);
    EXPECT_EQ(handshake(port, "-tls1_2 -cipher ECDHE+AESGCM"), "TLSv1.2");
    // And the service behind it answers over TLS.
    auto r = t::send({"POST",
                      c.tls_url("/v1/batch?site=demo"),
                      batch("demo", "tls"),
                      {"Content-Type: application/json", "Origin: " + origin}});
    EXPECT_EQ(r.status, 204) << r.error;
    EXPECT_EQ(c.terminate(), 0);
    std::filesystem::remove_all(dir);
}

TEST_F(security_it, logs_hold_no_client_ip_or_user_id_and_clean_events_only_the_anonymised_ip) {
    const std::string client_ip = "198.51.100.77";
    const std::string user_id = "user-secret-4242";
    const std::string ua =
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Safari/605.1.15";
    // The golden web session, from a signed-in user.
    std::string body = t::read_file(t::contracts_dir() / "batch-v1/valid/web_session.json");
    while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.pop_back();
    const auto context = body.find(R"("context":{)");
    ASSERT_NE(context, std::string::npos);
    body.insert(context + 11, R"("user_id":")" + user_id + R"(",)");

    // Every request logged, at debug level, behind a trusted proxy.
    json cfg = config();
    cfg["log_level"] = "debug";
    cfg["access_log_every"] = 1;
    cfg["trusted_proxies"] = {"127.0.0.1"};
    cfg["sites"]["demo-shop"] = {{"origins", {origin}}};
    t::collector_process c(cfg);
    const std::vector<std::string> headers = {"Content-Type: application/json", "Origin: " + origin,
                                              "User-Agent: " + ua, "X-Forwarded-For: " + client_ip};
    EXPECT_EQ(t::http_post(c.url("/v1/batch?site=demo-shop"), body, headers).status, 204);
    // Refused and malformed requests carrying the same address and id.
    auto refused = headers;
    refused[1] = "Origin: https://evil.example";
    EXPECT_EQ(t::http_post(c.url("/v1/batch?site=demo-shop"), body, refused).status, 403);
    const std::string bad_batch = R"({"v":1,"site":"demo-shop","context":{"user_id":")" + user_id +
                                  R"("},"events":"not a list"})";
    EXPECT_EQ(t::http_post(c.url("/v1/batch?site=demo-shop"), bad_batch, headers).status, 204);
    const std::string pixel = "/v1/p.gif?site=demo-shop&s=demo-shop&aid=a1&uid=" + user_id +
                              "&sid=c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
                              "&id=4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f&ts=1764100000000"
                              "&u=https%3A%2F%2Fshop.example%2F";
    EXPECT_EQ(t::send({"GET", c.url(pixel), {}, headers}).status, 200);
    auto malformed =
        t::exchange(t::port_of_url(c.url("")),
                    "POST /v1/batch?site=demo-shop HTTP/1.1\r\nX-Forwarded-For: " + client_ip +
                        "\r\nX-User: " + user_id + "\rx\r\n\r\n");
    EXPECT_EQ(malformed->statuses(), std::vector<int>{400});

    // The enrich stage over what the collector produced, logging at debug.
    const std::string clean = t::unique_name("it_security_clean");
    const std::string bots = t::unique_name("it_security_bots");
    const std::string dlq = t::unique_name("it_security_dlq");
    for (const auto& name : {clean, bots, dlq}) t::create_topic(name, 1);
    const auto dir = temp_dir("enrich");
    const std::string group = t::unique_name("it_security");
    const json stage = {
        {"log_level", "debug"},
        {"root", t::project_root().string()},
        {"http", {{"address", "127.0.0.1"}, {"port", 0}}},
        {"kafka",
         {{"brokers", t::kafka_bootstrap()},
          {"group_id", group},
          {"transactional_id", group + "-0"},
          {"session_timeout_ms", 6000},
          {"consumer", {{"auto.offset.reset", "earliest"}}}}},
        {"topics", {{"raw", topic_}, {"clean", clean}, {"bots", bots}, {"dlq", dlq}}},
        {"stage", {{"commit_interval_ms", 500}}},
        {"sites", {{"demo-shop", {{"domains", {"shop.example"}}}}}}};
    std::ofstream(dir / "enrich.json") << stage.dump(2);
    t::child_process enrich(
        {{CLICKSTREAM_PROCESSOR_BIN, "enrich", "--config", (dir / "enrich.json").string()},
         {},
         dir / "enrich.log"});
    ASSERT_TRUE(enrich.wait_for_line("enrich_started", std::chrono::seconds(60))) << enrich.log();

    const auto events = t::read_topic(clean, 4 + 1);  // the session's 4 events and the pixel's
    ASSERT_EQ(events.size(), 5U) << enrich.log();
    for (const auto& m : events) {
        const auto e = json::parse(m.msg.value);
        EXPECT_EQ(e.value("ip", ""), "198.51.100.0") << "anonymised by default: " << m.msg.value;
        EXPECT_EQ(m.msg.value.find(client_ip), std::string::npos) << m.msg.value;
    }
    const auto dead = t::read_topic(dlq, 1);
    ASSERT_EQ(dead.size(), 1U) << "the malformed batch is dead-lettered";

    EXPECT_EQ(enrich.terminate(), 0);
    EXPECT_EQ(c.terminate(), 0);
    for (const auto& [service, text] :
         {std::pair{"collector", c.log_text()}, std::pair{"enrich", enrich.log()}}) {
        EXPECT_GT(text.size(), 0U) << service;
        EXPECT_EQ(text.find(client_ip), std::string::npos) << service << " logged the IP:\n"
                                                           << text;
        EXPECT_EQ(text.find(user_id), std::string::npos) << service << " logged the user id:\n"
                                                         << text;
    }
    EXPECT_NE(c.log_text().find(R"("event":"request")"), std::string::npos)
        << "the access log was on, so requests were logged";
    std::filesystem::remove_all(dir);
}

TEST_F(security_it, secrets_in_files_and_settings_never_reach_the_logs) {
    const auto dir = temp_dir("secrets");
    const json tls = t::tls_with_new_certificate(dir);
    // A line of the private key's base64: none of it may be logged.
    std::string key_line;
    {
        std::ifstream in(dir / "key.pem");
        std::getline(in, key_line);  // -----BEGIN PRIVATE KEY-----
        std::getline(in, key_line);
    }
    ASSERT_GT(key_line.size(), 40U);
    const std::string password = "hunter2-never-logged";
    json cfg = config();
    cfg["log_level"] = "debug";
    cfg["access_log_every"] = 1;
    cfg["tls"] = tls;
    // SASL against a plaintext broker: authentication fails, and librdkafka
    // and the collector report it, which is where a password could leak.
    cfg["kafka"]["message_timeout_ms"] = 2000;
    cfg["kafka"]["settings"] = {{"security.protocol", "sasl_plaintext"},
                                {"sasl.mechanism", "PLAIN"},
                                {"sasl.username", "collector"},
                                {"sasl.password", password}};
    t::collector_process c(cfg);
    auto r = t::send({"POST",
                      c.tls_url("/v1/batch?site=demo"),
                      batch("demo", "secret"),
                      {"Content-Type: application/json", "Origin: " + origin}});
    EXPECT_EQ(r.status / 100, 2) << "taken into the spool while Kafka refuses us: " << r.error
                                 << r.body;
    EXPECT_EQ(c.terminate(), 0);
    const std::string log = c.log_text();
    EXPECT_NE(log.find("\"level\":\"warn\""), std::string::npos)
        << "the failing broker connection was reported:\n"
        << log;
    EXPECT_EQ(log.find(password), std::string::npos) << log;
    EXPECT_EQ(log.find(key_line), std::string::npos) << log;
    EXPECT_EQ(log.find("PRIVATE KEY"), std::string::npos) << log;
    std::filesystem::remove_all(dir);
}

TEST_F(security_it, do_not_track_and_gpc_are_dropped_for_the_sites_that_ask_and_kept_for_others) {
    json cfg = config();
    cfg["sites"]["honours"] = {{"origins", {origin}}, {"respect_dnt", true}};
    cfg["sites"]["ignores"] = {{"origins", {origin}}};
    t::collector_process c(cfg);
    const std::vector<std::string> json_from_shop = {"Content-Type: application/json",
                                                     "Origin: " + origin};
    auto with = [](std::vector<std::string> h, const std::string& extra) {
        h.push_back(extra);
        return h;
    };
    const auto pixel = [](const std::string& site, const std::string& marker) {
        return "/v1/p.gif?site=" + site + "&s=" + site + "&e=pv&id=" + marker;
    };
    std::multiset<std::string> expected;
    int dropped = 0;
    // Opted-out requests between normal ones, to both sites, batch and pixel.
    for (int round = 0; round < 3; ++round) {
        const std::string n = std::to_string(round);
        for (const std::string site : {"honours", "ignores"}) {
            auto normal = t::http_post(c.url("/v1/batch?site=" + site), batch(site, "normal-" + n),
                                       json_from_shop);
            EXPECT_EQ(normal.status, 204);
            expected.insert(batch(site, "normal-" + n));
            for (const std::string opt_out : {"DNT: 1", "Sec-GPC: 1"}) {
                const std::string marker = site + "-" + opt_out.substr(0, 3) + "-" + n;
                auto b = t::http_post(c.url("/v1/batch?site=" + site), batch(site, marker),
                                      with(json_from_shop, opt_out));
                EXPECT_EQ(b.status, 204) << site << " " << opt_out << ": answered as taken";
                EXPECT_EQ(b.body, "");
                EXPECT_EQ(b.header("access-control-allow-origin"), origin);
                auto p = t::send({"GET", c.url(pixel(site, marker)), {}, {opt_out}});
                EXPECT_EQ(p.status, 200) << site << " " << opt_out;
                EXPECT_EQ(p.header("content-type"), "image/gif");
                if (site == "ignores") {
                    expected.insert(batch(site, marker));
                    const std::string target = pixel(site, marker);
                    expected.insert(target.substr(target.find('?') + 1));  // the query
                } else {
                    dropped += 2;
                }
            }
        }
    }
    // The site's SDK settings say so, for the beacon.
    EXPECT_EQ(json::parse(t::http_get(c.url("/v1/config?site=honours")).body)["respect_dnt"], true);
    EXPECT_EQ(json::parse(t::http_get(c.url("/v1/config?site=ignores")).body)["respect_dnt"],
              false);

    auto last =
        t::http_post(c.url("/v1/batch?site=honours"), batch("honours", "last"), json_from_shop);
    EXPECT_EQ(last.status, 204);
    t::expect_topic_holds_exactly(topic_, expected, batch("honours", "last"));

    // Counted by reason, on the admin listener.
    const std::string metrics = t::http_get(c.admin_url("/metrics")).body;
    EXPECT_NE(metrics.find("clickstream_collector_rejects_total{reason=\"do_not_track\"} " +
                           std::to_string(dropped / 2)),
              std::string::npos)
        << metrics;
    EXPECT_NE(
        metrics.find("clickstream_collector_rejects_total{reason=\"global_privacy_control\"} " +
                     std::to_string(dropped / 2)),
        std::string::npos)
        << metrics;
    EXPECT_EQ(c.terminate(), 0);
    // Nothing was spooled either: the spool is empty after a clean stop.
    EXPECT_NE(c.log_text().find("\"spool_records\":0"), std::string::npos) << c.log_text();
}

TEST_F(security_it, metrics_are_served_only_on_the_admin_listener) {
    const auto dir = temp_dir("admin");
    const json tls = t::tls_with_new_certificate(dir);
    json cfg = config();
    cfg["tls"] = tls;
    t::collector_process c(cfg);
    // Public listeners: health for load balancers, no metrics.
    for (const auto& url : {c.url("/metrics"), c.tls_url("/metrics")}) {
        const auto res = t::http_get(url);
        EXPECT_EQ(res.status, 404) << url << ": " << res.error;
        EXPECT_EQ(res.body.find("clickstream_collector"), std::string::npos) << url;
    }
    EXPECT_EQ(t::http_get(c.url("/healthz")).status, 200);
    EXPECT_EQ(t::http_get(c.url("/readyz")).status, 200);
    EXPECT_EQ(t::http_get(c.tls_url("/healthz")).status, 200);
    // The admin listener: metrics and health, and nothing public.
    const auto metrics = t::http_get(c.admin_url("/metrics"));
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(
        metrics.body.find("clickstream_collector_requests_total{route=\"other\",status=\"404\"}"),
        std::string::npos)
        << "the refused public /metrics requests are counted:\n"
        << metrics.body;
    EXPECT_EQ(t::http_get(c.admin_url("/healthz")).status, 200);
    EXPECT_EQ(t::http_get(c.admin_url("/readyz")).status, 200);
    EXPECT_EQ(t::http_post(c.admin_url("/v1/batch?site=demo"), batch("demo", "admin"),
                           {"Content-Type: application/json", "Origin: " + origin})
                  .status,
              404)
        << "the admin listener takes no batches";
    EXPECT_EQ(c.terminate(), 0);
    std::filesystem::remove_all(dir);

    // The admin listener can be turned off; the public one still has no /metrics.
    cfg = config();
    cfg["admin"] = {{"enabled", false}};
    t::collector_process no_admin(cfg);
    const auto listening = no_admin.wait_for_event("listening");
    ASSERT_TRUE(listening.contains("http_port")) << no_admin.log_text();
    EXPECT_FALSE(listening.contains("admin_port")) << no_admin.log_text();
    EXPECT_EQ(t::http_get(no_admin.url("/metrics")).status, 404);
    EXPECT_EQ(no_admin.terminate(), 0);
}

TEST_F(security_it, kafka_password_from_a_file_is_read_and_never_logged) {
    const auto dir = temp_dir("kafka-secret");
    const std::string password = "kafka-file-secret-5517";
    std::ofstream(dir / "kafka-password") << password << "\n";
    json cfg = config();
    cfg["log_level"] = "debug";
    cfg["kafka"]["message_timeout_ms"] = 2000;
    cfg["kafka"]["settings"] = {{"security.protocol", "sasl_plaintext"},
                                {"sasl.mechanism", "PLAIN"},
                                {"sasl.username", "collector"},
                                {"sasl.password_file", (dir / "kafka-password").string()}};
    {
        t::collector_process c(cfg);
        auto r = t::http_post(c.url("/v1/batch?site=demo"), batch("demo", "sasl-file"),
                              {"Content-Type: application/json", "Origin: " + origin});
        EXPECT_EQ(r.status / 100, 2) << "spooled while the broker refuses SASL: " << r.body;
        EXPECT_EQ(c.terminate(), 0);
        const std::string log = c.log_text();
        EXPECT_NE(log.find("\"level\":\"warn\""), std::string::npos) << log;
        EXPECT_EQ(log.find(password), std::string::npos) << log;
    }
    // The file is read: a missing one stops the start, naming the setting.
    cfg["kafka"]["settings"]["sasl.password_file"] = (dir / "missing").string();
    t::collector_process missing(cfg);
    EXPECT_EQ(missing.wait(), 1);
    EXPECT_NE(missing.log_text().find("sasl.password_file: cannot read"), std::string::npos)
        << missing.log_text();
    std::filesystem::remove_all(dir);
}

TEST_F(security_it, clickhouse_password_from_a_file_is_sent_and_never_logged) {
    // The stack's ClickHouse user `password_check` (scripts/clickhouse/users.xml)
    // takes only its password: rows land when the file holds it, and are
    // refused when the file holds another.
    const std::string password = "stack-password-check-5417";
    const std::string wrong = "not-the-password-3390";
    const auto dir = temp_dir("ch-secret");
    std::ofstream(dir / "ch-password") << password << "\n";
    std::ofstream(dir / "ch-wrong") << wrong << "\n";
    const std::string db = t::unique_name("it_security_ch");
    const std::string migrate = (t::project_root() / "scripts/migrate").string() + " --database " +
                                db + " --url " + t::clickhouse_url() + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(migrate.c_str()), 0) << migrate;

    // The sessionize stage on a topic of its own, its password from `file`.
    const std::string clean = t::unique_name("it_security_sessionize");
    t::create_topic(clean, 1);
    const auto stage = [&](const std::string& name, const std::string& file) {
        const json config = {{"kafka",
                              {{"brokers", t::kafka_bootstrap()},
                               {"group_id", t::unique_name("it_security_sessionize")},
                               {"topic", clean}}},
                             {"clickhouse",
                              {{"url", t::clickhouse_url()},
                               {"database", db},
                               {"user", "password_check"},
                               {"password_file", (dir / file).string()}}},
                             {"batch", {{"interval_ms", 200}}},
                             {"retry", {{"initial_ms", 200}, {"max_ms", 500}}},
                             {"http", {{"address", "127.0.0.1"}, {"port", 0}}},
                             {"log_level", "debug"}};
        std::ofstream(dir / (name + ".json")) << config.dump(2);
        return std::make_unique<t::child_process>(t::child_options{
            {CLICKSTREAM_SESSIONIZE_BIN, "--config", (dir / (name + ".json")).string()},
            {},
            dir / (name + ".log")});
    };
    clickstream::common::logger quiet(std::cerr, "test", clickstream::common::log_level::error);
    clickstream::common::kafka::producer_options po;
    po.brokers = t::kafka_bootstrap();
    auto producer = clickstream::common::kafka::producer::create(po, quiet);
    ASSERT_TRUE(producer);
    const json event = {{"site", "shop"},
                        {"session_id", "s-secret"},
                        {"event_id", "e-secret"},
                        {"event_time_ms", 1764100000000},
                        {"type", "page_view"},
                        {"url_path", "/account"},
                        {"seq", 1},
                        {"session_timeout_s", 1800}};
    (*producer)->produce({clean, std::string("s-secret"), event.dump(), {}},
                         [](clickstream::common::kafka::delivery_report&&) {});
    ASSERT_TRUE((*producer)->flush(std::chrono::seconds(30)));

    // The wrong password: ClickHouse refuses the insert, and the stage says
    // so by code without either password.
    auto refused = stage("wrong", "ch-wrong");
    const auto rejected = refused->wait_for_line("clickhouse_rejected", std::chrono::seconds(60));
    ASSERT_TRUE(rejected) << refused->log();
    EXPECT_NE(rejected->find("\"code\":193"), std::string::npos)
        << "ClickHouse's wrong-password code: " << *rejected;
    refused->kill();
    EXPECT_EQ(
        t::http_post(t::clickhouse_url() + "/?database=" + db, "SELECT count() FROM events").body,
        "0\n");
    EXPECT_EQ(refused->log().find(wrong), std::string::npos) << refused->log();

    // The right one: the event lands, and the password is never logged.
    auto accepted = stage("right", "ch-password");
    std::string count;
    for (int i = 0; i < 600 && count != "1\n"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        count = t::http_post(t::clickhouse_url() + "/?database=" + db,
                             "SELECT count() FROM events FINAL WHERE event_id = 'e-secret'")
                    .body;
    }
    EXPECT_EQ(count, "1\n") << accepted->log();
    EXPECT_EQ(accepted->terminate(), 0) << accepted->log();
    EXPECT_EQ(accepted->log().find(password), std::string::npos) << accepted->log();
    t::http_post(t::clickhouse_url() + "/", "DROP DATABASE IF EXISTS " + db);

    // A password file that cannot be read stops the start, naming the key.
    auto broken = stage("broken", "missing");
    EXPECT_EQ(broken->wait(std::chrono::seconds(60)), 2) << broken->log();
    EXPECT_NE(broken->log().find("clickhouse.password_file: cannot read"), std::string::npos)
        << broken->log();
    std::filesystem::remove_all(dir);
}

TEST_F(security_it, clickhouse_rejections_are_logged_by_code_without_the_row) {
    // The stack's real ClickHouse, a database of the test's own.
    std::string db = t::unique_name("sec_ch_errors");
    for (auto& ch : db)
        if (ch == '-' || ch == '.') ch = '_';
    ASSERT_EQ(t::http_post(t::clickhouse_url() + "/", "CREATE DATABASE " + db).status, 200);
    ASSERT_EQ(t::http_post(t::clickhouse_url() + "/?database=" + db,
                           "CREATE TABLE t (n UInt32, user_id String) ENGINE = Memory")
                  .status,
              200);
    const std::string user_id = "user-row-secret-9393";
    std::ostringstream log_text;
    clickstream::common::logger log(log_text, "sessionize", clickstream::common::log_level::debug);
    clickstream::sessionize::clickhouse_options o;
    o.url = t::clickhouse_url();
    o.database = db;
    clickstream::sessionize::clickhouse_client client(o, log);
    // A number where ClickHouse wants one, then the user id where it wants a number.
    EXPECT_TRUE(client.insert("t", R"({"n":1,"user_id":")" + user_id + R"("})"));
    const auto refused = client.insert("t", R"({"n":")" + user_id + R"(","user_id":"x"})");
    EXPECT_FALSE(refused);
    // What ClickHouse itself answers: it quotes the row.
    const auto raw = t::http_post(t::clickhouse_url() + "/?database=" + db +
                                      "&query=INSERT%20INTO%20t%20FORMAT%20JSONEachRow",
                                  R"({"n":")" + user_id + R"(","user_id":"x"})");
    EXPECT_EQ(raw.status, 500);
    EXPECT_NE(raw.body.find(user_id), std::string::npos) << raw.body;
    const std::string text = log_text.str();
    EXPECT_NE(text.find("clickhouse_rejected"), std::string::npos) << text;
    const auto code = clickstream::sessionize::clickhouse_error_summary(raw.body).code;
    EXPECT_GT(code, 0) << raw.body;
    EXPECT_NE(text.find("\"code\":" + std::to_string(code)), std::string::npos) << text;
    EXPECT_EQ(text.find(user_id), std::string::npos) << "the row reached the log:\n" << text;
    t::http_post(t::clickhouse_url() + "/", "DROP DATABASE IF EXISTS " + db);
}

}  // namespace
