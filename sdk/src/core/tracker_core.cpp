#include "clickstream/tracker_core.h"

#include <cstring>
#include <limits>
#include <memory>

#include "batch_encoder.h"
#include "batcher.h"
#include "clickstream/wire/batch_v1.h"
#include "json_writer.h"
#include "record.h"
#include "session_tracker.h"
#include "uuid.h"

namespace clickstream {
namespace {

namespace v1 = wire::batch_v1;

// Room kept in a batch for everything but its events (the context's strings
// are bounded by validate(tracker_options)), so one event always fits.
constexpr std::size_t envelope_reserve = 4096;

// The reasons' text, by tracker_core::why. Only take_errors() reads it, so
// a host that never takes its errors (the wasm beacon) links none of it.
constexpr const char* reasons[] = {
    "",
    "cannot store the anonymous id",
    "unreadable queued records skipped",
    "cannot read the stored queue",
    "cannot store the session",
    "events waiting for consent dropped",
    "event kept in memory only",
    "oldest queued events dropped",
    "cannot store the user id",
    "cannot store the new anonymous id",
    "cannot store consent",
    "cannot store the session timeout",
    "events dropped before they were queued",
};

constexpr std::string_view anonymous_id_key = "anonymous_id";
constexpr std::string_view user_id_key = "user_id";
constexpr std::string_view consent_key = "consent";
constexpr std::string_view timeout_key = "session_timeout_s";

// Adds to a counter of stats(). A host that never asks for stats (the wasm
// beacon) builds the core with CLICKSTREAM_NO_STATS: the counters stay 0 and
// the module carries none of the counting (-85 B gzipped).
void count(std::uint64_t& counter, std::uint64_t n = 1) noexcept {
#ifdef CLICKSTREAM_NO_STATS
    static_cast<void>(counter), static_cast<void>(n);
#else
    counter += n;
#endif
}

std::string batch_url(const tracker_options& o) {
    std::string url = o.endpoint;
    while (!url.empty() && url.back() == '/') url.pop_back();
    url.append(v1::path).append("?site=").append(o.site);
    return url;
}

}  // namespace

send_result classify_http_status(int status, std::int64_t retry_after_ms) noexcept {
    if (status >= 200 && status < 300) return send_result::sent(status);
    std::string why;
#ifndef CLICKSTREAM_NO_ERROR_REPORTS  // the reason's one reader is report()
    why = "HTTP ";
    append_json_integer(why, status);
#endif
    if (status == 408 || status == 429 || status >= 500) {
        return send_result::retry(why, status, retry_after_ms);
    }
    return send_result::drop(why, status);
}

result<std::int64_t, errc> parse_session_timeout(std::string_view json) noexcept {
    constexpr std::string_view key = "\"session_timeout_s\"";
    const auto at = json.find(key);
    if (at == std::string_view::npos) return failure{errc::invalid_argument};
    std::size_t i = at + key.size();
    while (i < json.size() && (json[i] == ' ' || json[i] == ':' || json[i] == '\t')) ++i;
    std::int64_t v = 0;
    const char* p = json.data() + i;
    if (!parse_signed(p, json.data() + json.size(), v) || v < v1::min_session_timeout_s ||
        v > v1::max_session_timeout_s) {
        return failure{errc::invalid_argument};
    }
    return v;
}

tracker_core::tracker_core(tracker_options options, clock& clk, random_source& random,
                           event_store& store)
    : options_(std::move(options)),
      clock_(clk),
      random_(random),
      store_(store),
      sessions_(std::make_unique<session_tracker>(
          store_, random_, options_.session.timeout_s * 1000, options_.context.tab_id)),
      batcher_(std::make_unique<batcher>(options_, store_, random_)),
      consent_(options_.initial_consent),
      url_(batch_url(options_)) {}

tracker_core::~tracker_core() = default;

std::string tracker_core::new_uuid() noexcept {
    return make_uuid_v4(random_);
}

void tracker_core::adopt_identity() noexcept {
    who_ = identity_ref(anonymous_id_, user_id_);
}

result<void, errc> tracker_core::start() noexcept {
    if (auto c = store_.get(consent_key)) {
        // Strings are compared as views throughout the core: the beacon's
        // wasm then carries string_view's comparison alone, not std::string's
        // operator== overloads besides (-54 B gzipped).
        if (std::string_view(*c) == "granted") consent_ = consent::granted;
        if (std::string_view(*c) == "denied") consent_ = consent::denied;
    }
    if (auto t = store_.get(timeout_key)) {
        std::int64_t s = 0;
        const char* p = t->data();
        if (parse_signed(p, t->data() + t->size(), s) && s >= v1::min_session_timeout_s &&
            s <= v1::max_session_timeout_s) {
            sessions_->set_timeout_ms(s * 1000);
        }
    }
    if (!options_.anonymous_id.empty()) {
        // Copied with assign(data, size), not operator=, here and in
        // session_tracker: libc++'s copy assignment is code of its own, and
        // the wasm beacon copies no other string by assignment (-63 B
        // gzipped; the other assignments move).
        anonymous_id_.assign(options_.anonymous_id.data(), options_.anonymous_id.size());
    } else if (auto a = store_.get(anonymous_id_key); a && !a->empty()) {
        anonymous_id_ = std::move(*a);
    } else {
        anonymous_id_ = new_uuid();
        if (!store_.put(anonymous_id_key, anonymous_id_)) {
            report(errc::storage_failed, 0, 0, why::anonymous_id_not_stored);
        }
    }
    if (auto u = store_.get(user_id_key)) user_id_ = std::move(*u);
    adopt_identity();

    // The queue a previous run left: sent at the first chance.
    const std::int64_t now = clock_.now_ms();
    // The ids of unreadable records, removed once the load is over (a store
    // need not allow removal while it loads). Rare, so kept as bytes in a
    // string rather than in a std::vector<std::uint64_t>, which only this
    // would instantiate in the wasm beacon (~0.25 KB gzipped with the
    // batcher's, see batcher::erase).
    std::string unreadable;
    identity_ref last = who_;
    const auto loaded = store_.load([&](std::uint64_t id, std::string_view bytes) {
        auto rec = decode_record(bytes);
        if (!rec) {
            unreadable.append(reinterpret_cast<const char*>(&id), sizeof id);
            return;
        }
        if (last->anonymous_id != rec->anonymous_id || last->user_id != rec->user_id) {
            last = identity_ref(std::string(rec->anonymous_id), std::string(rec->user_id));
        }
        if (const auto dropped = batcher_->push({id, now, std::string(rec->event_json), last})) {
            count(stats_.dropped_queue_full, dropped);
        }
    });
    if (!unreadable.empty()) {
        const std::size_t n = unreadable.size() / sizeof(std::uint64_t);
        const auto ids = std::make_unique<std::uint64_t[]>(n);
        std::memcpy(ids.get(), unreadable.data(), unreadable.size());
        (void)store_.remove({ids.get(), n});
        report(errc::corrupt_record, 0, n, why::unreadable_records);
    }
    if (!batcher_->empty()) batcher_->request_flush();
    if (!loaded) {
        report(loaded.error(), 0, 0, why::queue_unreadable);
        return failure{loaded.error()};
    }
    return {};
}

result<void, errc> tracker_core::track(const event& e, std::string_view encoded_props) noexcept {
    if (auto ok = validate(e); !ok) return ok;
    const std::int64_t now = clock_.now_ms();
    const std::int64_t ts = e.ts.value_or(now);
    // The event's real time drives its session, as it drives the
    // processor's sessionization.
    const auto s = sessions_->on_event(e.at.value_or(ts));
    if (!sessions_->stored()) report(errc::storage_failed, 0, 0, why::session_not_stored);
    const std::string id = new_uuid();
    std::string json = encode_event(e, {id, ts, s.session_id, s.index, s.seq}, encoded_props);

    if (json.size() > options_.batching.hard_max_batch_bytes - envelope_reserve) {
        // It took a seq number: count it, so seq gaps less dropped stays exact.
        batcher_->count_dropped({0, 0, 1});
        count(stats_.dropped_rejected);
        return failure{errc::too_large};
    }
    if (consent_ == consent::denied) {
        batcher_->count_dropped({0, 1, 0});
        count(stats_.dropped_consent_denied);
        return failure{errc::consent_denied};
    }
    queued_event q{0, now, std::move(json), who_};
    if (consent_ == consent::pending) {
        held_.push_back(std::move(q));
        if (held_.size() > options_.batching.max_queue_events) {
            held_.erase(held_.begin());
            batcher_->count_dropped({1, 0, 0});
            count(stats_.dropped_queue_full);
            report(errc::queue_full, 0, 1, why::held_events_dropped);
        }
        return {};
    }
    enqueue(std::move(q));
    return {};
}

void tracker_core::enqueue(queued_event q) noexcept {
    // Stored before it can be sent: a crash from here on loses nothing.
    if (auto stored = store_.append(encode_record(q.who->anonymous_id, q.who->user_id, q.json))) {
        q.store_id = *stored;
    } else {
        report(errc::storage_failed, 0, 1, why::event_not_stored);
    }
    if (const auto dropped = batcher_->push(std::move(q))) {
        count(stats_.dropped_queue_full, dropped);
        report(errc::queue_full, 0, dropped, why::oldest_dropped);
    }
}

result<void, errc> tracker_core::identify(std::string user_id, std::optional<std::int64_t> at,
                                          std::optional<std::int64_t> ts) noexcept {
    if (user_id.empty()) return failure{errc::invalid_argument};
    if (user_id.size() > v1::max_user_id) return failure{errc::too_large};
    user_id_ = std::move(user_id);
    if (!store_.put(user_id_key, user_id_)) {
        report(errc::storage_failed, 0, 0, why::user_id_not_stored);
    }
    adopt_identity();
    event e;
    e.type = event_type::identify;
    e.at = at;
    e.ts = ts;
    return track(std::move(e));
}

void tracker_core::reset() noexcept {
    anonymous_id_ = new_uuid();
    user_id_.clear();
    const bool ok = static_cast<bool>(store_.put(anonymous_id_key, anonymous_id_)) &&
                    static_cast<bool>(store_.put(user_id_key, ""));
    if (!ok) report(errc::storage_failed, 0, 0, why::new_anonymous_id_not_stored);
    sessions_->reset();
    adopt_identity();
}

void tracker_core::set_consent(consent c) noexcept {
    consent_ = c;
    // Only decisions are remembered; pending is the absence of one.
    const char* stored = c == consent::granted ? "granted" : c == consent::denied ? "denied" : "";
    if (!store_.put(consent_key, stored))
        report(errc::storage_failed, 0, 0, why::consent_not_stored);
    if (c == consent::granted) {
        std::vector<queued_event> held;
        held.swap(held_);
        for (auto& q : held) enqueue(std::move(q));
    } else if (c == consent::denied) {
        const std::size_t n = held_.size() + batcher_->discard_all();
        held_.clear();
        batcher_->count_dropped({0, n, 0});
        count(stats_.dropped_consent_denied, n);
    }
}

result<void, errc> tracker_core::set_session_timeout_s(std::int64_t seconds) noexcept {
    if (seconds < v1::min_session_timeout_s || seconds > v1::max_session_timeout_s) {
        return failure{errc::invalid_argument};
    }
    sessions_->set_timeout_ms(seconds * 1000);
    // Remembered, so the next start uses the site's value before it asks again.
    if (!store_.put(timeout_key, decimal(seconds))) {
        report(errc::storage_failed, 0, 0, why::timeout_not_stored);
    }
    return {};
}

std::int64_t tracker_core::session_timeout_s() const noexcept {
    return sessions_->timeout_ms() / 1000;
}

void tracker_core::note_lost_before_tracking(std::size_t events) noexcept {
    if (events == 0) return;
    sessions_->skip_seq(static_cast<std::int64_t>(events));
    batcher_->count_dropped({events, 0, 0});
    count(stats_.dropped_queue_full, events);
    report(errc::queue_full, 0, events, why::lost_before_tracking);
}

void tracker_core::flush() noexcept {
    batcher_->request_flush();
}

void tracker_core::on_lifecycle(lifecycle moment) noexcept {
    if (moment == lifecycle::background || moment == lifecycle::page_hide) flush();
}

std::optional<outgoing_batch> tracker_core::next_batch() noexcept {
    if (consent_ != consent::granted) return std::nullopt;
    return batcher_->next_batch(clock_.now_ms(), session_timeout_s(), url_);
}

void tracker_core::complete(const outgoing_batch& batch, const send_result& result) noexcept {
    const auto c = batcher_->complete(batch, result, clock_.now_ms());
    if (c.delivered > 0) {
        count(stats_.sent_events, c.delivered);
        count(stats_.sent_batches);
    }
    if (c.rejected > 0) {
        count(stats_.dropped_rejected, c.rejected);
        report(errc::rejected, result.status, c.rejected, why::from_transport, result.reason);
    }
    if (c.retry_in_ms >= 0) count(stats_.retries);
    // Consent withdrawn while the batch was out: what came back goes too.
    if (consent_ == consent::denied) set_consent(consent::denied);
}

bool tracker_core::pump(transport& t) noexcept {
    auto batch = next_batch();
    if (!batch) return false;
    const send_request request{batch->url, batch->body, options_.user_agent, options_.headers};
    complete(*batch, t.send(request));
    return true;
}

std::int64_t tracker_core::next_wakeup_ms() const noexcept {
    if (consent_ != consent::granted) return std::numeric_limits<std::int64_t>::max();
    return batcher_->next_wakeup(clock_.now_ms());
}

bool tracker_core::drained() const noexcept {
    return batcher_->empty() && !batcher_->in_flight();
}

void tracker_core::report(errc code, int status, std::size_t events, why reason,
                          std::string_view detail) noexcept {
#ifdef CLICKSTREAM_NO_ERROR_REPORTS
    // A host that never calls take_errors() (the wasm beacon) builds the core
    // with this defined: nothing is kept, and the module loses the reports'
    // bookkeeping and the transport reasons' text (-242 B gzipped). Its
    // take_errors() answers nothing.
    static_cast<void>(code), static_cast<void>(status), static_cast<void>(events);
    static_cast<void>(reason), static_cast<void>(detail);
#else
    // Repeats of the last report (a queue overflowing event by event) merge,
    // and so does everything past the last slot.
    if (error_count_ > 0) {
        pending_error& last = errors_[error_count_ - 1];
        if (error_count_ == errors_.size() || (last.code == code && last.status == status &&
                                               last.reason == reason && last.detail == detail)) {
            last.events += events;
            return;
        }
    }
    errors_[error_count_++] = {code, status, events, reason, std::string(detail)};
#endif
}

std::vector<error_report> tracker_core::take_errors() noexcept {
    std::vector<error_report> out;
    out.reserve(error_count_);
    for (std::size_t i = 0; i < error_count_; ++i) {
        auto& e = errors_[i];
        out.push_back({e.code, e.status, e.events,
                       e.reason == why::from_transport ? std::move(e.detail)
                                                       : std::string(reasons[e.reason])});
    }
    error_count_ = 0;
    return out;
}

tracker_stats tracker_core::stats() const noexcept {
    tracker_stats s = stats_;
    s.queued_events = batcher_->size();
    s.queued_bytes = batcher_->bytes();
    s.held_events = held_.size();
    return s;
}

}  // namespace clickstream
