// What the collector's integration tests share: a topic of their own on the
// stack's broker, reading a topic back through common's consumer, and the
// real clickstream-collector process started on a free loopback port.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/kafka/consumer.h"
#include "support/stack.h"

extern char** environ;  // NOLINT: POSIX

namespace clickstream::test {

// Creates `name` with librdkafka's admin API and waits until its metadata shows.
inline void create_topic(const std::string& name, int partitions = 2) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", kafka_bootstrap().c_str(), err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ASSERT_NE(rk, nullptr) << err;
    rd_kafka_NewTopic_t* topic =
        rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err, sizeof err);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &topic, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
    ASSERT_NE(ev, nullptr) << "no answer to CreateTopics";
    size_t n = 0;
    const auto** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    ASSERT_EQ(n, 1U);
    EXPECT_EQ(rd_kafka_topic_result_error(results[0]), RD_KAFKA_RESP_ERR_NO_ERROR)
        << rd_kafka_topic_result_error_string(results[0]);
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(topic);
    // A new topic's metadata can take a moment to appear.
    for (int i = 0; i < 100; ++i) {
        rd_kafka_topic_t* t = rd_kafka_topic_new(rk, name.c_str(), nullptr);
        const rd_kafka_metadata_t* md = nullptr;
        bool ready = false;
        if (rd_kafka_metadata(rk, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ready = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                    md->topics[0].partition_cnt == partitions;
            rd_kafka_metadata_destroy(md);
        }
        rd_kafka_topic_destroy(t);
        if (ready) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    rd_kafka_destroy(rk);
}

using consumed = std::vector<common::kafka::consumed_message>;

// Reads `topic` from the start until `enough(what was read)` or `limit` passed.
inline consumed read_topic_until(const std::string& topic,
                                 const std::function<bool(const consumed&)>& enough,
                                 std::chrono::seconds limit = std::chrono::seconds(60)) {
    std::ostringstream log_text;
    common::logger log(log_text, "test", common::log_level::warn);
    common::kafka::consumer_options o;
    o.brokers = kafka_bootstrap();
    o.group_id = unique_name("it_read");
    o.topics = {topic};
    auto c = common::kafka::consumer::create(o, log);
    EXPECT_TRUE(c) << log_text.str();
    std::vector<common::kafka::consumed_message> out;
    if (!c) return out;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!enough(out) && std::chrono::steady_clock::now() < deadline) {
        auto m = (*c)->poll(std::chrono::milliseconds(500));
        if (m && *m) out.push_back(std::move(**m));
    }
    (*c)->close();
    return out;
}

// Reads `topic` from the start until `count` messages came or `limit` passed.
inline consumed read_topic(const std::string& topic, std::size_t count,
                           std::chrono::seconds limit = std::chrono::seconds(60)) {
    return read_topic_until(
        topic, [count](const consumed& got) { return got.size() >= count; }, limit);
}

inline std::string header_of(const common::kafka::consumed_message& m, std::string_view name) {
    const auto* h = m.msg.find_header(name);
    return h == nullptr ? "<absent>" : h->value;
}

// The real clickstream-collector, started with a config file written from
// JSON; its stderr (JSON log lines) is kept for the test to read.
class collector_process {
public:
    explicit collector_process(const nlohmann::json& config) {
        dir_ = std::filesystem::temp_directory_path() / unique_name("collector");
        std::filesystem::create_directories(dir_);
        const auto config_path = dir_ / "collector.json";
        std::ofstream(config_path) << config.dump(2);
        int fds[2];
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
        const std::string bin = CLICKSTREAM_COLLECTOR_BIN;
        const std::string path = config_path.string();
        char* argv[] = {const_cast<char*>(bin.c_str()), const_cast<char*>("--config"),
                        const_cast<char*>(path.c_str()), nullptr};
        EXPECT_EQ(posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv, environ), 0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        reader_ = std::thread([this, fd = fds[0]] { read_lines(fd); });
        const auto listening = wait_for_event("listening");
        if (listening.contains("http_port")) http_port_ = listening["http_port"];
        if (listening.contains("tls_port")) tls_port_ = listening["tls_port"];
    }
    ~collector_process() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            wait();
        }
        if (reader_.joinable()) reader_.join();
        std::filesystem::remove_all(dir_);
    }

    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(http_port_) + path;
    }
    std::string tls_url(const std::string& path) const {
        return "https://127.0.0.1:" + std::to_string(tls_port_) + path;
    }

    // Sends SIGTERM and returns the exit status (-1 if it did not exit normally).
    int terminate() {
        ::kill(pid_, SIGTERM);
        return wait();
    }
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    // The first log line with this event (waits up to 30 s); {} if none came.
    nlohmann::json wait_for_event(const std::string& event) {
        std::unique_lock lock(mutex_);
        nlohmann::json found;
        cv_.wait_for(lock, std::chrono::seconds(30), [&] {
            for (const auto& line : lines_) {
                auto j = nlohmann::json::parse(line, nullptr, false);
                if (!j.is_discarded() && j.value("event", "") == event) {
                    found = j;
                    return true;
                }
            }
            return closed_;
        });
        return found;
    }
    std::string log_text() {
        std::lock_guard lock(mutex_);
        std::string out;
        for (const auto& l : lines_) out += l + "\n";
        return out;
    }

private:
    void read_lines(int fd) {
        std::string partial;
        char buf[4096];
        ssize_t n = 0;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) {
            partial.append(buf, static_cast<std::size_t>(n));
            std::size_t nl = 0;
            while ((nl = partial.find('\n')) != std::string::npos) {
                std::lock_guard lock(mutex_);
                lines_.push_back(partial.substr(0, nl));
                partial.erase(0, nl + 1);
                cv_.notify_all();
            }
        }
        ::close(fd);
        std::lock_guard lock(mutex_);
        closed_ = true;
        cv_.notify_all();
    }

    std::filesystem::path dir_;
    pid_t pid_ = 0;
    bool exited_ = false;
    int http_port_ = 0;
    int tls_port_ = 0;
    std::thread reader_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
    bool closed_ = false;
};

}  // namespace clickstream::test
