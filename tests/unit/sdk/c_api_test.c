/* Compiled as C against clickstream.h alone: the C API is usable from C.
 * The checks return a message (NULL when all held) for c_api_test.cpp. */
#include <stdio.h>
#include <string.h>

#include "clickstream/clickstream.h"

static int errors_seen;

static void on_error(cs_tracker_t* t, cs_err_t err, const char* reason, int status, size_t events,
                     void* opaque) {
    (void)t;
    (void)err;
    (void)reason;
    (void)status;
    (void)events;
    *(int*)opaque += 1;
}

const char* cs_c_api_conf_checks(void) {
    char err[128];
    cs_conf_t* conf = cs_conf_new();
    if (conf == NULL) return "cs_conf_new";
    if (cs_conf_set(conf, "site", "c-app", err, sizeof err) != CS_CONF_OK) return "site";
    if (cs_conf_set(conf, "no.such", "1", err, sizeof err) != CS_CONF_UNKNOWN)
        return "unknown name";
    if (strstr(err, "no.such") == NULL) return "unknown name's reason";
    if (cs_conf_set(conf, "flush.interval.ms", "soon", err, sizeof err) != CS_CONF_INVALID) {
        return "invalid value";
    }
    /* No endpoint yet: refused with a reason, and the conf is still ours. */
    if (cs_tracker_new(conf, err, sizeof err) != NULL) return "tracker without endpoint";
    if (strstr(err, "endpoint") == NULL) return "missing endpoint's reason";
    cs_conf_destroy(conf);
    if (strcmp(cs_err_str(CS_ERR_REJECTED), "rejected by the collector") != 0) return "cs_err_str";
    return NULL;
}

/* A collector that is not there: events wait, flush times out, nothing is
 * lost or thrown. dir: an empty directory for the queue. */
const char* cs_c_api_tracker_checks(const char* dir) {
    char err[256];
    char id[64];
    cs_stats_t stats;
    cs_event_t* e;
    cs_tracker_t* t;
    cs_conf_t* conf = cs_conf_new();
    cs_conf_set(conf, "site", "c-app", err, sizeof err);
    cs_conf_set(conf, "endpoint", "http://127.0.0.1:1", err, sizeof err);
    cs_conf_set(conf, "storage.dir", dir, err, sizeof err);
    cs_conf_set(conf, "remote.config", "false", err, sizeof err);
    cs_conf_set(conf, "platform", "desktop", err, sizeof err);
    cs_conf_set_error_cb(conf, on_error);
    cs_conf_set_opaque(conf, &errors_seen);
    t = cs_tracker_new(conf, err, sizeof err);
    if (t == NULL) return "cs_tracker_new";

    if (cs_track_screen_view(t, "Home") != CS_OK) return "screen view";
    if (cs_track_screen_view(t, "") != CS_ERR_INVALID_ARG) return "empty screen name";
    if (cs_track_conversion(t, "purchase", 49.9, "EUR") != CS_OK) return "conversion";
    if (cs_identify(t, "user-1") != CS_OK) return "identify";
    e = cs_event_new("click");
    if (e == NULL || cs_event_new("teleport") != NULL) return "cs_event_new";
    cs_event_set(e, "selector", "button#buy");
    cs_event_set_outbound(e, 0);
    cs_event_prop_int(e, "n", 3);
    cs_event_prop_bool(e, "b", 1);
    cs_event_prop_double(e, "d", 0.5);
    cs_event_prop_string(e, "s", "x");
    if (cs_track(t, e) != CS_OK) return "click";
    cs_event_destroy(e);

    if (cs_flush(t, 100) != CS_ERR_TIMED_OUT) return "flush to nowhere";
    cs_stats(t, &stats);
    if (stats.queued_events != 4) return "four events queued";
    if (cs_anonymous_id(t, id, sizeof id) != 36) return "anonymous id";
    cs_poll(t, 0);
    cs_tracker_destroy(t, 100);
    return NULL;
}
