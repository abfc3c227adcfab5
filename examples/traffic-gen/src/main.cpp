// clickstream-traffic-gen: realistic visitors and bots through the native
// SDK, with a ground truth of what it meant. See README.md.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <vector>

#include "traffic_gen/generator.h"

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_signal(int) {
    stop_requested.store(true);
}

}  // namespace

int main(int argc, char** argv) {
    namespace tg = clickstream::traffic_gen;
    const std::vector<std::string> args(argv + 1, argv + argc);
    auto parsed = tg::parse_arguments(args);
    if (!parsed) {
        if (parsed.error() == "help") {
            std::cout << tg::usage();
            return 0;
        }
        std::cerr << "clickstream-traffic-gen: " << parsed.error() << '\n';
        return 2;
    }
    tg::generator_options options = *parsed;
    if (options.data_dir.empty()) {
        const char* root = std::getenv("CLICKSTREAM_ROOT");
        options.data_dir =
            std::string(root != nullptr ? root : CLICKSTREAM_TRAFFIC_GEN_SOURCE_ROOT) +
            "/node_modules";
    }
    tg::catalog data;
    try {
        data = tg::load_catalog(tg::default_data_paths(options.data_dir));
    } catch (const std::exception& e) {
        std::cerr << "clickstream-traffic-gen: " << e.what() << '\n';
        return 2;
    }
    std::ofstream truth;
    if (!options.ground_truth.empty()) {
        truth.open(options.ground_truth, std::ios::trunc);
        if (!truth) {
            std::cerr << "clickstream-traffic-gen: cannot write " << options.ground_truth << '\n';
            return 2;
        }
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    tg::run_environment env;
    env.ground_truth = truth.is_open() ? &truth : nullptr;
    env.progress = &std::cerr;
    env.stop = &stop_requested;
    const auto ran = tg::run(options, data, env);
    if (!ran) {
        std::cerr << "clickstream-traffic-gen: " << ran.error() << '\n';
        return 1;
    }
    const auto& r = *ran;
    std::cerr << "clickstream-traffic-gen: " << (r.stopped ? "stopped" : "done") << ": "
              << r.truth.visitors << " visitors (" << r.truth.bot_visitors << " bots), "
              << r.truth.sessions << " sessions, " << r.truth.events << " events tracked; "
              << r.sent_events << " delivered, " << r.rejected_events << " refused, "
              << r.delivery.batches_retried << " batch retries; session timeout "
              << r.session_timeout_s << " s\n";
    if (truth.is_open()) {
        truth.close();
        if (!truth) {
            std::cerr << "clickstream-traffic-gen: writing " << options.ground_truth << " failed\n";
            return 1;
        }
    }
    return r.rejected_events > 0 ? 1 : 0;
}
