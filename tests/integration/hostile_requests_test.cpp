// Hostile requests against the real clickstream-collector process on the
// stack's Kafka (docs/reliability.md, "Hostile requests"): each gets the
// status the table lists, the service stays up (/healthz answers after it),
// and a good batch sent alongside reaches the topic exactly once while
// nothing of the hostile request does — except the bodies the collector
// forwards by design (it never parses events), which arrive byte for byte
// and which the enrich stage's parser refuses with the reason shown.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "collector/raw_message.h"
#include "collector_support.h"
#include "processor/enrich/batch.h"
#include "security_support.h"
#include "support/gzip.h"
#include "support/http_client.h"

namespace {

namespace t = clickstream::test;
namespace raw = clickstream::collector::raw_header;
namespace enrich = clickstream::enrich;
using json = nlohmann::json;

const std::string origin = "https://shop.example";

std::string batch(const std::string& marker) {
    return R"({"v":1,"site":"demo","sent_at":1,"context":{"anonymous_id":"anon-)" + marker +
           R"("},"events":[{"id":")" + marker + R"(","type":"page_view","ts":1}]})";
}

// A request's head with the given extra header lines (each ending "\r\n").
std::string head(const std::string& request_line, const std::string& extra) {
    return request_line + "\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

class hostile_it : public ::testing::Test {
protected:
    void SetUp() override {
        topic_ = t::unique_name("it_hostile");
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
                {"limits",
                 {{"body_bytes", body_limit},
                  {"inflated_bytes", inflated_limit},
                  {"header_timeout_ms", 2000},
                  {"body_timeout_ms", 2000},
                  {"idle_timeout_ms", 2000}}},
                {"sites",
                 {{"demo", {{"origins", {origin}}}},
                  {"first_party", {{"origins", {origin}}, {"set_cookie", true}}}}}};
    }

    static t::http_response post(const t::collector_process& c, const std::string& body,
                                 std::vector<std::string> headers = {
                                     "Content-Type: application/json", "Origin: " + origin}) {
        return t::http_post(c.url("/v1/batch?site=demo"), body, std::move(headers));
    }
    // A good batch: answered 204, so it is on the topic.
    void good(const t::collector_process& c, const std::string& marker) {
        auto r = post(c, batch(marker));
        EXPECT_EQ(r.status, 204) << marker << ": " << r.error << r.body;
    }
    // The service still answers, and the topic holds exactly `expected` plus
    // a last good batch sent now.
    void expect_up_and_topic(t::collector_process& c, std::multiset<std::string> expected) {
        EXPECT_EQ(t::http_get(c.url("/healthz")).status, 200) << c.log_text();
        good(c, "last");
        t::expect_topic_holds_exactly(topic_, std::move(expected), batch("last"));
    }
    int port(const t::collector_process& c) const { return t::port_of_url(c.url("")); }

    static constexpr std::uint64_t body_limit = 64 * 1024;
    static constexpr std::uint64_t inflated_limit = 256 * 1024;
    std::string topic_;
    std::filesystem::path spool_;
};

TEST_F(hostile_it, oversized_body_is_413_before_it_is_read) {
    t::collector_process c(config());
    // Declared past the limit: refused on the header alone, nothing more read.
    auto declared = t::exchange(
        port(c), head("POST /v1/batch?site=demo HTTP/1.1",
                      "Content-Type: application/json\r\nContent-Length: 1073741824\r\n"));
    EXPECT_EQ(declared->statuses(), std::vector<int>{413}) << declared->received();
    // Through curl with the whole body: the same.
    auto big = post(c, R"({"v":1,"site":"demo","events":[)" + std::string(body_limit, ' ') + "]}");
    EXPECT_EQ(big.status, 413) << big.error;
    good(c, "alongside");
    expect_up_and_topic(c, {batch("alongside")});
}

TEST_F(hostile_it, chunked_body_past_the_limit_is_413) {
    t::collector_process c(config());
    t::wire_client w(port(c));
    ASSERT_TRUE(w.connected());
    ASSERT_TRUE(w.send(head("POST /v1/batch?site=demo HTTP/1.1",
                            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n")));
    // 4 KiB chunks, one at a time, until the collector answers and closes.
    const std::string chunk = "1000\r\n" + std::string(4096, ' ') + "\r\n";
    std::size_t sent = 0;
    while (sent < 2 * body_limit && w.send(chunk)) {
        sent += 4096;
        if (w.closed_within(std::chrono::milliseconds(5))) break;
    }
    w.read_until_closed();
    EXPECT_EQ(w.statuses(), std::vector<int>{413}) << "after " << sent << " bytes";
    EXPECT_LE(sent, body_limit + 64 * 1024) << "read far past the limit";
    good(c, "alongside");
    expect_up_and_topic(c, {batch("alongside")});
}

TEST_F(hostile_it, gzip_bomb_is_413_and_inflating_stops_at_the_limit) {
    t::collector_process c(config());
    // 32 MiB of zeros in about 32 KiB: inflating it whole would take 32 MiB.
    const std::string bomb = t::gzip(std::string(32 * 1024 * 1024, '\0'));
    ASSERT_LT(bomb.size(), body_limit);
    std::thread alongside([&] { good(c, "alongside"); });
    for (int i = 0; i < 5; ++i) {
        auto r =
            post(c, bomb,
                 {"Content-Type: application/json", "Content-Encoding: gzip", "Origin: " + origin});
        EXPECT_EQ(r.status, 413) << r.error << r.body;
        EXPECT_EQ(json::parse(r.body, nullptr, false).value("error", ""),
                  "inflated body too large");
    }
    alongside.join();
    // A body that inflates to exactly the limit still goes through.
    const std::string at_limit =
        R"({"v":1,"site":"demo","pad":")" +
        std::string(inflated_limit - std::string(R"({"v":1,"site":"demo","pad":""})").size(), 'a') +
        R"("})";
    ASSERT_EQ(at_limit.size(), inflated_limit);
    auto ok =
        post(c, t::gzip(at_limit),
             {"Content-Type: application/json", "Content-Encoding: gzip", "Origin: " + origin});
    EXPECT_EQ(ok.status, 204) << ok.body;
    expect_up_and_topic(c, {batch("alongside"), at_limit});
}

// Bodies the collector does not parse (the design: it checks the request,
// inflates, stamps, produces): they are taken, arrive byte for byte, and the
// enrich stage's parser refuses each (it sends them to clickstream.dlq).
TEST_F(hostile_it, bodies_it_does_not_parse_arrive_as_sent_and_enrich_refuses_them) {
    t::collector_process c(config());
    struct body_case {
        std::string name;
        std::string body;
        enrich::batch_reason reason;
    };
    // The golden web session's fields up to its events (for site "demo"), so
    // the parser gets as far as the events.
    std::string prefix = t::read_file(t::contracts_dir() / "batch-v1/valid/web_session.json");
    prefix = prefix.substr(0, prefix.find(R"("events":)") + 9);
    prefix.replace(prefix.find(R"("demo-shop")"), 11, R"("demo")");
    std::string huge_array = prefix + "[";
    for (int i = 0; i < 20000; ++i) huge_array += (i == 0 ? "" : ",") + std::string("{}");
    huge_array += "]}";
    const std::vector<body_case> cases = {
        {"invalid_utf8", R"({"v":1,"site":"d)" + std::string("\xff\xfe") + R"(","events":[]})",
         enrich::batch_reason::not_json},
        {"overlong_utf8", R"({"v":1,"site":")" + std::string("\xc0\xaf") + R"(","events":[]})",
         enrich::batch_reason::not_json},
        {"lone_surrogate", prefix + R"([{"id":"\ud800"}]})", enrich::batch_reason::not_json},
        {"nul_bytes", std::string("{\"v\":1,\0\0\0}", 12), enrich::batch_reason::not_json},
        {"deep_nesting", prefix + std::string(30000, '[') + std::string(30000, ']') + "}",
         enrich::batch_reason::too_large},
        {"huge_array", huge_array, enrich::batch_reason::too_large},
    };
    std::multiset<std::string> expected = {batch("alongside")};
    for (const auto& b : cases) {
        ASSERT_LT(b.body.size(), body_limit) << b.name;
        auto r = post(c, b.body);
        EXPECT_EQ(r.status, 204) << b.name << ": " << r.error << r.body;
        expected.insert(b.body);
        // The same body gzipped: the collector inflates it and scans it for
        // the site it claims (finding none here), still without parsing events.
        auto z = post(c, t::gzip(b.body),
                      {"Content-Type: text/plain", "Content-Encoding: gzip", "Origin: " + origin});
        EXPECT_EQ(z.status, 204) << b.name << " gzipped: " << z.error << z.body;
        expected.insert(b.body);
        const auto parsed = enrich::parse_batch(b.body);
        ASSERT_FALSE(parsed) << b.name;
        EXPECT_EQ(parsed.error().reason, b.reason)
            << b.name << ": " << enrich::to_string(parsed.error().reason) << " at "
            << parsed.error().path;
    }
    // gzip inside gzip: only one layer is inflated; the inner one is bytes.
    const std::string inner = t::gzip(batch("inner"));
    auto nested =
        post(c, t::gzip(inner), {"Content-Type: application/json", "Content-Encoding: gzip"});
    EXPECT_EQ(nested.status, 204) << nested.body;
    expected.insert(inner);
    EXPECT_EQ(enrich::parse_batch(inner).error().reason, enrich::batch_reason::not_json);
    // A gzipped body that names another site is refused (it had to be inflated anyway).
    auto other = post(c, t::gzip(R"({"v":1,"site":"first_party","events":[]})"),
                      {"Content-Type: application/json", "Content-Encoding: gzip"});
    EXPECT_EQ(other.status, 400) << other.body;
    good(c, "alongside");
    expect_up_and_topic(c, expected);
}

TEST_F(hostile_it, header_injection_cannot_split_a_header) {
    t::collector_process c(config());
    const std::string post_line = "POST /v1/batch?site=demo HTTP/1.1";
    const std::string body = batch("injected");
    const std::string framing =
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    // A bare CR, a NUL, or a control character inside a header value: malformed, 400.
    for (const std::string& bad : {std::string("User-Agent: a\rSet-Cookie: x=1\r\n"),
                                   std::string("User-Agent: a\0b\r\n", 13),
                                   std::string("Origin: https://shop.example\x01\r\n")}) {
        auto w = t::exchange(port(c), head(post_line, framing + bad) + body);
        EXPECT_EQ(w->statuses(), std::vector<int>{400}) << w->received();
        EXPECT_EQ(w->head().find("set-cookie"), std::string::npos);
    }
    // CR LF percent-encoded in the query: one unknown site, no header of its own.
    auto encoded =
        t::exchange(port(c), head("POST /v1/batch?site=demo%0d%0aSet-Cookie:%20x=1 HTTP/1.1",
                                  framing + "Connection: close\r\n") +
                                 body);
    EXPECT_EQ(encoded->statuses(), std::vector<int>{403}) << encoded->received();
    EXPECT_EQ(encoded->head().find("set-cookie"), std::string::npos) << encoded->received();
    // An anonymous id with CR LF in a first-party site's body is not echoed
    // into Set-Cookie (a fresh id is set) nor used as the message key.
    const std::string evil_id =
        R"({"v":1,"site":"first_party","context":{"anonymous_id":"x\r\nSet-Cookie: admin=1"},"events":[]})";
    auto cookie = t::http_post(c.url("/v1/batch?site=first_party"), t::gzip(evil_id),
                               {"Content-Type: application/json", "Content-Encoding: gzip"});
    EXPECT_EQ(cookie.status, 204) << cookie.body;
    EXPECT_EQ(cookie.headers.count("set-cookie"), 1U);
    EXPECT_EQ(cookie.header("set-cookie").find("admin"), std::string::npos)
        << cookie.header("set-cookie");
    good(c, "alongside");
    const auto got = t::read_topic_until(topic_, [&](const t::consumed& read) {
        return std::any_of(read.begin(), read.end(),
                           [&](const auto& m) { return m.msg.value == evil_id; });
    });
    for (const auto& m : got) {
        if (m.msg.value == evil_id) {
            EXPECT_FALSE(m.msg.key) << *m.msg.key;
        }
    }
    expect_up_and_topic(c, {evil_id, batch("alongside")});
}

// Framing that a proxy in front and the collector could read differently.
// The collector refuses each with 400 and closes the connection, so the
// request hidden in the body is never run.
TEST_F(hostile_it, request_smuggling_attempts_are_400_and_the_hidden_request_never_runs) {
    t::collector_process c(config());
    const std::string hidden_body = batch("smuggled");
    const std::string hidden = head("POST /v1/batch?site=demo HTTP/1.1",
                                    "Content-Type: application/json\r\nContent-Length: " +
                                        std::to_string(hidden_body.size()) + "\r\n") +
                               hidden_body;
    const std::string chunked_empty = "0\r\n\r\n";
    const std::string post_line = "POST /v1/batch?site=demo HTTP/1.1";
    const std::string type = "Content-Type: application/json\r\n";
    struct attempt {
        std::string name;
        std::string bytes;
    };
    const std::vector<attempt> attempts = {
        {"CL.TE", head(post_line, type + "Content-Length: " +
                                      std::to_string(chunked_empty.size() + hidden.size()) +
                                      "\r\nTransfer-Encoding: chunked\r\n") +
                      chunked_empty + hidden},
        {"TE.CL", head(post_line, type + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n") +
                      chunked_empty + hidden},
        {"two Content-Lengths", head(post_line, type + "Content-Length: 0\r\nContent-Length: " +
                                                    std::to_string(hidden.size()) + "\r\n") +
                                    hidden},
        {"Content-Length list",
         head(post_line, type + "Content-Length: 0, " + std::to_string(hidden.size()) + "\r\n") +
             hidden},
        {"chunked not last", head(post_line, type + "Transfer-Encoding: chunked, identity\r\n") +
                                 chunked_empty + hidden},
        {"unknown coding",
         head(post_line, type + "Transfer-Encoding: xchunked\r\n") + chunked_empty + hidden},
        {"space before colon",
         head(post_line, type + "Transfer-Encoding : chunked\r\n") + chunked_empty + hidden},
        {"negative length", head(post_line, type + "Content-Length: -1\r\n") + hidden},
    };
    for (const auto& a : attempts) {
        auto w = t::exchange(port(c), a.bytes);
        EXPECT_EQ(w->statuses(), std::vector<int>{400}) << a.name << ":\n" << w->received();
    }
    expect_up_and_topic(c, {});
}

TEST_F(hostile_it, slowloris_clients_are_cut_off_while_a_good_client_is_served) {
    t::collector_process c(config());
    std::vector<std::unique_ptr<t::wire_client>> slow;
    for (int i = 0; i < 10; ++i) {
        slow.push_back(std::make_unique<t::wire_client>(port(c)));
        ASSERT_TRUE(slow.back()->connected());
    }
    const std::string header =
        "POST /v1/batch?site=demo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + std::string(400, 'a') +
        "\r\n";
    std::atomic<bool> done{false};
    std::thread alongside([&] {
        good(c, "alongside");
        done = true;
    });
    // One byte per connection every 100 ms: the whole header would take 40 s,
    // the header timeout is 2 s.
    std::size_t sent = 0;
    std::size_t open = slow.size();
    for (; sent < header.size() && open > 0; ++sent) {
        open = 0;
        for (auto& s : slow) {
            if (!s->closed_within(std::chrono::milliseconds(0)) && s->send(header.substr(sent, 1)))
                ++open;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    alongside.join();
    EXPECT_TRUE(done);
    EXPECT_LT(sent, header.size()) << "a slow client sent its whole header";
    for (auto& s : slow) {
        EXPECT_TRUE(s->read_until_closed());
        EXPECT_EQ(s->received(), "") << "cut off without an answer";
    }
    expect_up_and_topic(c, {batch("alongside")});
}

TEST_F(hostile_it, connection_flood_past_the_cap_is_refused_and_a_retrying_client_gets_through) {
    json cfg = config();
    cfg["limits"]["max_connections"] = 16;
    t::collector_process c(cfg);
    // Hold far more connections than the cap, opened as fast as possible.
    std::vector<std::unique_ptr<t::wire_client>> flood;
    for (int i = 0; i < 200; ++i) flood.push_back(std::make_unique<t::wire_client>(port(c)));
    std::size_t closed_at_once = 0;
    for (auto& f : flood) {
        if (f->closed_within(std::chrono::milliseconds(20)) && f->received().empty())
            ++closed_at_once;
    }
    EXPECT_GE(closed_at_once, 150U) << "past the cap of 16, connections are closed at once";
    // A client that retries like the SDK (no answer: try again) gets through
    // once slots free up (the held ones time out after the header timeout).
    t::http_response r;
    int attempts = 0;
    for (; attempts < 100 && r.status != 204; ++attempts) {
        r = post(c, batch("alongside"));
        if (r.status != 204) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_EQ(r.status, 204) << r.error << " after " << attempts << " attempts";
    flood.clear();
    auto metrics = t::http_get(c.admin_url("/metrics"));
    EXPECT_EQ(metrics.body.find("clickstream_collector_connections_refused 0\n"), std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("clickstream_collector_connections_refused"), std::string::npos);
    expect_up_and_topic(c, {batch("alongside")});
}

TEST_F(hostile_it, forged_x_forwarded_for_from_an_untrusted_peer_is_ignored) {
    {
        t::collector_process c(config());  // no trusted proxies
        auto r = post(c, batch("forged"),
                      {"Content-Type: application/json", "Origin: " + origin,
                       "X-Forwarded-For: 198.51.100.7", "X-Forwarded-Proto: https"});
        ASSERT_EQ(r.status, 204) << r.body;
        auto got = t::read_topic(topic_, 1);
        ASSERT_EQ(got.size(), 1U);
        EXPECT_EQ(t::header_of(got[0], raw::client_ip), "127.0.0.1");
        EXPECT_EQ(c.terminate(), 0);
    }
    // The same request from a trusted proxy: the right-most untrusted entry
    // counts, so a client cannot choose its address by prepending one.
    json cfg = config();
    cfg["trusted_proxies"] = {"127.0.0.1"};
    t::collector_process c(cfg);
    auto r = post(c, batch("proxied"),
                  {"Content-Type: application/json", "Origin: " + origin,
                   "X-Forwarded-For: 1.2.3.4, 198.51.100.8"});
    ASSERT_EQ(r.status, 204) << r.body;
    auto garbage =
        post(c, batch("garbage"),
             {"Content-Type: application/json", "Origin: " + origin, "X-Forwarded-For: <script>"});
    ASSERT_EQ(garbage.status, 204) << garbage.body;
    auto got = t::read_topic(topic_, 3);
    ASSERT_EQ(got.size(), 3U);
    std::map<std::string, std::string> ip_of;
    for (const auto& m : got) ip_of[m.msg.value] = t::header_of(m, raw::client_ip);
    EXPECT_EQ(ip_of[batch("forged")], "127.0.0.1");
    EXPECT_EQ(ip_of[batch("proxied")], "198.51.100.8");
    EXPECT_EQ(ip_of[batch("garbage")], "127.0.0.1") << "garbage stops at the proxy itself";
    expect_up_and_topic(c, {batch("forged"), batch("proxied"), batch("garbage")});
}

TEST_F(hostile_it, oversized_and_malformed_heads_are_refused) {
    t::collector_process c(config());
    struct head_case {
        std::string name;
        std::string bytes;
        int status;
    };
    const std::vector<head_case> cases = {
        {"header past 16 KiB",
         head("GET /healthz HTTP/1.1", "X-Pad: " + std::string(20000, 'a') + "\r\n"), 431},
        {"10,000 headers",
         head("GET /healthz HTTP/1.1",
              [] {
                  std::string h;
                  for (int i = 0; i < 10000; ++i) h += "X-" + std::to_string(i) + ": 1\r\n";
                  return h;
              }()),
         431},
        {"target past 16 KiB",
         head("GET /v1/p.gif?site=demo&u=" + std::string(20000, 'a') + " HTTP/1.1", ""), 431},
        {"garbage request line", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400},
        {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
        {"unknown version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400},
    };
    for (const auto& h : cases) {
        auto w = t::exchange(port(c), h.bytes);
        const auto statuses = w->statuses();
        EXPECT_EQ(statuses, std::vector<int>{h.status}) << h.name << ":\n"
                                                        << w->received().substr(0, 300);
    }
    good(c, "alongside");
    expect_up_and_topic(c, {batch("alongside")});
}

}  // namespace
