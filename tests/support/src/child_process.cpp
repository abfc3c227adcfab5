#include "support/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

extern char** environ;  // NOLINT: POSIX

namespace clickstream::test {
namespace {

int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

child_process::child_process(child_options options) : options_(std::move(options)) {
    if (options_.argv.empty() || options_.log.empty()) {
        ADD_FAILURE() << "child_process needs a program and a log file";
        exited_ = true;
        return;
    }
    // The environment: the test's own, with the options' entries replacing
    // those of the same name.
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        const auto name = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& o : options_.env) replaced = replaced || o.rfind(name + "=", 0) == 0;
        if (!replaced) env.push_back(entry);
    }
    env.insert(env.end(), options_.env.begin(), options_.env.end());
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<char*> argv;
    for (auto& a : options_.argv) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, options_.log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        ADD_FAILURE() << "cannot start " << options_.argv[0] << ": " << std::strerror(rc);
        exited_ = true;
        pid_ = -1;
    }
}

child_process::~child_process() {
    if (!exited_) kill();
}

bool child_process::running() {
    if (exited_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        status_ = decode(status);
    }
    return !exited_;
}

void child_process::signal(int sig) {
    if (!exited_) ::kill(pid_, sig);
}

void child_process::kill() {
    if (exited_) return;
    ::kill(pid_, SIGKILL);
    wait();
}

int child_process::terminate(std::chrono::milliseconds limit) {
    if (exited_) return status_;
    ::kill(pid_, SIGCONT);  // a stopped child cannot act on SIGTERM
    ::kill(pid_, SIGTERM);
    if (auto s = wait(limit)) return *s;
    ADD_FAILURE() << options_.argv[0] << " ignored SIGTERM for " << limit.count() << " ms";
    ::kill(pid_, SIGKILL);
    return wait().value_or(-1);
}

std::optional<int> child_process::wait(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!exited_) {
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exited_ = true;
            status_ = decode(status);
            break;
        }
        if (r < 0) {
            exited_ = true;
            status_ = -1;
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
}

std::string child_process::log() const {
    // read(2) rather than istreambuf_iterator: GCC 12 at -O2 reports a false
    // null dereference inside <streambuf> for the latter.
    std::string text;
    const int fd = ::open(options_.log.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return text;
    char buffer[1 << 16];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
        text.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return text;
}

std::size_t child_process::log_size() const {
    std::error_code ec;
    const auto n = std::filesystem::file_size(options_.log, ec);
    return ec ? 0 : static_cast<std::size_t>(n);
}

std::optional<std::string> child_process::wait_for_line(const std::string& text,
                                                        std::chrono::milliseconds limit,
                                                        std::size_t from) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        const bool alive = running();
        const std::string all = log();
        if (from < all.size()) {
            const auto hit = all.find(text, from);
            if (hit != std::string::npos) {
                const auto begin = all.rfind('\n', hit);
                const auto start = begin == std::string::npos || begin < from ? from : begin + 1;
                const auto end = all.find('\n', hit);
                return all.substr(start,
                                  end == std::string::npos ? std::string::npos : end - start);
            }
        }
        if (!alive || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace clickstream::test
