// The native SDK against a real HTTP server on 127.0.0.1 that misbehaves:
// the first requests get 503, one connection drops mid-request, one drops
// after the server took the batch (so the SDK sends it again). Every event
// must arrive exactly once after dedup by event id — as the pipeline
// dedups — and in seq order per session.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "clickstream/http_transport.h"
#include "clickstream/tracker.h"
#include "support/gzip.h"
#include "support/stack.h"

namespace clickstream::test {
namespace {

using namespace std::chrono_literals;

struct received {
    std::string target;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;                            // inflated
};

// A one-thread HTTP/1.1 server with a script of misbehaviour for POSTs.
class flaky_collector {
public:
    enum class act { answer_503, drop_mid_request, drop_after_taking, answer_200 };

    explicit flaky_collector(std::vector<act> script) : script_(std::move(script)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listener_, 16) != 0) {
            ADD_FAILURE() << "cannot listen on 127.0.0.1";
        }
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~flaky_collector() {
        stop_ = true;
        thread_.join();
        ::close(listener_);
    }
    flaky_collector(const flaky_collector&) = delete;
    flaky_collector& operator=(const flaky_collector&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // Batches the server took (stored before answering, as a collector does).
    std::vector<received> taken() {
        std::lock_guard lock(mutex_);
        return taken_;
    }
    int posts() const { return posts_.load(); }

private:
    // Waits for readable data up to 100 ms at a time while not stopped.
    bool readable(int fd) {
        pollfd p{fd, POLLIN, 0};
        while (!stop_) {
            const int r = ::poll(&p, 1, 100);
            if (r > 0) return true;
            if (r < 0) return false;
        }
        return false;
    }

    // A thread per connection: the shared transport keeps several alive.
    void serve() {
        std::vector<std::thread> connections;
        while (!stop_) {
            if (!readable(listener_)) continue;
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) continue;
            connections.emplace_back([this, fd] {
                while (handle_one(fd)) {
                }
                ::close(fd);
            });
        }
        for (auto& c : connections) c.join();
    }

    // One request on a kept-alive connection; false to close it.
    bool handle_one(int fd) {
        std::string data;
        std::size_t head_end = std::string::npos;
        char buf[8192];
        while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
            if (!readable(fd)) return false;
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return false;
            data.append(buf, static_cast<std::size_t>(n));
        }
        received r;
        const std::string head = data.substr(0, head_end);
        const auto line_end = head.find("\r\n");
        const std::string request_line = head.substr(0, line_end);
        const auto sp1 = request_line.find(' ');
        const auto sp2 = request_line.rfind(' ');
        const std::string method = request_line.substr(0, sp1);
        r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
        std::size_t pos = line_end + 2;
        while (pos < head.size()) {
            auto end = head.find("\r\n", pos);
            if (end == std::string::npos) end = head.size();
            const std::string h = head.substr(pos, end - pos);
            const auto colon = h.find(':');
            if (colon != std::string::npos) {
                std::string name = h.substr(0, colon);
                for (auto& c : name)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                r.headers[name] = h.substr(h.find_first_not_of(' ', colon + 1));
            }
            pos = end + 2;
        }
        if (method == "GET") {
            respond(fd, 200, R"({"site":"shop","session_timeout_s":1200})");
            return true;
        }
        const int n = posts_++;  // the script runs in arrival order across connections
        const act what = n < static_cast<int>(script_.size()) ? script_[n] : act::answer_200;
        if (what == act::drop_mid_request) return false;  // headers read, body never
        const std::size_t length = std::stoul(r.headers["content-length"]);
        std::string body = data.substr(head_end + 4);
        while (body.size() < length) {
            if (!readable(fd)) return false;
            const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
            if (got <= 0) return false;
            body.append(buf, static_cast<std::size_t>(got));
        }
        r.body = r.headers["content-encoding"] == "gzip" ? gunzip(body).value_or("") : body;
        if (what == act::answer_503) {
            respond(fd, 503, "busy");
            return true;
        }
        {
            std::lock_guard lock(mutex_);
            taken_.push_back(std::move(r));
        }
        if (what == act::drop_after_taking) return false;  // taken, but no answer
        respond(fd, 200, "{}");
        return true;
    }

    static void respond(int fd, int status, const std::string& body) {
        const std::string reply =
            "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Busy") +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body;
        (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    }

    std::vector<act> script_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> posts_{0};
    std::mutex mutex_;
    std::vector<received> taken_;
    std::thread thread_;
};

TEST(sdk_delivery, every_event_arrives_once_in_order_through_failures) {
    using act = flaky_collector::act;
    flaky_collector server({act::answer_503, act::answer_503, act::answer_503,
                            act::drop_mid_request, act::drop_after_taking, act::answer_503,
                            act::drop_after_taking});
    http_transport_options http;
    http.gzip = true;
    http.gzip_min_bytes = 1;
    http.timeout_ms = 5000;
    auto shared = make_http_transport(http);
    ASSERT_TRUE(shared);

    // Two trackers (two apps, two visitors) share one transport.
    std::vector<std::unique_ptr<tracker>> trackers;
    for (const char* agent : {"shop-app/1.0", "shop-app/2.0"}) {
        tracker_config c;
        c.options.site = "shop";
        c.options.endpoint = server.url();
        c.options.user_agent = agent;
        c.options.headers = {{"X-Tenant", "t-1"}};
        c.options.batching.max_batch_events = 20;
        c.options.retry.base_ms = 5;
        c.options.retry.max_ms = 50;
        c.transport = *shared;
        c.storage_dir =
            (std::filesystem::temp_directory_path() / unique_name("cs_delivery")).string();
        auto made = tracker::create(std::move(c));
        ASSERT_TRUE(made) << made.error();
        trackers.push_back(std::move(*made));
    }
    constexpr int per_thread = 150;
    std::vector<std::thread> apps;
    for (auto& t : trackers) {
        for (int thread = 0; thread < 2; ++thread) {
            apps.emplace_back([&t, thread] {
                for (int i = 0; i < per_thread; ++i) {
                    EXPECT_TRUE(
                        t->track(screen_view("screen").prop("thread", thread).prop("i", i)));
                }
            });
        }
    }
    for (auto& a : apps) a.join();
    for (auto& t : trackers) ASSERT_TRUE(t->flush(30s));
    EXPECT_GE(server.posts(), 8);

    // Dedup by event id, as enrich does; keep the first arrival.
    std::set<std::string> seen;
    std::map<std::string, std::int64_t> last_seq;  // per session
    std::map<std::string, std::set<std::string>> agents;
    std::size_t duplicates = 0;
    for (const auto& r : server.taken()) {
        EXPECT_EQ(r.target, "/v1/batch?site=shop");
        EXPECT_EQ(r.headers.at("content-type"), "application/json");
        EXPECT_EQ(r.headers.at("x-tenant"), "t-1");
        const auto batch = nlohmann::json::parse(r.body);
        EXPECT_EQ(batch["context"]["session_timeout_s"], 1200);  // learnt from /v1/config
        agents[batch["context"]["anonymous_id"].get<std::string>()].insert(
            r.headers.at("user-agent"));
        for (const auto& e : batch["events"]) {
            if (!seen.insert(e["id"].get<std::string>()).second) {
                ++duplicates;
                continue;
            }
            const auto session = e["session_id"].get<std::string>();
            const auto seq = e["seq"].get<std::int64_t>();
            EXPECT_EQ(seq, last_seq[session] + 1) << "session " << session;
            last_seq[session] = seq;
        }
    }
    EXPECT_EQ(seen.size(), trackers.size() * 2 * per_thread);
    EXPECT_GT(duplicates, 0U);  // the batches taken without an answer came again
    ASSERT_EQ(agents.size(), 2U);
    for (const auto& [anon, uas] : agents) EXPECT_EQ(uas.size(), 1U) << anon;
    for (auto& t : trackers) EXPECT_GE(t->stats().retries, 1U);
}

}  // namespace
}  // namespace clickstream::test
