#include "support/private_kafka.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/stack.h"

namespace clickstream::test {
namespace {

// A loopback port nothing listens on now; the socket stays open in `fd`
// until the caller closes it, so two calls give two different ports.
int free_port(int& fd) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ADD_FAILURE() << "no free loopback port";
        return 0;
    }
    return ntohs(a.sin_port);
}

bool port_open(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return open;
}

// Alive and not a zombie (the broker is not our child: nobody may reap it soon).
bool process_alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto paren = line.rfind(')');
    if (paren == std::string::npos || paren + 2 >= line.size()) return false;
    const char state = line[paren + 2];
    return state != 'Z' && state != 'X';
}

}  // namespace

private_kafka::private_kafka() {
    var_ = std::filesystem::temp_directory_path() / unique_name("private_kafka");
    std::filesystem::create_directories(var_);
    int fd1 = -1, fd2 = -1;
    port_ = free_port(fd1);
    controller_port_ = free_port(fd2);
    ::close(fd1);
    ::close(fd2);
    start();
}

private_kafka::~private_kafka() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(var_, ec);
}

std::string private_kafka::bootstrap() const {
    return "127.0.0.1:" + std::to_string(port_);
}

bool private_kafka::run_stack(const std::string& args) {
    const auto log = var_ / "stack.log";
    std::ostringstream cmd;
    cmd << "CLICKSTREAM_VAR='" << var_.string() << "' CLICKSTREAM_KAFKA_PORT=" << port_
        << " CLICKSTREAM_KAFKA_CONTROLLER_PORT=" << controller_port_ << " '"
        << (project_root() / "scripts/stack").string() << "' " << args << " >'" << log.string()
        << "' 2>&1";
    const int rc = std::system(cmd.str().c_str());
    if (rc != 0) {
        std::ifstream in(log);
        std::ostringstream text;
        text << in.rdbuf();
        ADD_FAILURE() << "scripts/stack " << args << " failed (" << rc << "):\n" << text.str();
        return false;
    }
    return true;
}

bool private_kafka::start() {
    return run_stack("up kafka");
}

pid_t private_kafka::read_pid() const {
    std::ifstream in(var_ / "run/kafka.pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
}

bool private_kafka::running() const {
    const pid_t pid = read_pid();
    return pid > 0 && process_alive(pid);
}

void private_kafka::kill() {
    const pid_t pid = read_pid();
    ASSERT_GT(pid, 0) << "no broker pid in " << (var_ / "run/kafka.pid");
    ::kill(pid, SIGKILL);
    for (int i = 0; i < 300 && (process_alive(pid) || port_open(port_)); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_FALSE(process_alive(pid)) << "broker " << pid << " survived SIGKILL";
}

void private_kafka::stop() {
    run_stack("down kafka");
}

}  // namespace clickstream::test
