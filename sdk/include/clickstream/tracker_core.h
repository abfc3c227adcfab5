// tracker_core: the one event-batching engine that the native SDK and the
// browser beacon are built from. Single-threaded, with no clock, thread or
// I/O of its own: the host (the native sender thread, the beacon's JS
// timers) calls it and moves the bytes.
//
//   tracker_core core(options, clock, random, store);
//   core.start();
//   core.track(screen_view("Home"));
//   if (auto batch = core.next_batch()) core.complete(*batch, transport.send(...));
//   wait until core.next_wakeup_ms(), or pump(transport) in one call.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clickstream/environment.h"
#include "clickstream/errc.h"
#include "clickstream/event.h"
#include "clickstream/options.h"
#include "clickstream/result.h"

namespace clickstream {

class batcher;
class session_tracker;
struct identity;
struct queued_event;

// A counted handle to who events were tracked for (the anonymous and user
// id), shared by the events tracked between two identity changes. The core
// is single-threaded, so the count is plain (std::shared_ptr would also pull
// the runtime's RTTI support into the wasm beacon).
class identity_ref {
public:
    identity_ref() = default;
    identity_ref(std::string anonymous_id, std::string user_id);
    identity_ref(const identity_ref& o) noexcept;
    identity_ref(identity_ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    identity_ref& operator=(identity_ref o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~identity_ref();
    const identity& operator*() const noexcept { return *p_; }
    const identity* operator->() const noexcept { return p_; }

private:
    identity* p_ = nullptr;
};

// An error the host reports to the app (the native SDK through poll()).
struct error_report {
    errc code = errc::ok;
    int status = 0;          // HTTP status where there was one
    std::size_t events = 0;  // events concerned
    std::string reason;
};

// Counters since start, for apps, tests and benchmarks.
struct tracker_stats {
    std::size_t queued_events = 0;
    std::size_t queued_bytes = 0;
    std::size_t held_events = 0;  // waiting for consent
    std::uint64_t sent_events = 0;
    std::uint64_t sent_batches = 0;
    std::uint64_t dropped_queue_full = 0;
    std::uint64_t dropped_consent_denied = 0;
    std::uint64_t dropped_rejected = 0;
    std::uint64_t retries = 0;
};

// A batch ready to send: its body carries sent_at for this attempt.
struct outgoing_batch {
    std::uint64_t token = 0;
    std::size_t events = 0;
    std::string url;
    std::string body;
};

// App lifecycle moments that flush: going to the background, a page hide.
enum class lifecycle : std::uint8_t { background, page_hide, foreground };

class tracker_core {
public:
    // The references must outlive the core. Options are validated by the
    // caller (validate(tracker_options)).
    tracker_core(tracker_options options, clock& clk, random_source& random, event_store& store);
    ~tracker_core();
    tracker_core(const tracker_core&) = delete;
    tracker_core& operator=(const tracker_core&) = delete;

    // Reads identity, consent and the queue left by a previous run; queued
    // events are sent at the first chance. Call once, before anything else.
    result<void, errc> start() noexcept;

    // Stamps the event (id, ts, session, seq), encodes it and queues it
    // (stored first). Errors are values: invalid events are refused whole.
    //
    // encoded_props, when not empty, is written as the event's props instead
    // of e.props: the members of the props object already encoded
    // ("k":v,...), each checked by the caller against batch_v1's property
    // rules. For a host that gets its properties one by one (the wasm
    // beacon): it encodes them with the core's json_writer as they come
    // instead of building e.props (-0.5 KB gzipped of its wasm).
    result<void, errc> track(const event& e, std::string_view encoded_props = {}) noexcept;
    // Sets the user id (context.user_id of later batches) and tracks an
    // identify event. `at` is the sign-in's real time (sent as true_ts, as
    // for track), `ts` its device time; unset: the tracker's clock.
    result<void, errc> identify(std::string user_id, std::optional<std::int64_t> at = std::nullopt,
                                std::optional<std::int64_t> ts = std::nullopt) noexcept;
    // Log-out: a new anonymous id, no user id, a new session at the next event.
    void reset() noexcept;

    void set_consent(consent c) noexcept;
    consent current_consent() const noexcept { return consent_; }

    // The collector's value for the site replaces the configured timeout.
    result<void, errc> set_session_timeout_s(std::int64_t seconds) noexcept;
    std::int64_t session_timeout_s() const noexcept;

    // Events that the host lost before they reached the core (the native
    // inbox overflowing): counted as queue_full, and their seq numbers skipped
    // so that gaps less dropped stays exact.
    void note_lost_before_tracking(std::size_t events) noexcept;

    // Sends everything queued as soon as the backoff allows.
    void flush() noexcept;
    void on_lifecycle(lifecycle moment) noexcept;

    // The next batch if one is due now, stamped with sent_at = now. At most
    // one batch is in flight; complete() must follow with the answer.
    std::optional<outgoing_batch> next_batch() noexcept;
    void complete(const outgoing_batch& batch, const send_result& result) noexcept;
    // One step for synchronous hosts: next_batch, send, complete. True if
    // a batch was sent (whatever the answer).
    bool pump(transport& t) noexcept;

    // When next_batch() may next have something (ms since the epoch):
    // INT64_MAX while nothing is queued, consent is not granted, or a batch
    // is in flight.
    std::int64_t next_wakeup_ms() const noexcept;
    // True when nothing is queued or in flight.
    bool drained() const noexcept;

    // Errors since the last call, oldest first (bounded; excess is counted
    // in the last report). None in a core built with
    // CLICKSTREAM_NO_ERROR_REPORTS (the wasm beacon, which never asks).
    std::vector<error_report> take_errors() noexcept;
    // Counters since start (those of sent and dropped events stay 0 in a
    // core built with CLICKSTREAM_NO_STATS: the wasm beacon, which never
    // asks) and the queue's state now.
    tracker_stats stats() const noexcept;
    const std::string& anonymous_id() const noexcept { return anonymous_id_; }
    const std::string& user_id() const noexcept { return user_id_; }

private:
    // Why an error was reported: the text is looked up only by take_errors().
    enum why : std::uint8_t {
        from_transport,  // the transport's own reason, kept as the detail
        anonymous_id_not_stored,
        unreadable_records,
        queue_unreadable,
        session_not_stored,
        held_events_dropped,
        event_not_stored,
        oldest_dropped,
        user_id_not_stored,
        new_anonymous_id_not_stored,
        consent_not_stored,
        timeout_not_stored,
        lost_before_tracking,
    };
    struct pending_error {
        errc code = errc::ok;
        int status = 0;
        std::size_t events = 0;
        why reason = from_transport;
        std::string detail;
    };
    void report(errc code, int status, std::size_t events, why reason,
                std::string_view detail = {}) noexcept;
    void adopt_identity() noexcept;
    void enqueue(queued_event q) noexcept;
    std::string new_uuid() noexcept;

    tracker_options options_;
    clock& clock_;
    random_source& random_;
    event_store& store_;
    std::unique_ptr<session_tracker> sessions_;
    std::unique_ptr<batcher> batcher_;
    std::string anonymous_id_;
    std::string user_id_;
    identity_ref who_;  // shared by the events tracked for it
    consent consent_ = consent::granted;
    std::vector<queued_event> held_;  // waiting for consent, in memory only
    std::string url_;
    tracker_stats stats_;
    // Errors since the last take_errors(), oldest first: a fixed array, as
    // the count is bounded (the last one absorbs the excess), so reporting
    // never grows a vector.
    static constexpr std::size_t max_error_reports = 64;
    std::array<pending_error, max_error_reports> errors_{};
    std::size_t error_count_ = 0;
};

// Parses the session timeout from a /v1/config answer
// ({"session_timeout_s":1800,...}); the value must be in the contract's range.
result<std::int64_t, errc> parse_session_timeout(std::string_view config_json) noexcept;

}  // namespace clickstream
