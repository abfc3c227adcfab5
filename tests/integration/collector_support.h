// What the collector's integration tests share: the real clickstream-collector
// process started on a free loopback port (topics: support/kafka_admin.h).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/kafka_admin.h"
#include "support/stack.h"

extern char** environ;  // NOLINT: POSIX

namespace clickstream::test {

// A self-signed certificate for 127.0.0.1 made now in `dir` (cert.pem and
// key.pem), as a deployment brings its own; returns the collector's `tls`
// block that serves it on a free port.
inline nlohmann::json tls_with_new_certificate(const std::filesystem::path& dir) {
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " +
        (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return {{"enabled", true},
            {"port", 0},
            {"certificate", (dir / "cert.pem").string()},
            {"private_key", (dir / "key.pem").string()}};
}

// The real clickstream-collector, started with a config file written from
// JSON; its stderr (JSON log lines) is kept for the test to read.
class collector_process {
public:
    // Without an `admin` section the admin listener takes a free port.
    explicit collector_process(nlohmann::json config) {
        dir_ = std::filesystem::temp_directory_path() / unique_name("collector");
        std::filesystem::create_directories(dir_);
        const auto config_path = dir_ / "collector.json";
        if (!config.contains("admin")) config["admin"] = {{"port", 0}};
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
        if (listening.contains("admin_port")) admin_port_ = listening["admin_port"];
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
    // The admin listener (/metrics).
    std::string admin_url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(admin_port_) + path;
    }
    std::string tls_url(const std::string& path) const {
        return "https://127.0.0.1:" + std::to_string(tls_port_) + path;
    }

    // Sends SIGTERM and returns the exit status (-1 if it did not exit normally).
    int terminate() {
        ::kill(pid_, SIGTERM);
        return wait();
    }
    // kill -9: no clean stop (the spool's position is not fsynced).
    void kill() {
        ::kill(pid_, SIGKILL);
        wait();
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
    int admin_port_ = 0;
    std::thread reader_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
    bool closed_ = false;
};

}  // namespace clickstream::test
