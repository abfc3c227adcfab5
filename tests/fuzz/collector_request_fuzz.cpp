// Fuzz target: the collector's request handling as a whole, from bytes on the
// wire to the decision: Boost.Beast's request parser under the collector's
// default header and body limits (as the session sets them), then the pure
// handle_request (collector/handle_request.h), which inflates gzip bodies,
// reads cookies, Origin and X-Forwarded-For and builds the raw message.
//
// Input: one flags byte (bit 0: the peer is a trusted proxy; bit 1: TLS;
// bit 2: the site sets the first-party cookie; bit 3: the site honours
// Do-Not-Track / GPC), then the request's bytes.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/handle_request.h"
#include "collector/raw_message.h"
#include "fuzz_check.h"

namespace c = clickstream::collector;
namespace http = clickstream::common::http;
namespace bhttp = boost::beast::http;

namespace {

struct setup {
    c::collector_options options;
    c::trusted_proxies proxies{std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}};
    c::static_files files;
    c::service_status status{true, "", [] { return std::string("metric_a 1\n"); }};

    setup() {
        options.topic = "raw";
        options.inflated_limit = 64 * 1024;  // small, so bombs reach it quickly
        options.sites["demo"] = c::site_options{"demo",
                                                {"https://shop.example"},
                                                true,
                                                std::chrono::seconds(1800),
                                                std::chrono::milliseconds(3000),
                                                false};
        options.sites["strict"] = c::site_options{"strict",
                                                  {"https://strict.example"},
                                                  false,
                                                  std::chrono::seconds(900),
                                                  std::chrono::milliseconds(2000),
                                                  true};
        options.sites["any"] = c::site_options{
            "any", {"*"}, true, std::chrono::seconds(60), std::chrono::milliseconds(1000), true};
        files.add("beacon.wasm", std::string("\0asm\1\0\0\0", 8));
        files.add("v1/loader.js", "console.log(1)");
    }
};

const setup& config() {
    static const setup s;
    return s;
}

bool header_safe(std::string_view v) {
    for (const char ch : v) {
        if (ch == '\r' || ch == '\n' || ch == '\0') return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t flags = data[0];
    const auto& s = config();

    bhttp::request_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.header_limit(static_cast<std::uint32_t>(s.options.server.header_limit));
    parser.body_limit(s.options.server.body_limit);
    boost::beast::error_code ec;
    boost::asio::const_buffer in(data + 1, size - 1);
    while (in.size() > 0 && !parser.is_done()) {
        const std::size_t used = parser.put(in, ec);
        if (ec == bhttp::error::need_more) {
            ec = {};
            break;
        }
        if (ec) return 0;  // the session answers 400/413/431 itself
        in += used;
        if (used == 0) break;
    }
    if (!parser.is_done()) {
        parser.put_eof(ec);
        if (ec || !parser.is_done()) return 0;
    }
    const http::request req = parser.release();

    c::request_context ctx;
    ctx.from = http::peer{(flags & 1) != 0 ? "10.1.2.3" : "203.0.113.9", 40000, (flags & 2) != 0};
    ctx.received_at_ms = 1700000000000;
    ctx.request_id = "req-1";
    ctx.new_anonymous_id = "new-anon";
    c::collector_options options = s.options;  // per input: the cookie flag varies
    if ((flags & 4) != 0) options.sites["demo"].set_cookie = true;
    if ((flags & 8) != 0) options.sites["demo"].respect_dnt = true;
    const c::collector_config cfg{options, s.proxies, s.files};

    const c::handled h = c::handle_request(req, ctx, cfg, s.status);

    // Nothing read from the client can split a response header.
    for (const auto& f : h.res) FUZZ_CHECK(header_safe(f.value()));
    FUZZ_CHECK(static_cast<unsigned>(h.res.result_int()) >= 200);
    if (h.msg) {
        FUZZ_CHECK(h.res.result_int() / 100 == 2);
        FUZZ_CHECK(
            h.msg->value.size() <=
            std::max<std::size_t>(options.inflated_limit, req.body().size() + req.target().size()));
        FUZZ_CHECK(h.msg->find_header(c::raw_header::site) != nullptr);
        if (h.msg->key) FUZZ_CHECK(!h.msg->key->empty() && header_safe(*h.msg->key));
    } else if (h.res.result_int() / 100 != 2 && h.res.result_int() != 304) {
        FUZZ_CHECK(!h.reject.empty());
    }
    return 0;
}
