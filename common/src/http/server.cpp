#include "common/http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace clickstream::common::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

class session_base {
public:
    virtual ~session_base() = default;
    virtual void stop() = 0;
    // Writes the answer to the request the handler has (on the session's strand).
    virtual void answer(response&& res) = 0;
};

}  // namespace

struct server::shared {
    server_options options;
    handler& app;
    logger& log;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> connections{0};
    std::atomic<std::uint64_t> refused{0};

    std::mutex mutex;
    std::uint64_t next_id = 0;
    std::unordered_map<std::uint64_t, std::weak_ptr<session_base>> sessions;
    std::vector<std::shared_ptr<tcp::acceptor>> acceptors;

    // Answers given from threads that are not the I/O threads (Kafka's
    // delivery reports, the spool): gathered and handed to the I/O threads
    // in one post per gathering, not one per answer, so a burst of delivery
    // reports wakes an I/O thread once.
    net::io_context& io;
    std::mutex answers_mutex;
    std::vector<std::pair<std::shared_ptr<session_base>, response>> answers;

    shared(net::io_context& i, server_options o, handler& a, logger& l)
        : options(o), app(a), log(l), io(i) {}

    void answer_later(std::shared_ptr<session_base> s, response&& res,
                      const std::shared_ptr<shared>& self) {
        bool first = false;
        {
            std::lock_guard lock(answers_mutex);
            first = answers.empty();
            answers.emplace_back(std::move(s), std::move(res));
        }
        if (first) net::post(io, [self] { self->deliver_answers(); });
    }
    // On an I/O thread: each session's strand runs its answer here and now
    // unless the strand is busy on another thread.
    void deliver_answers() {
        std::vector<std::pair<std::shared_ptr<session_base>, response>> ready;
        {
            std::lock_guard lock(answers_mutex);
            ready.swap(answers);
        }
        for (auto& [s, res] : ready) s->answer(std::move(res));
    }

    std::uint64_t add(const std::shared_ptr<session_base>& s) {
        std::lock_guard lock(mutex);
        sessions.emplace(next_id, s);
        return next_id++;
    }
    void remove(std::uint64_t id) {
        std::lock_guard lock(mutex);
        sessions.erase(id);
    }

    // Errors the peer causes (it left, it was slow) are routine; the rest are worth a look.
    void fail(const error_code& ec, const char* what) noexcept {
        const bool routine = ec == net::error::operation_aborted || ec == beast::error::timeout ||
                             ec == net::error::eof || ec == net::error::connection_reset ||
                             ec == net::error::broken_pipe || ec == ssl::error::stream_truncated;
        log.write(routine ? log_level::debug : log_level::warn, "http_connection_error",
                  {{"step", what}, {"error", ec.message()}});
    }
};

namespace {

using shared_ptr_t = std::shared_ptr<server::shared>;

// A parse error of the request itself (as opposed to the peer leaving).
bool is_malformed(const error_code& ec) {
    return ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

using clock = std::chrono::steady_clock;

// Each connection's I/O runs on its strand, named by its concrete type (not
// the type-erased any_io_executor of beast::tcp_stream): no type-erased
// executor copies and reference counts on every operation.
using strand = net::strand<net::io_context::executor_type>;
using strand_socket = net::basic_stream_socket<tcp, strand>;
using plain_stream = beast::basic_stream<tcp, strand>;
using tls_stream = beast::ssl_stream<plain_stream>;

template <class Stream>
constexpr bool is_tls = !std::is_same_v<Stream, plain_stream>;

// One connection: reads requests one by one, hands each to the handler,
// writes the answers. Every step runs on the connection's strand.
template <class Stream>
class session final : public session_base, public std::enable_shared_from_this<session<Stream>> {
public:
    session(strand_socket&& socket, ssl::context* tls, shared_ptr_t shared)
        : stream_(make_stream(std::move(socket), tls)), shared_(std::move(shared)) {
        error_code ec;
        const auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
        if (!ec) peer_ = peer{remote.address().to_string(), remote.port(), is_tls<Stream>};
        // Plain answers are written without waiting first (write()): a send
        // the socket cannot take at once reports would_block instead of blocking.
        if constexpr (!is_tls<Stream>) lowest().socket().non_blocking(true, ec);
        ++shared_->connections;
    }
    ~session() override {
        shared_->remove(id_);
        --shared_->connections;
    }

    void run() {
        id_ = shared_->add(this->shared_from_this());
        net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->start(); });
    }

    void stop() override {
        net::post(stream_.get_executor(), [self = this->shared_from_this()] {
            self->stop_ = true;
            if (self->waiting_) beast::get_lowest_layer(self->stream_).cancel();
        });
    }

    void answer(response&& res) override {
        res_ = std::move(res);
        net::dispatch(stream_.get_executor(),
                      [self = this->shared_from_this()] { self->write(self->keep_alive_); });
    }

private:
    static Stream make_stream(strand_socket&& socket, ssl::context* tls) {
        if constexpr (is_tls<Stream>)
            return Stream(std::move(socket), *tls);
        else
            return Stream(std::move(socket));
    }

    auto& lowest() { return beast::get_lowest_layer(stream_); }
    const server_options& options() const { return shared_->options; }

    // A new connection has `header_timeout` from its accept to the end of its
    // first request's header: TLS handshake, first byte and header together,
    // so a client that trickles its first byte late cannot stretch the bound.
    void start() {
        header_deadline_ = clock::now() + options().header_timeout;
        if constexpr (is_tls<Stream>) {
            lowest().expires_at(header_deadline_);
            stream_.async_handshake(ssl::stream_base::server,
                                    [self = this->shared_from_this()](const error_code& ec) {
                                        if (ec) return self->shared_->fail(ec, "tls_handshake");
                                        self->next_request();
                                    });
        } else {
            next_request();
        }
    }

    // Waits for the next request's first byte (a keep-alive connection may
    // idle), then reads its header. A later request's header has
    // `header_timeout` from its first byte.
    void next_request() {
        if (stop_) return close();
        if (buffer_.size() > 0) {
            if (!first_) header_deadline_ = clock::now() + options().header_timeout;
            return read_header();
        }
        waiting_ = true;
        if (first_) {
            lowest().expires_at(header_deadline_);
        } else {
            lowest().expires_never();
            watch_idle(clock::now() + options().idle_timeout);
        }
        stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](
                                                           const error_code& ec, std::size_t n) {
            self->waiting_ = false;
            if (ec == net::error::eof || ec == net::error::operation_aborted) return self->close();
            if (ec) {
                self->shared_->fail(ec, "read");
                return self->close();
            }
            self->buffer_.commit(n);
            if (!self->first_) {
                self->header_deadline_ = clock::now() + self->options().header_timeout;
            }
            self->read_header();
        });
    }

    // A kept-alive connection's wait for its next request is bounded by
    // `idle_timeout` through one timer of the session's, armed about once per
    // idle_timeout instead of once per request: each wait only moves
    // idle_deadline_, and the timer, firing before it, sleeps on to it. When
    // it passes during the wait, the read is cancelled and the connection
    // closes, as on a stop.
    void watch_idle(clock::time_point deadline) {
        idle_deadline_ = deadline;
        if (idle_armed_ && idle_timer_.expiry() <= deadline) return;
        idle_armed_ = true;
        idle_timer_.expires_at(deadline);  // a wait on a later expiry ends as aborted
        // Weak: an armed timer does not keep a closed connection's session.
        idle_timer_.async_wait([weak = this->weak_from_this()](const error_code& ec) {
            if (ec == net::error::operation_aborted) return;  // re-armed sooner, or gone
            if (auto self = weak.lock()) self->on_idle_timer();
        });
    }

    void on_idle_timer() {
        idle_armed_ = false;
        if (!waiting_ || first_) return;  // a request is under way: its next wait re-arms
        if (clock::now() < idle_deadline_) return watch_idle(idle_deadline_);
        lowest().cancel();
    }

    void read_header() {
        first_ = false;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(options().header_limit));
        // Checked against Content-Length below, so the answer can be a 413. (Not
        // boost::none: Boost 1.74 compares the length against an empty optional.)
        parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        // Most requests arrive whole in the first read: parse them here rather
        // than through an asynchronous read that would only post its result.
        error_code parsed;
        if (parse_buffered(parsed, [this] { return parser_->is_header_done(); })) {
            return on_header(parsed);
        }
        lowest().expires_at(header_deadline_);
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 [self = this->shared_from_this()](
                                     const error_code& ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(const error_code& ec) {
        if (ec == bhttp::error::body_limit)
            return refuse(status::payload_too_large, "body too large");
        if (ec == bhttp::error::header_limit)
            return refuse(status::request_header_fields_too_large, "request header too large");
        if (is_malformed(ec)) {
            shared_->log.debug("http_malformed", {{"error", ec.message()}});
            return refuse(status::bad_request, "malformed request");
        }
        if (ec) {
            shared_->fail(ec, "read_header");
            return close();
        }
        const auto& req = parser_->get();
        const auto length = parser_->content_length();
        if (length && *length > options().body_limit) {
            return refuse(status::payload_too_large, "body too large");
        }
        if (parser_->is_done()) return dispatch();
        if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
            auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(status::continue_,
                                                                             req.version());
            lowest().expires_after(options().write_timeout);
            return bhttp::async_write(
                stream_, *cont,
                [self = this->shared_from_this(), cont](const error_code& wec, std::size_t) {
                    if (wec) {
                        self->shared_->fail(wec, "write_continue");
                        return self->close();
                    }
                    self->read_body();
                });
        }
        read_body();
    }

    // Feeds the bytes already read to the parser. True when that finished the
    // phase (`done()`) or failed (`ec`); false when more must be read.
    template <class Done>
    bool parse_buffered(error_code& ec, Done done) {
        while (buffer_.size() > 0 && !done()) {
            const std::size_t used = parser_->put(buffer_.data(), ec);
            buffer_.consume(used);
            if (ec == bhttp::error::need_more) {
                ec = {};
                return false;
            }
            if (ec) return true;
            if (used == 0) return false;
        }
        return done();
    }

    void read_body() {
        parser_->body_limit(options().body_limit);
        error_code parsed;
        if (parse_buffered(parsed, [this] { return parser_->is_done(); })) return on_body(parsed);
        lowest().expires_after(options().body_timeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                              self->on_body(ec);
                          });
    }

    void on_body(const error_code& ec) {
        if (ec == bhttp::error::body_limit)
            return refuse(status::payload_too_large, "body too large");
        if (is_malformed(ec)) return refuse(status::bad_request, "malformed body");
        if (ec) {
            shared_->fail(ec, "read_body");
            return close();
        }
        dispatch();
    }

    void dispatch() {
        request req = parser_->release();
        parser_.reset();
        keep_alive_ = req.keep_alive();
        // The handler may wait (for Kafka); its own limits bound that wait.
        lowest().expires_never();
        shared_->app.on_request(
            std::move(req), peer_, [self = this->shared_from_this()](response&& res) {
                // Answered at once (no Kafka): already on the strand.
                if (self->stream_.get_executor().running_in_this_thread()) {
                    self->res_ = std::move(res);
                    return self->write(self->keep_alive_);
                }
                self->shared_->answer_later(self, std::move(res), self->shared_);
            });
    }

    // Answers a request the server refuses and closes: the rest of it is unread.
    void refuse(status code, std::string_view reason) {
        const request empty;
        const request& req = parser_ ? parser_->get() : empty;
        res_ = shared_->app.on_refused(code, reason, req);
        write(false);
    }

    // Writes res_; the session has one request at a time, so one answer.
    //
    // Plain HTTP first writes what the socket takes at once, without waiting:
    // an answer of a few hundred bytes almost always goes whole in that one
    // send, and then needs no timer, no asynchronous operation and no
    // completion handler. What the socket does not take (a client that does
    // not read) is written asynchronously under `write_timeout`, as before.
    void write(bool keep_alive) {
        res_.keep_alive(keep_alive && !stop_ && !shared_->stopping);
        serializer_.emplace(res_);
        if constexpr (!is_tls<Stream>) {
            error_code ec;
            while (!ec && !serializer_->is_done())
                bhttp::write_some(lowest().socket(), *serializer_, ec);
            if (ec != net::error::would_block) return written(ec, true);
        }
        lowest().expires_after(options().write_timeout);
        bhttp::async_write(stream_, *serializer_,
                           [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                               self->written(ec, false);
                           });
    }

    // After an answer: the next request, or the end of the connection. `now`:
    // written within write() itself, so the next request is not parsed on
    // this stack when pipelined bytes wait (a chain of answers given at once
    // would otherwise nest).
    void written(const error_code& ec, bool now) {
        serializer_.reset();
        if (ec) {
            shared_->fail(ec, "write");
            return close();
        }
        if (res_.need_eof()) return close();
        res_ = response();  // its memory goes before the idle wait
        if (now && buffer_.size() > 0) {
            return net::post(stream_.get_executor(),
                             [self = this->shared_from_this()] { self->next_request(); });
        }
        next_request();
    }

    void close() {
        if constexpr (is_tls<Stream>) {
            lowest().expires_after(options().write_timeout);
            stream_.async_shutdown([self = this->shared_from_this()](const error_code&) {});
        } else {
            error_code ec;
            lowest().socket().shutdown(tcp::socket::shutdown_send, ec);  // nothing to do on error
        }
    }

    Stream stream_;
    net::basic_waitable_timer<clock, net::wait_traits<clock>, strand> idle_timer_{
        stream_.get_executor()};
    clock::time_point idle_deadline_{};
    bool idle_armed_ = false;
    shared_ptr_t shared_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    response res_;  // the answer being written
    std::optional<bhttp::response_serializer<bhttp::string_body>> serializer_;  // of res_
    peer peer_;
    std::uint64_t id_ = 0;
    clock::time_point header_deadline_{};  // the current request's header is read by then
    bool first_ = true;
    bool waiting_ = false;  // idle between requests: may be closed at once on stop
    bool stop_ = false;
    bool keep_alive_ = false;
};

// Accepts connections on one address and starts a session for each.
class listener : public std::enable_shared_from_this<listener> {
public:
    listener(net::io_context& io, std::shared_ptr<tcp::acceptor> acceptor, ssl::context* tls,
             shared_ptr_t shared)
        : io_(io), acceptor_(std::move(acceptor)), tls_(tls), shared_(std::move(shared)) {}

    void accept() {
        acceptor_->async_accept(
            strand(io_.get_executor()),
            [self = shared_from_this()](const error_code& ec, strand_socket socket) {
                self->on_accept(ec, std::move(socket));
            });
    }

private:
    void on_accept(const error_code& ec, strand_socket socket) {
        if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;  // stopped
        if (ec) {
            shared_->fail(ec, "accept");
        } else if (shared_->stopping) {
            return;  // the socket closes as it goes out of scope
        } else if (shared_->connections >= shared_->options.max_connections) {
            ++shared_->refused;
            shared_->log.debug("http_connection_refused", {{"reason", "max_connections"}});
        } else if (tls_ != nullptr) {
            std::make_shared<session<tls_stream>>(std::move(socket), tls_, shared_)->run();
        } else {
            std::make_shared<session<plain_stream>>(std::move(socket), nullptr, shared_)->run();
        }
        accept();
    }

    net::io_context& io_;
    std::shared_ptr<tcp::acceptor> acceptor_;
    ssl::context* tls_;
    shared_ptr_t shared_;
};

}  // namespace

std::unique_ptr<ssl::context> make_tls_context(const std::string& certificate_chain,
                                               const std::string& private_key) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::single_dh_use);
    // TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3's are all
    // such); what Mozilla's "intermediate" profile allows.
    if (SSL_CTX_set_cipher_list(ctx->native_handle(),
                                "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
        throw std::runtime_error("TLS: no usable TLS 1.2 cipher suite");
    }
    error_code ec;
    ctx->use_certificate_chain_file(certificate_chain, ec);
    if (ec) throw std::runtime_error("TLS certificate " + certificate_chain + ": " + ec.message());
    ctx->use_private_key_file(private_key, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("TLS private key " + private_key + ": " + ec.message());
    return ctx;
}

server::server(net::io_context& io, server_options options, handler& app, logger& log)
    : io_(io), shared_(std::make_shared<shared>(io, options, app, log)) {}

server::~server() {
    stop_accepting();
}

result<tcp::endpoint> server::listen(const std::string& address, std::uint16_t port,
                                     ssl::context* tls) {
    error_code ec;
    const auto ip = net::ip::make_address(address, ec);
    if (ec) return failure{std::error_code(ec)};
    const tcp::endpoint where(ip, port);
    auto acceptor = std::make_shared<tcp::acceptor>(net::make_strand(io_));
    acceptor->open(where.protocol(), ec);
    if (ec) return failure{std::error_code(ec)};
    acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (ec) return failure{std::error_code(ec)};
    acceptor->bind(where, ec);
    if (ec) return failure{std::error_code(ec)};
    acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec) return failure{std::error_code(ec)};
    const auto bound = acceptor->local_endpoint(ec);
    if (ec) return failure{std::error_code(ec)};
    {
        std::lock_guard lock(shared_->mutex);
        shared_->acceptors.push_back(acceptor);
    }
    std::make_shared<listener>(io_, acceptor, tls, shared_)->accept();
    return bound;
}

void server::stop_accepting() noexcept {
    if (shared_->stopping.exchange(true)) return;
    std::vector<std::shared_ptr<session_base>> live;
    {
        std::lock_guard lock(shared_->mutex);
        for (auto& acceptor : shared_->acceptors) {
            net::post(acceptor->get_executor(), [acceptor] {
                error_code ec;
                acceptor->close(ec);  // an error here leaves nothing to undo
            });
        }
        for (auto& [id, weak] : shared_->sessions) {
            if (auto s = weak.lock()) live.push_back(std::move(s));
        }
    }
    for (auto& s : live) s->stop();
}

std::size_t server::connections() const noexcept {
    return shared_->connections;
}

std::uint64_t server::refused_connections() const noexcept {
    return shared_->refused;
}

}  // namespace clickstream::common::http
