// The generator: plays the visitor model through the native SDK, one
// tracker per visit (all sharing one transport), in live or historical
// time, and writes the ground truth as visits end.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>

#include "clickstream/environment.h"
#include "clickstream/result.h"
#include "traffic_gen/catalog.h"
#include "traffic_gen/ground_truth.h"
#include "traffic_gen/recorder.h"

namespace clickstream::traffic_gen {

enum class run_mode : std::uint8_t { live, historical };

struct generator_options {
    run_mode mode = run_mode::historical;
    std::string collector;                          // base URL; batches go to <collector>/v1/batch
    std::string site = "demo";                      // site key
    std::string origin = "https://shop.example";    // Origin header sent; empty: none
    std::string base_url = "https://shop.example";  // the shop's pages
    std::uint64_t seed = 1;
    std::uint64_t visitors = 0;            // 0: 1000 in historical mode, unlimited in live mode
    int days = 28;                         // historical window
    std::optional<std::int64_t> start_ms;  // historical: window start; default today - days, UTC
    double rate = 6;                       // live: new visitors per minute
    double duration_s = 0;                 // live: stop after this long; 0: when stopped
    double bot_share = 0.1;                // of visitors
    std::optional<std::int64_t> session_timeout_s;  // default: the collector's, else 1800
    std::string ground_truth;                       // file; empty: none
    std::string data_dir;                           // node_modules with the data packages
    std::string state_dir;                     // the trackers' stores; empty: a temporary folder
    std::int64_t delivery_timeout_ms = 30000;  // per visit, at its end
    bool gzip = true;
    bool progress = true;
};

// Parses the command line (without argv[0]). An error says what is wrong;
// "--help" gives the error "help".
result<generator_options, std::string> parse_arguments(std::span<const std::string> args);
std::string usage();

struct run_report {
    truth_totals truth;
    delivery_counts delivery;
    std::uint64_t sent_events = 0;      // delivered, as the trackers count them
    std::uint64_t rejected_events = 0;  // refused by the collector
    std::int64_t session_timeout_s = 0;
    bool stopped = false;  // stopped early (a signal, --duration)
};

struct run_environment {
    // Null: the SDK's HTTP transport (curl).
    std::shared_ptr<clickstream::transport> transport;
    std::ostream* ground_truth = nullptr;
    std::ostream* progress = nullptr;         // stderr for people; null: quiet
    const std::atomic<bool>* stop = nullptr;  // set: close open visits and finish
};

// Runs to the end (historical), or until stopped, --duration or the last
// visitor (live). Fails with a sentence when the collector refuses batches
// or does not take them within the delivery timeout.
result<run_report, std::string> run(const generator_options& options, const catalog& data,
                                    const run_environment& env);

}  // namespace clickstream::traffic_gen
