/* clickstream.h: the native SDK's C API, for apps in C and for bindings
 * (Swift, Kotlin/JNI, C#, Python).
 *
 * ABI rules: every type is an opaque pointer or a plain C type; no C++
 * type and no exception crosses this header. Functions that can fail return
 * cs_err_t (CS_OK is 0; errors are negative; cs_err_str names them).
 * Strings passed in are copied before the call returns. Objects are owned
 * by the caller until handed over as documented (cs_tracker_new takes the
 * conf on success). Callbacks run only inside cs_poll(), on the thread that
 * calls it. cs_track_*() never block on I/O.
 *
 *   char err[256];
 *   cs_conf_t *conf = cs_conf_new();
 *   cs_conf_set(conf, "site", "demo-app", err, sizeof err);
 *   cs_conf_set(conf, "endpoint", "https://collector.example.com", err, sizeof err);
 *   cs_tracker_t *t = cs_tracker_new(conf, err, sizeof err);
 *   cs_track_screen_view(t, "Home");
 *   cs_poll(t, 0);
 *   cs_tracker_destroy(t, 2000);
 */
#ifndef CLICKSTREAM_CLICKSTREAM_H
#define CLICKSTREAM_CLICKSTREAM_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define CS_API __declspec(dllexport)
#elif defined(__GNUC__)
#define CS_API __attribute__((visibility("default")))
#else
#define CS_API
#endif

/* Nothing is thrown across the API: an exception would terminate. */
#ifdef __cplusplus
#define CS_NOEXCEPT noexcept
extern "C" {
#else
#define CS_NOEXCEPT
#endif

/* Error codes: the C++ API's clickstream::errc, negated. */
typedef enum cs_err_e {
    CS_OK = 0,
    CS_ERR_INVALID_ARG = -1,    /* a value outside the contract */
    CS_ERR_TOO_LARGE = -2,      /* a string over its limit, an event over a batch */
    CS_ERR_STORAGE = -3,        /* storage refused a write: kept in memory only */
    CS_ERR_QUEUE_FULL = -4,     /* the oldest queued events were dropped */
    CS_ERR_CONSENT_DENIED = -5, /* discarded: the user denied consent */
    CS_ERR_REJECTED = -6,       /* the collector refused a batch (4xx) */
    CS_ERR_SHUTTING_DOWN = -7,  /* the tracker takes no more events */
    CS_ERR_TIMED_OUT = -8,      /* flush/shutdown ran out of time; the rest stays stored */
    CS_ERR_NO_TRANSPORT = -9,   /* built without a transport */
    CS_ERR_IO = -10,            /* a file or network call failed */
    CS_ERR_CORRUPT_RECORD = -11 /* a stored record was unreadable and skipped */
} cs_err_t;

/* A short, static English description of an error code. */
CS_API const char* cs_err_str(cs_err_t err) CS_NOEXCEPT;

typedef enum cs_conf_res_e {
    CS_CONF_UNKNOWN = -2, /* no such option */
    CS_CONF_INVALID = -1, /* the value is not valid for the option */
    CS_CONF_OK = 0
} cs_conf_res_t;

typedef enum cs_consent_e {
    CS_CONSENT_GRANTED = 0,
    CS_CONSENT_PENDING = 1,
    CS_CONSENT_DENIED = 2
} cs_consent_t;

typedef enum cs_lifecycle_e {
    CS_LIFECYCLE_BACKGROUND = 0, /* flushes */
    CS_LIFECYCLE_FOREGROUND = 1
} cs_lifecycle_t;

typedef struct cs_conf_s cs_conf_t;
typedef struct cs_tracker_s cs_tracker_t;
typedef struct cs_event_s cs_event_t;

/* Configuration. Names and values are listed in docs/sdk.md; e.g. "site",
 * "endpoint", "storage.dir", "platform", "app.name", "flush.interval.ms",
 * "session.timeout.s", "consent", "header" (adds "Name: value"). */
CS_API cs_conf_t* cs_conf_new(void) CS_NOEXCEPT;
CS_API void cs_conf_destroy(cs_conf_t* conf) CS_NOEXCEPT;
/* On failure writes the reason into errstr (always NUL-terminated). */
CS_API cs_conf_res_t cs_conf_set(cs_conf_t* conf, const char* name, const char* value, char* errstr,
                                 size_t errstr_size) CS_NOEXCEPT;
/* Errors the tracker reports (refused batches, dropped events, storage
 * trouble): called from cs_poll() only. events: how many events concerned;
 * status: the HTTP status where there was one. */
typedef void(cs_error_cb_t)(cs_tracker_t* t, cs_err_t err, const char* reason, int status,
                            size_t events, void* opaque);
CS_API void cs_conf_set_error_cb(cs_conf_t* conf, cs_error_cb_t* cb) CS_NOEXCEPT;
CS_API void cs_conf_set_opaque(cs_conf_t* conf, void* opaque) CS_NOEXCEPT;

/* Makes a tracker and starts its sender thread. Takes the conf on success
 * (do not destroy it then); on failure returns NULL with the reason in errstr
 * and the conf still yours. */
CS_API cs_tracker_t* cs_tracker_new(cs_conf_t* conf, char* errstr, size_t errstr_size) CS_NOEXCEPT;
/* Sends what it can within timeout_ms, keeps the rest stored, frees t. */
CS_API void cs_tracker_destroy(cs_tracker_t* t, int timeout_ms) CS_NOEXCEPT;

/* Events. Each returns CS_OK once the event is queued. */
CS_API cs_err_t cs_track_page_view(cs_tracker_t* t, const char* url, const char* title,
                                   const char* referrer) CS_NOEXCEPT;
CS_API cs_err_t cs_track_screen_view(cs_tracker_t* t, const char* name) CS_NOEXCEPT;
CS_API cs_err_t cs_track_custom(cs_tracker_t* t, const char* name) CS_NOEXCEPT;
CS_API cs_err_t cs_track_conversion(cs_tracker_t* t, const char* name, double value,
                                    const char* currency) CS_NOEXCEPT;

/* Any event, with properties: build, track (copies it), destroy.
 * type: "page_view", "screen_view", "click", "scroll", "hover", "custom",
 * "conversion". NULL for an unknown type. */
CS_API cs_event_t* cs_event_new(const char* type) CS_NOEXCEPT;
CS_API void cs_event_destroy(cs_event_t* e) CS_NOEXCEPT;
/* field: "url", "referrer", "title", "name", "currency", "selector",
 * "text", "href". */
CS_API cs_err_t cs_event_set(cs_event_t* e, const char* field, const char* value) CS_NOEXCEPT;
CS_API void cs_event_set_value(cs_event_t* e, double value) CS_NOEXCEPT;
CS_API void cs_event_set_depth(cs_event_t* e, int depth_percent) CS_NOEXCEPT;
CS_API void cs_event_set_outbound(cs_event_t* e, int outbound) CS_NOEXCEPT;
/* The event's real time (ms since the epoch): imports, server-side use. */
CS_API void cs_event_set_time(cs_event_t* e, int64_t epoch_ms) CS_NOEXCEPT;
CS_API cs_err_t cs_event_prop_string(cs_event_t* e, const char* key, const char* value) CS_NOEXCEPT;
CS_API cs_err_t cs_event_prop_int(cs_event_t* e, const char* key, int64_t value) CS_NOEXCEPT;
CS_API cs_err_t cs_event_prop_double(cs_event_t* e, const char* key, double value) CS_NOEXCEPT;
CS_API cs_err_t cs_event_prop_bool(cs_event_t* e, const char* key, int value) CS_NOEXCEPT;
CS_API cs_err_t cs_track(cs_tracker_t* t, const cs_event_t* e) CS_NOEXCEPT;

/* Identity and consent. */
CS_API cs_err_t cs_identify(cs_tracker_t* t, const char* user_id) CS_NOEXCEPT;
CS_API void cs_reset(cs_tracker_t* t) CS_NOEXCEPT;
CS_API void cs_set_consent(cs_tracker_t* t, cs_consent_t consent) CS_NOEXCEPT;
CS_API void cs_lifecycle(cs_tracker_t* t, cs_lifecycle_t moment) CS_NOEXCEPT;
/* Writes the anonymous id (NUL-terminated) into buf; its length, or the
 * size needed if buf is too small. */
CS_API size_t cs_anonymous_id(cs_tracker_t* t, char* buf, size_t buf_size) CS_NOEXCEPT;

/* Sends everything queued and waits up to timeout_ms for delivery:
 * CS_OK or CS_ERR_TIMED_OUT (the rest stays queued). */
CS_API cs_err_t cs_flush(cs_tracker_t* t, int timeout_ms) CS_NOEXCEPT;
/* Runs the error callback for errors reported since the last call, waiting
 * up to timeout_ms for the first. Returns how many callbacks ran. */
CS_API int cs_poll(cs_tracker_t* t, int timeout_ms) CS_NOEXCEPT;

/* Counters since the tracker started. */
typedef struct cs_stats_s {
    uint64_t queued_events;
    uint64_t sent_events;
    uint64_t sent_batches;
    uint64_t dropped_queue_full;
    uint64_t dropped_consent_denied;
    uint64_t dropped_rejected;
    uint64_t retries;
} cs_stats_t;
CS_API void cs_stats(cs_tracker_t* t, cs_stats_t* out) CS_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* CLICKSTREAM_CLICKSTREAM_H */
