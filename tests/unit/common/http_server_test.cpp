// The HTTP server base over loopback sockets: requests reach the handler with
// the peer, answers may come later from another thread, and the server's own
// refusals (413, 400, 431) reach the client; a stop closes the listener.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <sstream>
#include <thread>

#include "common/http/server.h"
#include "support/http_client.h"

namespace {

namespace net = boost::asio;
namespace h = clickstream::common::http;
using clickstream::common::logger;
namespace t = clickstream::test;

// An answer larger than loopback socket buffers take at once, in a pattern
// that shows a byte lost, doubled or out of order.
std::string large_body() {
    std::string body(32 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + (i / 7) % 26);
    return body;
}

// Echoes method, target, body length and peer (`/large`: large_body()); answers
// `delayed` paths from another thread.
class echo_handler final : public h::handler {
public:
    void on_request(h::request&& req, const h::peer& from, h::responder respond) noexcept override {
        h::response res{h::status::ok, req.version()};
        res.set("X-Peer", from.address);
        res.body() = std::string(req.method_string()) + " " + std::string(req.target()) + " " +
                     std::to_string(req.body().size());
        if (req.target() == "/large") res.body() = large_body();
        res.prepare_payload();
        if (req.target() == "/delayed") {
            std::thread([respond, res]() mutable { respond(std::move(res)); }).detach();
        } else {
            respond(std::move(res));
        }
    }
    h::response on_refused(h::status code, std::string_view reason,
                           const h::request& req) noexcept override {
        h::response res{code, req.version() == 0 ? 11 : req.version()};
        res.body() = std::string(reason);
        res.prepare_payload();
        return res;
    }
};

class common_http_server : public ::testing::Test {
protected:
    void SetUp() override {
        h::server_options options;
        options.body_limit = 4096;
        options.header_limit = 1024;
        configure(options);
        server_ = std::make_unique<h::server>(io_, options, app_, log_);
        auto bound = server_->listen("127.0.0.1", 0, nullptr);
        ASSERT_TRUE(bound) << bound.error().message();
        port_ = bound->port();
        thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        server_->stop_accepting();
        work_.reset();
        io_.stop();
        thread_.join();
    }
    virtual void configure(h::server_options&) {}
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    // Sends raw bytes and returns everything the server wrote before closing.
    // `read_after`: waits that long before reading anything.
    std::string raw_exchange(const std::string& bytes,
                             std::chrono::milliseconds read_after = {}) const {
        net::io_context io;
        net::ip::tcp::socket socket(io);
        socket.connect({net::ip::make_address("127.0.0.1"), port_});
        net::write(socket, net::buffer(bytes));
        std::this_thread::sleep_for(read_after);
        std::string out;
        boost::system::error_code ec;
        net::read(socket, net::dynamic_buffer(out), ec);  // until the server closes
        return out;
    }

    std::ostringstream log_text_;
    logger log_{log_text_, "test", clickstream::common::log_level::debug};
    echo_handler app_;
    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
    std::unique_ptr<h::server> server_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

TEST_F(common_http_server, request_reaches_the_handler_with_the_peer) {
    auto r = t::http_post(url("/v1/batch?site=demo"), "hello");
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "POST /v1/batch?site=demo 5");
    EXPECT_EQ(r.header("x-peer"), "127.0.0.1");
}

TEST_F(common_http_server, answer_may_come_later_from_another_thread) {
    auto r = t::http_get(url("/delayed"));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "GET /delayed 0");
}

TEST_F(common_http_server, body_over_100_continue_is_read) {
    // curl asks `Expect: 100-continue` for bodies over 1 KiB.
    auto r = t::http_post(url("/big"), std::string(2000, 'x'));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "POST /big 2000");
}

TEST_F(common_http_server, declared_body_over_the_limit_gets_413_unread) {
    auto r = t::http_post(url("/big"), std::string(5000, 'x'));
    EXPECT_EQ(r.status, 413) << r.error;
    EXPECT_EQ(r.body, "body too large");
}

TEST_F(common_http_server, chunked_body_over_the_limit_gets_413) {
    std::string chunk(3000, 'y');
    std::ostringstream req;
    req << "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 2; ++i) req << std::hex << chunk.size() << "\r\n" << chunk << "\r\n";
    req << "0\r\n\r\n";
    EXPECT_EQ(raw_exchange(req.str()).rfind("HTTP/1.1 413", 0), 0U);
}

TEST_F(common_http_server, malformed_request_gets_400) {
    EXPECT_EQ(raw_exchange("GARBAGE\r\n\r\n").rfind("HTTP/1.1 400", 0), 0U);
}

TEST_F(common_http_server, header_over_the_limit_gets_431) {
    std::string req = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'z') + "\r\n\r\n";
    EXPECT_EQ(raw_exchange(req).rfind("HTTP/1.1 431", 0), 0U);
}

TEST_F(common_http_server, keep_alive_serves_pipelined_requests_in_order) {
    std::string two =
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    std::string out = raw_exchange(two);
    auto a = out.find("GET /a 0");
    auto b = out.find("GET /b 0");
    ASSERT_NE(a, std::string::npos) << out;
    ASSERT_NE(b, std::string::npos) << out;
    EXPECT_LT(a, b);
}

// The server writes what the socket takes at once and the rest when the
// client reads: a client that reads only after the buffers filled still gets
// every byte, in order.
TEST_F(common_http_server, answer_larger_than_the_socket_takes_arrives_whole_to_a_late_reader) {
    const std::string out =
        raw_exchange("GET /large HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     std::chrono::milliseconds(300));
    ASSERT_EQ(out.rfind("HTTP/1.1 200", 0), 0U) << out.substr(0, 200);
    const auto end_of_header = out.find("\r\n\r\n");
    ASSERT_NE(end_of_header, std::string::npos);
    const std::string body = out.substr(end_of_header + 4);
    EXPECT_EQ(body.size(), large_body().size());
    EXPECT_TRUE(body == large_body());
}

class common_http_server_idle : public common_http_server {
protected:
    void configure(h::server_options& o) override {
        o.idle_timeout = std::chrono::milliseconds(1000);
    }
};

// One keep-alive connection: answers, then the server's read until it closes.
struct keep_alive_client {
    net::io_context io;
    net::ip::tcp::socket socket{io};
    explicit keep_alive_client(std::uint16_t port) {
        socket.connect({net::ip::make_address("127.0.0.1"), port});
    }
    // One request; its answer's status line, or "" when the connection is gone.
    std::string get(const std::string& path) {
        boost::system::error_code ec;
        net::write(socket, net::buffer("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"), ec);
        if (ec) return "";
        std::string in;
        const std::size_t n = net::read_until(socket, net::dynamic_buffer(in), "\r\n\r\n", ec);
        if (ec) return "";
        const auto length_at = in.find("Content-Length: ");
        std::size_t length = std::stoul(in.substr(length_at + 16));
        std::string body = in.substr(n);
        if (body.size() < length) {
            net::read(socket, net::dynamic_buffer(body),
                      net::transfer_exactly(length - body.size()), ec);
        }
        return in.substr(0, in.find("\r\n"));
    }
    // True once the server closed the connection (end of stream).
    bool closed_by_server() {
        char byte;
        boost::system::error_code ec;
        socket.read_some(net::buffer(&byte, 1), ec);
        return ec == net::error::eof;
    }
};

// Requests closer together than idle_timeout keep a connection open for many
// times that timeout; once it idles longer, the server closes it.
TEST_F(common_http_server_idle, keep_alive_connection_lives_while_used_and_closes_when_idle) {
    keep_alive_client c(port_);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(3500);
    int answered = 0;
    while (std::chrono::steady_clock::now() < until) {
        ASSERT_EQ(c.get("/x"), "HTTP/1.1 200 OK") << "after " << answered << " answers";
        ++answered;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_TRUE(c.closed_by_server());
}

TEST_F(common_http_server, stop_accepting_closes_the_listener) {
    ASSERT_EQ(t::http_get(url("/x")).status, 200);
    server_->stop_accepting();
    // The acceptor closes on its strand; a new connection is then refused.
    t::http_response r;
    for (int i = 0; i < 100; ++i) {
        r = t::http_get(url("/x"));
        if (r.status == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(r.status, 0);
}

}  // namespace
