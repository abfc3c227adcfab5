// child_process: a program a test starts, signals and waits for. Its stderr
// (and stdout) go to a file the test can read and search while it runs, so a
// test waits for a log line rather than for time to pass. The destructor
// kills (SIGKILL) and reaps a child still running: no test leaves processes
// behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace clickstream::test {

struct child_options {
    std::vector<std::string> argv;  // argv[0] is the program's path
    std::vector<std::string> env;   // "NAME=value", added to (or replacing in) the test's own
    std::filesystem::path log;      // stderr and stdout, appended; required
};

class child_process {
public:
    // Spawns the program; fails the current test (ADD_FAILURE) if it could not.
    explicit child_process(child_options options);
    ~child_process();

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }
    const std::filesystem::path& log_path() const { return options_.log; }

    // True until the child has exited (reaps it when it has).
    bool running();
    // Sends a signal (SIGSTOP, SIGCONT, …) to a running child.
    void signal(int sig);
    // kill -9, then reaps it.
    void kill();
    // SIGTERM; SIGKILL if it has not exited within `limit`. The exit status.
    int terminate(std::chrono::milliseconds limit = std::chrono::seconds(30));
    // Waits for the exit: its status (0–255), or 128 + signal number if a
    // signal ended it; nullopt if it was still running after `limit`.
    std::optional<int> wait(std::chrono::milliseconds limit = std::chrono::hours(1));

    // The log so far.
    std::string log() const;
    // The first log line (from byte `from` on) containing `text`, waiting up
    // to `limit` for it; nullopt if none came or the child exited first.
    std::optional<std::string> wait_for_line(const std::string& text,
                                             std::chrono::milliseconds limit, std::size_t from = 0);
    // The log's current size: pass it as `from` to wait for a line written
    // after this moment.
    std::size_t log_size() const;

private:
    child_options options_;
    pid_t pid_ = -1;
    bool exited_ = false;
    int status_ = 0;
};

}  // namespace clickstream::test
