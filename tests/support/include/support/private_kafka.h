// private_kafka: a Kafka broker of the test's own, for fault tests that must
// stop a broker without touching the shared stack's. It runs `scripts/stack up
// kafka` with a temporary CLICKSTREAM_VAR and two free loopback ports; kill()
// is a kill -9, start() again brings it back on the same ports and data, and
// the destructor stops it and deletes its directory. No topics are made:
// create them with support/kafka_admin.h and bootstrap().
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace clickstream::test {

class private_kafka {
public:
    // Starts the broker; fails the current test (ADD_FAILURE) if it did not come up.
    private_kafka();
    ~private_kafka();

    private_kafka(const private_kafka&) = delete;
    private_kafka& operator=(const private_kafka&) = delete;

    std::string bootstrap() const;  // "127.0.0.1:<port>"
    int port() const { return port_; }

    // `scripts/stack up kafka`: returns once the broker answers (false, with
    // the script's output in a test failure, if it did not within its limit).
    bool start();
    // SIGKILL to the broker's JVM; returns once the process is gone and its
    // port is closed.
    void kill();
    // `scripts/stack down kafka` (TERM, then KILL after 30 s).
    void stop();
    bool running() const;
    // The broker's JVM (0 if it never started): for SIGSTOP/SIGCONT.
    pid_t pid() const { return read_pid(); }

private:
    bool run_stack(const std::string& args);
    pid_t read_pid() const;

    std::filesystem::path var_;
    int port_ = 0;
    int controller_port_ = 0;
};

}  // namespace clickstream::test
