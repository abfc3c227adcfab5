// The beacon's exports to its JavaScript (wasm/js/core.js) and the imports it
// calls back. Everything below this file is the SDK core, compiled unchanged:
// the JS supplies the clock, random bytes, the store (cookies and
// localStorage) and moves the bytes (fetch, sendBeacon); batching, retry,
// sessions and encoding stay in the core.
//
// Strings cross in UTF-8 through one scratch buffer (cs_buffer): the JS
// writes them there and passes (offset, length). Numbers cross as doubles.
//
// The module's import and export names are one letter each (the imports'
// module is "e"): the names are bytes of the module and of core.js, and
// spelled out they cost what a page downloads ~0.2 KB gzipped. Each
// declaration below names its letter; core.js uses the same.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>

#include "clickstream/tracker_core.h"
#include "clickstream/wire/batch_v1.h"
#include "core/json_writer.h"

#define CS_IMPORT(name) __attribute__((import_module("e"), import_name(#name)))
#define CS_EXPORT(name) __attribute__((export_name(#name)))

extern "C" {
// Milliseconds since the epoch (Date.now()).
CS_IMPORT(t) double cs__js_now();
// Fills n bytes with crypto.getRandomValues.
CS_IMPORT(r) void cs__js_random(void* dst, int n);
// Store: get answers the value's length (-1: absent) and keeps the bytes for
// read(); put/append/remove answer 0 on failure; append answers the new id.
CS_IMPORT(g) int cs__js_get(const char* key, int key_len);
CS_IMPORT(c) void cs__js_read(char* dst);
CS_IMPORT(p) int cs__js_put(const char* key, int key_len, const char* v, int v_len);
CS_IMPORT(a) double cs__js_append(const char* v, int v_len);
CS_IMPORT(x) void cs__js_remove(double id);
// String(v) for a finite v (Number#toString): answers its length and keeps
// the bytes for read().
CS_IMPORT(n) int cs__js_number(double v);
// The stored queue, oldest first: each call answers the next record's length
// (-1 at the end), writes its id to *id and keeps the bytes for read().
CS_IMPORT(l) int cs__js_load_next(double* id);
}

// Allocation without the runtime's new-handler loop and std::bad_alloc,
// whose type info pulls the C++ runtime's RTTI support into the module: out
// of memory is fatal to the page's tracking either way.
void* operator new(std::size_t n) {
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    __builtin_trap();
}
void* operator new[](std::size_t n) {
    return operator new(n);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}

// libc++ calls abort() where it would throw (-fno-exceptions; a string or
// vector past its max_size). libc's abort exits through WASI's proc_exit, an
// import the page would have to supply: the module is linked with
// --wrap=abort, and this traps instead, as out of memory does above.
extern "C" [[noreturn]] void __wrap_abort() {
    __builtin_trap();
}

namespace clickstream {

// The core's append_json_number (json_writer.h) is Number#toString, which
// its json_number.cpp rebuilds for hosts without one; here the host's is
// called, and that file is left out of the module.
void append_json_number(std::string& out, double v) {
    char digits[32];  // Number#toString writes at most 25
    const int n = cs__js_number(v);
    cs__js_read(digits);
    out.append(digits, static_cast<std::size_t>(n));
}

}  // namespace clickstream

namespace {

using namespace clickstream;

struct js_clock final : clock {
    std::int64_t now_ms() noexcept override { return static_cast<std::int64_t>(cs__js_now()); }
};

struct js_random final : random_source {
    std::uint64_t next_u64() noexcept override {
        std::uint64_t v = 0;
        cs__js_random(&v, sizeof v);
        return v;
    }
};

std::string take_pending(int n) {
    std::string s(static_cast<std::size_t>(n), '\0');
    if (n > 0) cs__js_read(s.data());
    return s;
}

struct js_store final : event_store {
    std::optional<std::string> get(std::string_view key) noexcept override {
        const int n = cs__js_get(key.data(), static_cast<int>(key.size()));
        if (n < 0) return std::nullopt;
        return take_pending(n);
    }
    result<void, errc> put(std::string_view key, std::string_view v) noexcept override {
        if (cs__js_put(key.data(), static_cast<int>(key.size()), v.data(),
                       static_cast<int>(v.size())) == 0) {
            return failure{errc::storage_failed};
        }
        return {};
    }
    result<std::uint64_t, errc> append(std::string_view r) noexcept override {
        const double id = cs__js_append(r.data(), static_cast<int>(r.size()));
        if (id <= 0) return failure{errc::storage_failed};
        return static_cast<std::uint64_t>(id);
    }
    result<void, errc> remove(std::span<const std::uint64_t> ids) noexcept override {
        for (const auto id : ids) cs__js_remove(static_cast<double>(id));
        return {};
    }
    result<void, errc> load(
        function_ref<void(std::uint64_t, std::string_view)> each) noexcept override {
        double id = 0;
        for (int n; (n = cs__js_load_next(&id)) >= 0;) {
            const std::string r = take_pending(n);
            each(static_cast<std::uint64_t>(id), r);
        }
        return {};
    }
};

// The string fields cs_set fills: options before cs_init, then the event
// being built.
enum field : int {
    f_site,
    f_endpoint,
    f_sdk_version,
    f_tab_id,
    f_language,
    f_time_zone,
    f_url,
    f_referrer,
    f_title,
    f_name,
    f_currency,
    f_selector,
    f_text,
    f_href,
};

// The numeric fields cs_set_number fills.
enum number_field : int {
    n_screen_w,
    n_screen_h,
    n_viewport_w,
    n_viewport_h,
    n_timeout_s,
    n_flush_ms,
    n_webdriver,
    n_consent,
    n_value,
    n_depth,
    n_outbound,
    n_at,
};

// The page's one tracker and what the exports share. It lives as long as
// the page: nothing here is ever destroyed, and the core is made in place
// (no unique_ptr, whose reset would link the core's destructor).
struct beacon {
    js_clock clk;
    js_random random;
    js_store store;
    tracker_options options;
    tracker_core* core = nullptr;
    alignas(tracker_core) unsigned char core_space[sizeof(tracker_core)];
    std::optional<event> next{std::in_place};  // always engaged: emplace() renews it
    // The event's props, encoded as they come (tracker_core::track's
    // encoded_props): how many, and the first one that breaks batch_v1's
    // property rules.
    std::string props;
    std::optional<json_writer> props_writer{std::in_place, props};
    std::size_t props_count = 0;
    errc props_error = errc::ok;
    std::optional<outgoing_batch> out;
};

beacon b;
// The scratch buffer: plain memory (a std::string's resize cost the module
// ~0.2 KB), kept when it grows, as an argument may be in it already.
char* scratch = nullptr;
std::uint32_t scratch_size = 0;

std::string_view arg(std::uint32_t off, std::uint32_t len) {
    if (off > scratch_size || len > scratch_size - off) return {};
    return {scratch + off, len};
}

beacon& the() {
    return b;
}

}  // namespace

extern "C" {

// The scratch buffer, at least n bytes; the JS writes arguments there.
CS_EXPORT(b) char* cs_buffer(std::uint32_t n) {
    if (scratch_size < n) {
        auto* grown = static_cast<char*>(operator new(n));
        if (scratch_size > 0) std::memcpy(grown, scratch, scratch_size);
        operator delete(scratch);
        scratch = grown;
        scratch_size = n;
    }
    return scratch;
}

// Sets a string option (before cs_init) or field of the event being built.
CS_EXPORT(s) void cs_set(int f, std::uint32_t off, std::uint32_t len) {
    beacon& t = the();
    std::string v(arg(off, len));
    auto& c = t.options.context;
    auto& e = *t.next;
    auto el = [&]() -> element_info& {
        if (!e.element) e.element.emplace();
        return *e.element;
    };
    switch (f) {
        case f_site:
            t.options.site = std::move(v);
            break;
        case f_endpoint:
            t.options.endpoint = std::move(v);
            break;
        case f_sdk_version:
            t.options.sdk_version = std::move(v);
            break;
        case f_tab_id:
            c.tab_id = std::move(v);
            break;
        case f_language:
            c.language = std::move(v);
            break;
        case f_time_zone:
            c.time_zone = std::move(v);
            break;
        case f_url:
            e.url = std::move(v);
            break;
        case f_referrer:
            e.referrer = std::move(v);
            break;
        case f_title:
            e.title = std::move(v);
            break;
        case f_name:
            e.name = std::move(v);
            break;
        case f_currency:
            e.currency = std::move(v);
            break;
        case f_selector:
            el().selector = std::move(v);
            break;
        case f_text:
            el().text = std::move(v);
            break;
        case f_href:
            el().href = std::move(v);
            break;
        default:
            break;
    }
}

CS_EXPORT(v) void cs_set_number(int f, double v) {
    beacon& t = the();
    auto& c = t.options.context;
    auto& e = *t.next;
    const auto u = static_cast<std::uint32_t>(v);
    switch (f) {
        // In either order: the JS sets the fields an object has, in its order.
        case n_screen_w:
            (c.screen ? *c.screen : c.screen.emplace()).w = u;
            break;
        case n_screen_h:
            (c.screen ? *c.screen : c.screen.emplace()).h = u;
            break;
        case n_viewport_w:
            (c.viewport ? *c.viewport : c.viewport.emplace()).w = u;
            break;
        case n_viewport_h:
            (c.viewport ? *c.viewport : c.viewport.emplace()).h = u;
            break;
        case n_timeout_s:
            t.options.session.timeout_s = static_cast<std::int64_t>(v);
            break;
        case n_flush_ms:
            t.options.batching.flush_interval_ms = static_cast<std::int64_t>(v);
            break;
        case n_webdriver:
            c.webdriver = v != 0;
            break;
        case n_consent:
            t.options.initial_consent = static_cast<consent>(u);
            break;
        case n_value:
            e.value = v;
            break;
        case n_depth:
            e.depth = static_cast<int>(v);
            break;
        case n_outbound:
            if (!e.element) e.element.emplace();
            e.element->outbound = v != 0;
            break;
        case n_at:
            e.at = static_cast<std::int64_t>(v);
            break;
        default:
            break;
    }
}

// Makes the tracker from the options set; 0, or the errc of start() (the
// tracker runs anyway). The options are not checked here: core.js checks
// those a page passes as the core's options_error would (is_valid cost the
// module 0.46 KB gzipped), and the rest are set here to values it accepts.
CS_EXPORT(i) int cs_init() {
    beacon& t = the();
    if (t.core) return 0;
    auto& o = t.options;
    o.sdk_name = "clickstream-web";
    o.context.platform_kind = platform::web;
    // localStorage holds about 5 MB per origin, shared with the site.
    o.batching.max_queue_events = 1000;
    o.batching.max_queue_bytes = 1024 * 1024;
    t.core = new (t.core_space) tracker_core(std::move(o), t.clk, t.random, t.store);
    const auto started = t.core->start();
    return started ? 0 : static_cast<int>(started.error());
}

// Starts a new event of this type (clickstream::event_type).
CS_EXPORT(e) void cs_event(int type) {
    beacon& t = the();
    t.next.emplace().type = static_cast<event_type>(type);
    t.props.clear();
    t.props_writer.emplace(t.props);
    t.props_count = 0;
    t.props_error = errc::ok;
}

// A property of the event being built: kind 0 string (v_off, v_len), 1
// number (num), 2 bool (num != 0). Keys are unique (the JS's object keys).
// Encoded at once with the core's writer, as encode_event writes e.props,
// and checked as validate(event) checks them.
CS_EXPORT(p)
void cs_prop(std::uint32_t k_off, std::uint32_t k_len, int kind, std::uint32_t v_off,
             std::uint32_t v_len, double num) {
    namespace v1 = wire::batch_v1;
    beacon& t = the();
    const std::string_view key = arg(k_off, k_len);
    const std::string_view v = arg(v_off, v_len);
    errc bad = errc::ok;
    if (++t.props_count > v1::max_props || key.size() > v1::max_prop_key ||
        (kind == 0 && v.size() > v1::max_prop_string)) {
        bad = errc::too_large;
    } else if (kind == 1 && !std::isfinite(num)) {
        bad = errc::invalid_argument;
    }
    if (bad != errc::ok) {
        if (t.props_error == errc::ok) t.props_error = bad;
        return;
    }
    auto& w = *t.props_writer;
    if (kind == 0) {
        w.string_member(key, v);
    } else if (kind == 2) {
        w.bool_member(key, num != 0);
    } else if (num == static_cast<double>(static_cast<std::int64_t>(num)) && num < 9.0e15 &&
               num > -9.0e15) {
        w.integer_member(key, static_cast<std::int64_t>(num));
    } else {
        w.number_member(key, num);
    }
}

// Tracks the event built; 0 or an errc. An event whose props break the
// rules is refused whole, as validate(event) refuses it (when the event has
// other faults too, the props' is the one answered).
CS_EXPORT(t) int cs_track() {
    beacon& t = the();
    if (!t.core) return static_cast<int>(errc::invalid_argument);
    if (t.props_error != errc::ok) return static_cast<int>(t.props_error);
    const auto r = t.core->track(*t.next, t.props);
    return r ? 0 : static_cast<int>(r.error());
}

CS_EXPORT(u) int cs_identify(std::uint32_t off, std::uint32_t len) {
    beacon& t = the();
    if (!t.core) return static_cast<int>(errc::invalid_argument);
    const auto r = t.core->identify(std::string(arg(off, len)));
    return r ? 0 : static_cast<int>(r.error());
}

CS_EXPORT(r) void cs_reset() {
    if (the().core) the().core->reset();
}

// 0 granted, 1 pending, 2 denied (clickstream::consent).
CS_EXPORT(c) void cs_consent(int c) {
    if (the().core) the().core->set_consent(static_cast<consent>(c));
}

// The site's session timeout from /v1/config; 0 or an errc.
CS_EXPORT(o) int cs_session_timeout(double seconds) {
    if (!the().core) return static_cast<int>(errc::invalid_argument);
    const auto r = the().core->set_session_timeout_s(static_cast<std::int64_t>(seconds));
    return r ? 0 : static_cast<int>(r.error());
}

CS_EXPORT(f) void cs_flush() {
    if (the().core) the().core->flush();
}

// 0 background, 1 page hide, 2 foreground (clickstream::lifecycle).
CS_EXPORT(l) void cs_lifecycle(int moment) {
    if (the().core) the().core->on_lifecycle(static_cast<lifecycle>(moment));
}

// The next batch due now: its body's length (the body is at cs_body()), or
// -1. cs_complete must follow before another batch is given.
CS_EXPORT(n) int cs_next() {
    beacon& t = the();
    if (!t.core) return -1;
    t.out = t.core->next_batch();
    return t.out ? static_cast<int>(t.out->body.size()) : -1;
}

CS_EXPORT(y) const char* cs_body() {
    return the().out ? the().out->body.data() : nullptr;
}

// The answer for the batch from cs_next: an HTTP status, or 0 when there
// was none (network error, or a sendBeacon whose fate is unknown: it is
// sent again). retry_after_ms: the server's Retry-After, -1 for the backoff.
// No reason text: the core keeps no error reports here
// (CLICKSTREAM_NO_ERROR_REPORTS), the only reader of a result's reason.
CS_EXPORT(d) void cs_complete(int status, double retry_after_ms) {
    beacon& t = the();
    if (!t.core || !t.out) return;
    const auto wait = static_cast<std::int64_t>(retry_after_ms);
    t.core->complete(
        *t.out, status > 0 ? classify_http_status(status, wait) : send_result::retry({}, 0, wait));
    t.out.reset();
}

// When cs_next may next have a batch (ms since the epoch), or -1 for never
// (nothing queued, no consent, or a batch in flight).
CS_EXPORT(w) double cs_wakeup() {
    if (!the().core) return -1;
    const std::int64_t w = the().core->next_wakeup_ms();
    return w == std::numeric_limits<std::int64_t>::max() ? -1 : static_cast<double>(w);
}
}
