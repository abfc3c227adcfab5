// A small HTTP/1.1 server base over Boost.Beast, in the shape of Beast's
// advanced_server example: a listener per address accepts connections and
// gives each its own strand and session; a session reads one request at a
// time under a size limit and a deadline, hands it to the application's
// `handler`, and writes the answer back. Sessions do I/O only.
//
// Per request the session:
// - on a new connection, reads the TLS handshake, the first byte and the
//   first header, all within `header_timeout` of the accept; on a kept-alive
//   one, waits for the next first byte under `idle_timeout`, then reads the
//   header within `header_timeout` of that byte; `header_limit` bounds the
//   header (431 past it);
// - answers 413 without reading a body whose Content-Length passes
//   `body_limit`, and when a chunked body passes it while read;
// - answers `Expect: 100-continue`, then reads the body under `body_timeout`;
// - closes silently on a timeout (a slow client gets no answer) and answers
//   400 to a malformed request, closing after either;
// - writes the handler's response under `write_timeout`, then goes on with
//   the next request if both sides keep the connection alive.
// Past `max_connections` a new connection is closed at once.
//
// Graceful stop: `stop_accepting()` closes the acceptors, closes the
// connections that wait for a request, and lets the others finish the request
// they are in (the answer then carries `Connection: close`).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "clickstream/result.h"
#include "common/log.h"

namespace clickstream::common::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;
using status = boost::beast::http::status;

// Who sent a request: the TCP peer, before any proxy header is considered.
struct peer {
    std::string address;
    std::uint16_t port = 0;
    bool tls = false;
};

struct server_options {
    std::size_t header_limit = 16 * 1024;
    std::uint64_t body_limit = 1024 * 1024;
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds body_timeout{30'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::chrono::milliseconds write_timeout{30'000};
    std::size_t max_connections = 10'000;
};

// Sends the answer to a request: call it exactly once, from any thread. The
// response goes out as given (the handler calls prepare_payload()).
using responder = std::function<void(response&&)>;

// The application behind the server.
class handler {
public:
    virtual ~handler() = default;
    // A complete request. The session reads nothing more on this connection
    // until `respond` was called.
    virtual void on_request(request&& req, const peer& from, responder respond) noexcept = 0;
    // The answer to a request the server refuses itself (400, 413, 431);
    // `req` holds what was read of it (at least the request line, or empty).
    virtual response on_refused(status code, std::string_view reason,
                                const request& req) noexcept = 0;
};

// A TLS context (TLS 1.2 and later) from PEM files. Start-up: throws
// std::runtime_error naming the file that could not be used.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const std::string& certificate_chain,
                                                            const std::string& private_key);

class server {
public:
    // `app` and `log` must outlive every session, that is, the io_context's run.
    server(boost::asio::io_context& io, server_options options, handler& app, logger& log);
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Binds and starts accepting (port 0: any free port). `tls` null serves
    // plain HTTP; otherwise it must outlive the server. Returns the bound
    // endpoint, or the bind/listen error.
    result<boost::asio::ip::tcp::endpoint> listen(const std::string& address, std::uint16_t port,
                                                  boost::asio::ssl::context* tls);

    void stop_accepting() noexcept;
    // Open connections now.
    std::size_t connections() const noexcept;
    // Connections closed at once because `max_connections` were open.
    std::uint64_t refused_connections() const noexcept;

    struct shared;  // what listeners and sessions share (server.cpp)

private:
    boost::asio::io_context& io_;
    std::shared_ptr<shared> shared_;
};

}  // namespace clickstream::common::http
