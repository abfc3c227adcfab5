// The collector's protection against slow and greedy clients over real
// sockets: a header or a body trickled past its timeout is cut off without an
// answer, connections past the cap are closed while the others are served,
// and the beacon's files come with their MIME type, ETag and cache headers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "collector/inflate.h"
#include "collector_support.h"
#include "support/gzip.h"
#include "support/http_client.h"

namespace {

namespace t = clickstream::test;
using json = nlohmann::json;

int port_of(const std::string& url) {
    const auto colon = url.rfind(':');
    return std::stoi(url.substr(colon + 1));
}

// A raw client socket: send bytes, see whether the server closed it.
class raw_conn {
public:
    explicit raw_conn(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~raw_conn() { ::close(fd_); }
    raw_conn(const raw_conn&) = delete;
    raw_conn& operator=(const raw_conn&) = delete;

    bool connected() const { return connected_; }
    bool send(const std::string& bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(bytes.size());
    }
    // Reads what is there within `wait`; true once the peer closed (EOF or reset).
    bool closed_within(std::chrono::milliseconds wait) {
        if (closed_) return true;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            received_.append(buf, static_cast<std::size_t>(n));
            return false;
        }
        closed_ = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        return closed_;
    }
    // Waits (bounded) for the server to close the connection.
    bool wait_closed(std::chrono::seconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (closed_within(std::chrono::milliseconds(100))) return true;
        }
        return false;
    }
    const std::string& received() const { return received_; }

private:
    int fd_ = -1;
    bool connected_ = false;
    bool closed_ = false;
    std::string received_;
};

class collector_limits_it : public ::testing::Test {
protected:
    void SetUp() override {
        topic_ = t::unique_name("it_limits");
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
                {"sites", {{"demo", {{"origins", json::array()}}}}}};
    }

    std::string topic_;
    std::filesystem::path spool_;
};

TEST_F(collector_limits_it, slowloris_header_is_cut_off_after_the_header_timeout) {
    json cfg = config();
    cfg["limits"] = {{"header_timeout_ms", 1000}};
    t::collector_process c(cfg);
    raw_conn slow(port_of(c.url("")));
    ASSERT_TRUE(slow.connected());
    // A header far longer than the timeout allows at one byte per 100 ms.
    const std::string header =
        "POST /v1/batch?site=demo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + std::string(400, 'a') +
        "\r\n";
    bool cut = false;
    std::size_t sent = 0;
    for (; sent < header.size() && !cut; ++sent) {
        if (!slow.send(header.substr(sent, 1))) break;
        cut = slow.closed_within(std::chrono::milliseconds(100));
    }
    if (!cut) cut = slow.wait_closed(std::chrono::seconds(5));
    EXPECT_TRUE(cut) << "still open after " << sent << " header bytes";
    EXPECT_LT(sent, header.size()) << "the whole header went through";
    EXPECT_EQ(slow.received(), "") << "cut off without an answer";
    // The service still answers everyone else.
    EXPECT_EQ(t::http_get(c.url("/healthz")).status, 200);
    EXPECT_EQ(c.terminate(), 0);
}

// The header timeout bounds a new connection from its accept, not from its
// first byte: a client that waits almost the whole timeout before its first
// byte and then trickles the header is cut off once the timeout has passed
// since it connected. (Before, the first byte and the header each had a full
// timeout: 1.75 timeouts here.) The check allows half a timeout of slack for
// a busy machine.
TEST_F(collector_limits_it,
       slowloris_with_a_late_first_byte_is_cut_off_a_header_timeout_after_connecting) {
    using namespace std::chrono;
    json cfg = config();
    cfg["limits"] = {{"header_timeout_ms", 2000}};
    t::collector_process c(cfg);
    raw_conn slow(port_of(c.url("")));
    ASSERT_TRUE(slow.connected());
    const auto connected = steady_clock::now();
    std::this_thread::sleep_for(milliseconds(1500));
    const std::string header =
        "POST /v1/batch?site=demo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + std::string(400, 'a') +
        "\r\n";
    bool cut = false;
    std::size_t sent = 0;
    for (; sent < header.size() && !cut; ++sent) {
        if (!slow.send(header.substr(sent, 1))) break;
        cut = slow.closed_within(milliseconds(100));
    }
    if (!cut) cut = slow.wait_closed(seconds(10));
    const auto open_for = duration_cast<milliseconds>(steady_clock::now() - connected);
    EXPECT_TRUE(cut) << "still open after " << sent << " header bytes";
    EXPECT_LT(open_for.count(), 3000)
        << "the connection outlived its header timeout (2000 ms) after " << sent << " header bytes";
    EXPECT_EQ(slow.received(), "") << "cut off without an answer";
    EXPECT_EQ(t::http_get(c.url("/healthz")).status, 200);
    EXPECT_EQ(c.terminate(), 0);
}

// On a kept-alive connection the next request's header has its own
// `header_timeout` from its first byte: a request served, then a header
// trickled, is cut off without an answer, and the first answer came whole.
TEST_F(collector_limits_it,
       slowloris_on_a_kept_alive_connection_is_cut_off_after_its_header_timeout) {
    using namespace std::chrono;
    json cfg = config();
    cfg["limits"] = {{"header_timeout_ms", 1000}, {"idle_timeout_ms", 60000}};
    t::collector_process c(cfg);
    raw_conn slow(port_of(c.url("")));
    ASSERT_TRUE(slow.connected());
    ASSERT_TRUE(slow.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    for (int i = 0; i < 100 && slow.received().find("\r\n\r\n") == std::string::npos; ++i) {
        ASSERT_FALSE(slow.closed_within(milliseconds(100))) << "closed after one request";
    }
    ASSERT_EQ(slow.received().rfind("HTTP/1.1 200", 0), 0U) << slow.received();
    const auto answered = slow.received();
    const std::string header =
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + std::string(400, 'a') + "\r\n";
    bool cut = false;
    std::size_t sent = 0;
    for (; sent < header.size() && !cut; ++sent) {
        if (!slow.send(header.substr(sent, 1))) break;
        cut = slow.closed_within(milliseconds(100));
    }
    if (!cut) cut = slow.wait_closed(seconds(10));
    EXPECT_TRUE(cut) << "still open after " << sent << " header bytes";
    EXPECT_LT(sent, header.size()) << "the whole header went through";
    EXPECT_EQ(slow.received(), answered) << "the second request got no answer";
    EXPECT_EQ(c.terminate(), 0);
}

TEST_F(collector_limits_it, body_trickled_past_the_body_timeout_is_cut_off_and_not_produced) {
    json cfg = config();
    cfg["limits"] = {{"body_timeout_ms", 1000}};
    t::collector_process c(cfg);
    raw_conn slow(port_of(c.url("")));
    ASSERT_TRUE(slow.connected());
    const std::string body = R"({"v":1,"site":"demo","events":[)" + std::string(300, ' ') + "]}";
    ASSERT_TRUE(
        slow.send("POST /v1/batch?site=demo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: application/json\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n"));
    bool cut = false;
    std::size_t sent = 0;
    for (; sent < body.size() && !cut; ++sent) {
        if (!slow.send(body.substr(sent, 1))) break;
        cut = slow.closed_within(std::chrono::milliseconds(100));
    }
    if (!cut) cut = slow.wait_closed(std::chrono::seconds(5));
    EXPECT_TRUE(cut) << "still open after " << sent << " body bytes";
    EXPECT_LT(sent, body.size()) << "the whole body went through";
    EXPECT_EQ(slow.received(), "") << "cut off without an answer";

    // A good batch after it is the topic's first message: the cut one never went.
    const std::string good = R"({"v":1,"site":"demo","events":[]})";
    auto r = t::http_post(c.url("/v1/batch?site=demo"), good, {"Content-Type: application/json"});
    ASSERT_EQ(r.status, 204) << r.error << r.body;
    auto got = t::read_topic(topic_, 1);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].msg.value, good);
    EXPECT_EQ(got[0].offset, 0);
    EXPECT_EQ(c.terminate(), 0);
}

TEST_F(collector_limits_it, connections_past_the_cap_are_closed_while_the_others_are_served) {
    json cfg = config();
    cfg["limits"] = {{"max_connections", 3}, {"header_timeout_ms", 60000}};
    t::collector_process c(cfg);
    const int port = port_of(c.url(""));
    std::vector<std::unique_ptr<raw_conn>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(std::make_unique<raw_conn>(port));
        ASSERT_TRUE(held.back()->connected());
    }
    // The server counts a connection once it accepted it: a fourth one is
    // closed at once as soon as the three are counted.
    bool refused = false;
    for (int i = 0; i < 50 && !refused; ++i) {
        raw_conn extra(port);
        ASSERT_TRUE(extra.connected()) << "the kernel still accepts";
        refused = extra.wait_closed(std::chrono::seconds(1)) && extra.received().empty();
    }
    EXPECT_TRUE(refused) << "a connection past the cap was not closed";

    // The held connections are still served.
    ASSERT_TRUE(
        held[0]->send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    EXPECT_TRUE(held[0]->wait_closed(std::chrono::seconds(10)));
    EXPECT_EQ(held[0]->received().rfind("HTTP/1.1 200", 0), 0U) << held[0]->received();
    ASSERT_TRUE(
        held[1]->send("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    EXPECT_TRUE(held[1]->wait_closed(std::chrono::seconds(10)));
    EXPECT_EQ(held[1]->received().rfind("HTTP/1.1 200", 0), 0U) << held[1]->received();
    // The admin listener has slots of its own: /metrics is read while the
    // public one is full.
    const auto metrics = t::http_get(c.admin_url("/metrics"));
    EXPECT_EQ(metrics.status, 200);
    EXPECT_EQ(metrics.body.find("clickstream_collector_connections_refused 0"), std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("clickstream_collector_connections_refused"), std::string::npos);

    // Two of three slots are free again (once the server has seen them close):
    // a new client gets its answer.
    t::http_response r;
    for (int i = 0; i < 100 && r.status != 200; ++i) {
        r = t::http_get(c.url("/healthz"));
        if (r.status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(c.terminate(), 0);
}

TEST_F(collector_limits_it, sdk_files_over_http_with_mime_type_etag_and_cache_control) {
    const auto dir = std::filesystem::temp_directory_path() / t::unique_name("sdk");
    std::filesystem::create_directories(dir / "v1");
    const std::string wasm("\0asm\x01\0\0\0", 8);
    std::ofstream(dir / "v1/beacon.wasm", std::ios::binary) << wasm;
    std::ofstream(dir / "beacon.js") << "window.cs=1;";
    json cfg = config();
    cfg["path_prefix"] = "/t9";
    cfg["sdk"] = {{"dir", dir.string()}, {"cache_control", "public, max-age=123"}};
    t::collector_process c(cfg);

    auto w = t::http_get(c.url("/t9/sdk/v1/beacon.wasm"));
    ASSERT_EQ(w.status, 200) << w.error << w.body;
    EXPECT_EQ(w.body, wasm);
    EXPECT_EQ(w.header("content-type"), "application/wasm");
    EXPECT_EQ(w.header("cache-control"), "public, max-age=123");
    const std::string etag = w.header("etag");
    ASSERT_FALSE(etag.empty());

    auto again = t::send({"GET", c.url("/t9/sdk/v1/beacon.wasm"), {}, {"If-None-Match: " + etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_EQ(again.body, "");
    EXPECT_EQ(again.header("etag"), etag);
    auto stale = t::send({"GET", c.url("/t9/sdk/v1/beacon.wasm"), {}, {"If-None-Match: \"old\""}});
    EXPECT_EQ(stale.status, 200);
    EXPECT_EQ(stale.body, wasm);

    auto js = t::http_get(c.url("/t9/sdk/beacon.js"));
    EXPECT_EQ(js.status, 200);
    EXPECT_EQ(js.header("content-type").rfind("text/javascript", 0), 0U)
        << js.header("content-type");
    EXPECT_NE(js.header("etag"), etag);
    EXPECT_EQ(t::http_get(c.url("/t9/sdk/missing.js")).status, 404);
    EXPECT_EQ(t::http_get(c.url("/sdk/beacon.js")).status, 404) << "only under the prefix";
    EXPECT_EQ(t::http_get(c.url("/t9/sdk/../collector.json")).status, 404);
    EXPECT_EQ(c.terminate(), 0);
    std::filesystem::remove_all(dir);
}

TEST_F(collector_limits_it, sdk_files_go_gzipped_as_made_ahead_or_at_start) {
    const auto dir = std::filesystem::temp_directory_path() / t::unique_name("sdk");
    std::filesystem::create_directories(dir);
    std::string js;
    for (int i = 0; i < 300; ++i) js += "cs.track('step_" + std::to_string(i) + "');\n";
    std::string ahead = t::gzip(js);
    ahead[4] = 0x22;  // the header's mtime: marks these bytes as the ones made ahead
    std::ofstream(dir / "main.js") << js;
    std::ofstream(dir / "main.js.gz", std::ios::binary) << ahead;
    std::ofstream(dir / "auto.js") << js + js;
    json cfg = config();
    cfg["sdk"] = {{"dir", dir.string()}};
    t::collector_process c(cfg);

    auto zipped = t::send({"GET", c.url("/sdk/main.js"), {}, {"Accept-Encoding: gzip, br"}});
    ASSERT_EQ(zipped.status, 200) << zipped.error << zipped.body;
    EXPECT_EQ(zipped.header("content-encoding"), "gzip");
    EXPECT_EQ(zipped.header("vary"), "Accept-Encoding");
    EXPECT_EQ(zipped.body, ahead) << "the variant made ahead, byte for byte";
    auto plain = t::http_get(c.url("/sdk/main.js"));
    EXPECT_EQ(plain.header("content-encoding"), "");
    EXPECT_EQ(plain.body, js);
    EXPECT_EQ(t::http_get(c.url("/sdk/main.js.gz")).status, 404) << "a variant is not a path";

    auto made_here = t::send({"GET", c.url("/sdk/auto.js"), {}, {"Accept-Encoding: gzip"}});
    ASSERT_EQ(made_here.status, 200);
    EXPECT_EQ(made_here.header("content-encoding"), "gzip");
    EXPECT_LT(made_here.body.size(), js.size() / 4);
    EXPECT_EQ(clickstream::collector::inflate_gzip(made_here.body, 1 << 20).value(), js + js);
    EXPECT_EQ(c.terminate(), 0);

    // A variant that is not the gzip of its file stops the start with a reason.
    std::ofstream(dir / "main.js.gz", std::ios::binary) << t::gzip("stale");
    t::collector_process stale(cfg);
    EXPECT_NE(stale.wait(), 0);
    EXPECT_NE(stale.log_text().find("main.js.gz is not the gzip of"), std::string::npos)
        << stale.log_text();
    std::filesystem::remove_all(dir);
}

}  // namespace
