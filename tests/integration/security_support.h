// What the hostile-request and security suites share: a raw TCP client that
// sends exact bytes (what curl refuses to send: bare CRs, conflicting
// framing headers, a request trickled byte by byte) and reads every byte
// the collector answers until it closes, and a check that a topic holds
// exactly the batches it should.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "support/kafka_admin.h"

namespace clickstream::test {

// The port of "http://127.0.0.1:<port>/...".
inline int port_of_url(const std::string& url) {
    const auto colon = url.find(':', url.find("//") + 2);
    return std::stoi(url.substr(colon + 1));
}

// One client connection on 127.0.0.1.
class wire_client {
public:
    explicit wire_client(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~wire_client() { ::close(fd_); }
    wire_client(const wire_client&) = delete;
    wire_client& operator=(const wire_client&) = delete;

    bool connected() const { return connected_; }

    // False once the peer is gone (the rest is not sent).
    bool send(const std::string& bytes) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    // Reads what arrives within `wait`; true once the peer closed (EOF or reset).
    bool closed_within(std::chrono::milliseconds wait) {
        if (closed_) return true;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
        char buf[16384];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            received_.append(buf, static_cast<std::size_t>(n));
            return false;
        }
        closed_ = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        return closed_;
    }

    // Reads until the peer closes or `limit` passes; true if it closed.
    bool read_until_closed(std::chrono::seconds limit = std::chrono::seconds(15)) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (closed_within(std::chrono::milliseconds(100))) return true;
        }
        return false;
    }

    const std::string& received() const { return received_; }

    // Status codes of every response received, in order.
    std::vector<int> statuses() const {
        std::vector<int> out;
        for (std::size_t at = received_.find("HTTP/1."); at != std::string::npos;
             at = received_.find("HTTP/1.", at + 1)) {
            if (at != 0 && received_.compare(at - 2, 2, "\r\n") != 0) continue;  // not a line start
            if (at + 12 <= received_.size()) out.push_back(std::stoi(received_.substr(at + 9, 3)));
        }
        return out;
    }

    // The response's header block (up to the blank line), lower-cased.
    std::string head() const {
        std::string h = received_.substr(0, received_.find("\r\n\r\n"));
        std::transform(h.begin(), h.end(), h.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return h;
    }

private:
    int fd_ = -1;
    bool connected_ = false;
    bool closed_ = false;
    std::string received_;
};

// Sends `bytes` on a new connection and reads until the collector closes it.
inline std::unique_ptr<wire_client> exchange(int port, const std::string& bytes) {
    auto c = std::make_unique<wire_client>(port);
    EXPECT_TRUE(c->connected());
    c->send(bytes);
    EXPECT_TRUE(c->read_until_closed()) << "the collector kept the connection open";
    return c;
}

// Reads `topic` until a message with value `last` arrived, and expects the
// topic to hold exactly `expected` (each once) and `last`: nothing else, and
// nothing twice. `last` is a batch acknowledged after everything else was
// sent, so on a one-partition topic nothing sent before it can come later.
inline void expect_topic_holds_exactly(const std::string& topic,
                                       std::multiset<std::string> expected,
                                       const std::string& last) {
    const auto got = read_topic_until(topic, [&](const consumed& read) {
        return std::any_of(read.begin(), read.end(),
                           [&](const auto& m) { return m.msg.value == last; });
    });
    std::multiset<std::string> values;
    for (const auto& m : got) values.insert(m.msg.value);
    expected.insert(last);
    EXPECT_EQ(values.size(), expected.size());
    for (const auto& v : values) {
        EXPECT_EQ(values.count(v), expected.count(v))
            << "on the topic " << values.count(v) << " times, expected " << expected.count(v)
            << ": " << v.substr(0, 200);
    }
    for (const auto& v : expected)
        EXPECT_EQ(values.count(v), expected.count(v)) << v.substr(0, 200);
}

}  // namespace clickstream::test
