// What the core needs from its host, as small interfaces: a clock, a random
// source, storage and a transport. The core owns no thread, reads no clock
// and does no I/O of its own, so the same source builds natively and for
// WebAssembly; tests pass fakes (tests/support/).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "clickstream/errc.h"
#include "clickstream/result.h"

namespace clickstream {

// Milliseconds since the Unix epoch, on the device's clock.
class clock {
public:
    virtual ~clock() = default;
    virtual std::int64_t now_ms() noexcept = 0;
};

// Uniform 64-bit values: event, session and anonymous ids (UUIDv4) and the
// backoff's jitter. Not required to be cryptographic.
class random_source {
public:
    virtual ~random_source() = default;
    virtual std::uint64_t next_u64() noexcept = 0;
};

// A callable borrowed for the length of one call: a pointer to it and a
// plain function that calls it. Unlike std::function it neither copies nor
// owns the callable, and costs the wasm beacon no type-erasure machinery.
template <class Signature>
class function_ref;

template <class R, class... Args>
class function_ref<R(Args...)> {
public:
    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, function_ref> &&
             std::is_invocable_r_v<R, F&, Args...>) function_ref(F&& f)
    noexcept  // NOLINT: converts from any callable, as std::function does
        : callable_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* c, Args... a) -> R {
              return (*static_cast<std::remove_reference_t<F>*>(c))(std::forward<Args>(a)...);
          }) {}

    R operator()(Args... a) const { return call_(callable_, std::forward<Args>(a)...); }

private:
    void* callable_;
    R (*call_)(void*, Args...);
};

// Where the tracker keeps what must outlive the process: a few keys of state
// (anonymous id, user id, session, consent) and the queue of events not yet
// delivered. The native SDK keeps them in a crash-safe file, the browser in
// localStorage and cookies; one conformance suite checks both.
class event_store {
public:
    virtual ~event_store() = default;

    // Key-value state. get answers nullopt for a key never put.
    virtual std::optional<std::string> get(std::string_view key) noexcept = 0;
    virtual result<void, errc> put(std::string_view key, std::string_view value) noexcept = 0;

    // Appends one queued record; ids grow with each append and never repeat.
    virtual result<std::uint64_t, errc> append(std::string_view record) noexcept = 0;
    // Forgets delivered or dropped records. Unknown ids are ignored.
    virtual result<void, errc> remove(std::span<const std::uint64_t> ids) noexcept = 0;
    // Calls each(id, record) for every record appended and not removed,
    // oldest first. The record's bytes are only valid during the call.
    virtual result<void, errc> load(
        function_ref<void(std::uint64_t, std::string_view)> each) noexcept = 0;
};

// An HTTP header a tracker adds to its requests.
struct header {
    std::string name;
    std::string value;
};

// One batch to deliver.
struct send_request {
    std::string_view url;         // <endpoint>/v1/batch?site=<key>
    std::string_view body;        // the batch v1 JSON
    std::string_view user_agent;  // empty: the transport's own
    std::span<const header> headers;
    // Set while the host is shutting down: the transport may give up early
    // and answer retry (the batch stays queued).
    const std::atomic<bool>* cancel = nullptr;
};

// What became of a send: delivered, try again later, or give up.
struct send_result {
    enum class outcome : std::uint8_t { sent, retry, drop };

    outcome what = outcome::sent;
    // For retry: the server's Retry-After in ms, or -1 to use the backoff.
    std::int64_t retry_after_ms = -1;
    int status = 0;      // the HTTP status; 0 when there was no answer
    std::string reason;  // for retry and drop: why, for the error callback

    static send_result sent(int status = 200) { return {outcome::sent, -1, status, {}}; }
    static send_result retry(std::string why, int status = 0, std::int64_t retry_after_ms = -1) {
        return {outcome::retry, retry_after_ms, status, std::move(why)};
    }
    static send_result drop(std::string why, int status = 0) {
        return {outcome::drop, -1, status, std::move(why)};
    }
};

// The delivery policy for an HTTP answer, kept in the core so every
// transport applies the same rule: 2xx sent; 408, 429 and 5xx retry
// (honouring Retry-After, in ms, -1 if absent); other statuses drop.
send_result classify_http_status(int status, std::int64_t retry_after_ms) noexcept;

// Moves bytes to the collector. One transport may serve many trackers from
// many threads; implementations say so if they cannot. Blocking is allowed:
// the native tracker calls it on its sender thread, never on the app's.
class transport {
public:
    virtual ~transport() = default;
    virtual send_result send(const send_request& request) noexcept = 0;
    // GET a small document (the site's /v1/config). Default: not supported.
    virtual result<std::string, errc> fetch(std::string_view url) noexcept {
        (void)url;
        return failure{errc::no_transport};
    }
};

}  // namespace clickstream
