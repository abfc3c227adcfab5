// The C API over clickstream::tracker. Nothing throws across it: every
// entry point is noexcept (an escaping exception terminates), and the C++
// API it wraps reports errors as values.
#include <cstring>

#include "clickstream/clickstream.h"
#include "clickstream/tracker.h"

struct cs_conf_s {
    clickstream::tracker_config config;
    cs_error_cb_t* on_error = nullptr;
    void* opaque = nullptr;
};

struct cs_tracker_s {
    std::unique_ptr<clickstream::tracker> t;
};

struct cs_event_s {
    clickstream::event e;
};

namespace {

using clickstream::errc;

cs_err_t to_c(errc e) {
    return static_cast<cs_err_t>(-static_cast<int>(e));
}

template <class R>
cs_err_t to_c(const R& r) {
    return r ? CS_OK : to_c(r.error());
}

void copy_error(const std::string& why, char* errstr, std::size_t size) {
    if (errstr == nullptr || size == 0) return;
    const std::size_t n = std::min(why.size(), size - 1);
    std::memcpy(errstr, why.data(), n);
    errstr[n] = '\0';
}

std::string text(const char* s) {
    return s != nullptr ? std::string(s) : std::string();
}

}  // namespace

extern "C" {

const char* cs_err_str(cs_err_t err) noexcept {
    return clickstream::to_string(static_cast<errc>(-static_cast<int>(err)));
}

cs_conf_t* cs_conf_new(void) noexcept {
    return new (std::nothrow) cs_conf_s();
}
void cs_conf_destroy(cs_conf_t* conf) noexcept {
    delete conf;
}

cs_conf_res_t cs_conf_set(cs_conf_t* conf, const char* name, const char* value, char* errstr,
                          size_t errstr_size) noexcept {
    if (conf == nullptr || name == nullptr || value == nullptr) {
        copy_error("conf, name and value must not be NULL", errstr, errstr_size);
        return CS_CONF_INVALID;
    }
    const auto r = clickstream::configure(conf->config, name, value);
    if (r) return CS_CONF_OK;
    copy_error(r.error().reason, errstr, errstr_size);
    return r.error().unknown ? CS_CONF_UNKNOWN : CS_CONF_INVALID;
}

void cs_conf_set_error_cb(cs_conf_t* conf, cs_error_cb_t* cb) noexcept {
    if (conf != nullptr) conf->on_error = cb;
}
void cs_conf_set_opaque(cs_conf_t* conf, void* opaque) noexcept {
    if (conf != nullptr) conf->opaque = opaque;
}

cs_tracker_t* cs_tracker_new(cs_conf_t* conf, char* errstr, size_t errstr_size) noexcept {
    if (conf == nullptr) {
        copy_error("conf must not be NULL", errstr, errstr_size);
        return nullptr;
    }
    auto* handle = new (std::nothrow) cs_tracker_s();
    if (handle == nullptr) return nullptr;
    clickstream::tracker_config config = conf->config;
    if (conf->on_error != nullptr) {
        cs_error_cb_t* cb = conf->on_error;
        void* opaque = conf->opaque;
        config.on_error = [handle, cb, opaque](const clickstream::error_report& e) {
            cb(handle, to_c(e.code), e.reason.c_str(), e.status, e.events, opaque);
        };
    }
    auto made = clickstream::tracker::create(std::move(config));
    if (!made) {
        copy_error(made.error(), errstr, errstr_size);
        delete handle;
        return nullptr;
    }
    handle->t = std::move(*made);
    delete conf;  // ours on success, as documented
    return handle;
}

void cs_tracker_destroy(cs_tracker_t* t, int timeout_ms) noexcept {
    if (t == nullptr) return;
    (void)t->t->shutdown(std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms));
    delete t;
}

cs_err_t cs_track_page_view(cs_tracker_t* t, const char* url, const char* title,
                            const char* referrer) noexcept {
    if (t == nullptr) return CS_ERR_INVALID_ARG;
    return to_c(t->t->track(clickstream::page_view(text(url), text(title), text(referrer))));
}

cs_err_t cs_track_screen_view(cs_tracker_t* t, const char* name) noexcept {
    if (t == nullptr) return CS_ERR_INVALID_ARG;
    return to_c(t->t->track(clickstream::screen_view(text(name))));
}

cs_err_t cs_track_custom(cs_tracker_t* t, const char* name) noexcept {
    if (t == nullptr) return CS_ERR_INVALID_ARG;
    return to_c(t->t->track(clickstream::custom(text(name))));
}

cs_err_t cs_track_conversion(cs_tracker_t* t, const char* name, double value,
                             const char* currency) noexcept {
    if (t == nullptr) return CS_ERR_INVALID_ARG;
    return to_c(t->t->track(clickstream::conversion(text(name), value, text(currency))));
}

cs_event_t* cs_event_new(const char* type) noexcept {
    using clickstream::event_type;
    if (type == nullptr) return nullptr;
    for (auto k :
         {event_type::page_view, event_type::screen_view, event_type::click, event_type::scroll,
          event_type::hover, event_type::custom, event_type::conversion}) {
        if (std::strcmp(type, clickstream::to_string(k)) == 0) {
            auto* e = new (std::nothrow) cs_event_s();
            if (e != nullptr) e->e.type = k;
            return e;
        }
    }
    return nullptr;
}

void cs_event_destroy(cs_event_t* e) noexcept {
    delete e;
}

cs_err_t cs_event_set(cs_event_t* e, const char* field, const char* value) noexcept {
    if (e == nullptr || field == nullptr || value == nullptr) return CS_ERR_INVALID_ARG;
    auto& ev = e->e;
    const std::string_view f = field;
    const auto element = [&ev]() -> clickstream::element_info& {
        if (!ev.element) ev.element.emplace();
        return *ev.element;
    };
    if (f == "url")
        ev.url = value;
    else if (f == "referrer")
        ev.referrer = value;
    else if (f == "title")
        ev.title = value;
    else if (f == "name")
        ev.name = value;
    else if (f == "currency")
        ev.currency = value;
    else if (f == "selector")
        element().selector = value;
    else if (f == "text")
        element().text = value;
    else if (f == "href")
        element().href = value;
    else
        return CS_ERR_INVALID_ARG;
    return CS_OK;
}

void cs_event_set_value(cs_event_t* e, double value) noexcept {
    if (e != nullptr) e->e.value = value;
}
void cs_event_set_depth(cs_event_t* e, int depth_percent) noexcept {
    if (e != nullptr) e->e.depth = depth_percent;
}
void cs_event_set_outbound(cs_event_t* e, int outbound) noexcept {
    if (e == nullptr) return;
    if (!e->e.element) e->e.element.emplace();
    e->e.element->outbound = outbound != 0;
}
void cs_event_set_time(cs_event_t* e, int64_t epoch_ms) noexcept {
    if (e != nullptr) e->e.at = epoch_ms;
}

cs_err_t cs_event_prop_string(cs_event_t* e, const char* key, const char* value) noexcept {
    if (e == nullptr || key == nullptr || value == nullptr) return CS_ERR_INVALID_ARG;
    e->e.prop(key, std::string(value));
    return CS_OK;
}
cs_err_t cs_event_prop_int(cs_event_t* e, const char* key, int64_t value) noexcept {
    if (e == nullptr || key == nullptr) return CS_ERR_INVALID_ARG;
    e->e.prop(key, static_cast<long long>(value));
    return CS_OK;
}
cs_err_t cs_event_prop_double(cs_event_t* e, const char* key, double value) noexcept {
    if (e == nullptr || key == nullptr) return CS_ERR_INVALID_ARG;
    e->e.prop(key, value);
    return CS_OK;
}
cs_err_t cs_event_prop_bool(cs_event_t* e, const char* key, int value) noexcept {
    if (e == nullptr || key == nullptr) return CS_ERR_INVALID_ARG;
    e->e.prop(key, value != 0);
    return CS_OK;
}

cs_err_t cs_track(cs_tracker_t* t, const cs_event_t* e) noexcept {
    if (t == nullptr || e == nullptr) return CS_ERR_INVALID_ARG;
    return to_c(t->t->track(e->e));
}

cs_err_t cs_identify(cs_tracker_t* t, const char* user_id) noexcept {
    if (t == nullptr || user_id == nullptr) return CS_ERR_INVALID_ARG;
    return to_c(t->t->identify(user_id));
}

void cs_reset(cs_tracker_t* t) noexcept {
    if (t != nullptr) t->t->reset();
}

void cs_set_consent(cs_tracker_t* t, cs_consent_t consent) noexcept {
    if (t == nullptr) return;
    switch (consent) {
        case CS_CONSENT_GRANTED:
            t->t->set_consent(clickstream::consent::granted);
            break;
        case CS_CONSENT_PENDING:
            t->t->set_consent(clickstream::consent::pending);
            break;
        case CS_CONSENT_DENIED:
            t->t->set_consent(clickstream::consent::denied);
            break;
    }
}

void cs_lifecycle(cs_tracker_t* t, cs_lifecycle_t moment) noexcept {
    if (t == nullptr) return;
    t->t->on_lifecycle(moment == CS_LIFECYCLE_BACKGROUND ? clickstream::lifecycle::background
                                                         : clickstream::lifecycle::foreground);
}

size_t cs_anonymous_id(cs_tracker_t* t, char* buf, size_t buf_size) noexcept {
    if (t == nullptr) return 0;
    const std::string id = t->t->anonymous_id();
    if (buf != nullptr && buf_size > id.size()) {
        std::memcpy(buf, id.c_str(), id.size() + 1);
        return id.size();
    }
    return id.size() + 1;
}

cs_err_t cs_flush(cs_tracker_t* t, int timeout_ms) noexcept {
    if (t == nullptr) return CS_ERR_INVALID_ARG;
    return to_c(t->t->flush(std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms)));
}

int cs_poll(cs_tracker_t* t, int timeout_ms) noexcept {
    if (t == nullptr) return 0;
    return t->t->poll(std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms));
}

void cs_stats(cs_tracker_t* t, cs_stats_t* out) noexcept {
    if (t == nullptr || out == nullptr) return;
    const auto s = t->t->stats();
    out->queued_events = s.queued_events;
    out->sent_events = s.sent_events;
    out->sent_batches = s.sent_batches;
    out->dropped_queue_full = s.dropped_queue_full;
    out->dropped_consent_denied = s.dropped_consent_denied;
    out->dropped_rejected = s.dropped_rejected;
    out->retries = s.retries;
}

}  // extern "C"
