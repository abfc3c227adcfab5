// clickstream::tracker: the native SDK for apps. Thread-safe; track() and
// friends never block on I/O: they stamp the event's time and hand it to the
// tracker's sender thread, which stores it, batches it and sends it.
//
//   auto made = clickstream::tracker::create(config);
//   if (!made) { log(made.error()); return; }
//   auto& t = **made;
//   t.track(clickstream::screen_view("Home"));
//   t.poll(0ms);                    // error callbacks run here, on your thread
//   t.shutdown(2s);                 // flushes what it can, keeps the rest on disk
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "clickstream/environment.h"
#include "clickstream/errc.h"
#include "clickstream/event.h"
#include "clickstream/http_transport.h"
#include "clickstream/options.h"
#include "clickstream/result.h"
#include "clickstream/tracker_core.h"

namespace clickstream {

struct tracker_config {
    tracker_options options;
    // Shared by any number of trackers. Null: make_http_transport() of this
    // build (curl), with http below.
    std::shared_ptr<clickstream::transport> transport;
    http_transport_options http;
    // Where the queue and identity live across runs; empty: memory only.
    std::string storage_dir;
    bool sync_every_write = false;  // see file_store_options
    // Null: the system clock; random bits from std::random_device.
    std::shared_ptr<clickstream::clock> clock;
    std::shared_ptr<random_source> random;
    // Ask the collector for the site's session timeout at start.
    bool fetch_remote_config = true;
    // Called from poll() only, on the caller's thread.
    std::function<void(const error_report&)> on_error;
};

// Sets one option by name, as the C API's cs_conf_set and config files do
// ("flush.interval.ms" = "5000"). The names are listed in docs/sdk.md.
struct option_error {
    bool unknown = false;  // no such option (else: a bad value)
    std::string reason;
};
result<void, option_error> configure(tracker_config& config, std::string_view name,
                                     std::string_view value);

class tracker {
public:
    // Validates the options, opens the storage and starts the sender thread.
    // The error says what is wrong.
    static result<std::unique_ptr<tracker>, std::string> create(tracker_config config);
    // shutdown(2 s) if not done yet.
    ~tracker();
    tracker(const tracker&) = delete;
    tracker& operator=(const tracker&) = delete;

    // Checks the event on the calling thread (invalid_argument, too_large),
    // then queues it; shutting_down once shutdown() began. When the hand-over
    // queue is full the oldest waiting event is dropped and counted.
    result<void, errc> track(event e) noexcept;
    // Sets the user id and tracks an identify event; `at` as for an event's
    // true time (imports, server-side sign-ins).
    result<void, errc> identify(std::string user_id,
                                std::optional<std::int64_t> at = std::nullopt) noexcept;
    void reset() noexcept;
    void set_consent(consent c) noexcept;
    void on_lifecycle(lifecycle moment) noexcept;

    // Asks for everything queued to be sent now; does not wait.
    void flush() noexcept;
    // Sends everything queued and waits up to `timeout` for it to be
    // delivered (or refused). timed_out: what is left stays queued.
    result<void, errc> flush(std::chrono::milliseconds timeout) noexcept;
    // Runs on_error for the errors reported since the last call, waiting up
    // to `timeout` for the first; returns how many it ran.
    int poll(std::chrono::milliseconds timeout) noexcept;
    // Stops taking events, sends what it can within `timeout`, keeps the
    // rest in storage for the next run, stops the thread. Idempotent.
    result<void, errc> shutdown(std::chrono::milliseconds timeout) noexcept;

    tracker_stats stats() const noexcept;
    std::string anonymous_id() const noexcept;

    class impl;

private:
    explicit tracker(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

}  // namespace clickstream
