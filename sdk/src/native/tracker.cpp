#include "clickstream/tracker.h"

#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "clickstream/file_store.h"
#include "clickstream/memory_event_store.h"
#include "clickstream/wire/batch_v1.h"

namespace clickstream {
namespace {

constexpr std::size_t max_pending_errors = 256;
constexpr auto linger = std::chrono::milliseconds(2);

class system_clock final : public clock {
public:
    std::int64_t now_ms() noexcept override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

class system_random final : public random_source {
public:
    system_random() {
        std::random_device rd;
        gen_.seed((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
    }
    std::uint64_t next_u64() noexcept override { return gen_(); }

private:
    std::mt19937_64 gen_;
};

// What an app thread hands to the sender thread.
struct command {
    enum class kind : std::uint8_t { track, identify, reset, consent, flush, lifecycle };
    kind what = kind::track;
    std::uint64_t seq = 0;
    event e;
    std::string user_id;
    consent decision = consent::granted;
    lifecycle moment = lifecycle::background;
};

}  // namespace

class tracker::impl {
public:
    impl(tracker_config config, std::shared_ptr<transport> t, std::unique_ptr<event_store> store,
         file_store* file)
        : config_(std::move(config)),
          transport_(std::move(t)),
          clock_(config_.clock ? config_.clock : std::make_shared<system_clock>()),
          random_(config_.random ? config_.random : std::make_shared<system_random>()),
          store_(std::move(store)),
          file_(file),
          core_(config_.options, *clock_, *random_, *store_) {}

    ~impl() { (void)shutdown(std::chrono::seconds(2)); }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    void start() {
        const auto started = core_.start();
        (void)started;  // its errors arrive through take_errors()
        if (file_ != nullptr && file_->discarded_bytes() > 0) {
            errors_.push_back({errc::corrupt_record, 0, 0,
                               "a torn write at the end of the queue file was skipped (" +
                                   std::to_string(file_->discarded_bytes()) + " bytes)"});
        }
        publish();
        thread_ = std::thread([this] { run(); });
    }

    result<void, errc> submit(command c) noexcept {
        std::lock_guard lock(mutex_);
        if (!accepting_) return failure{errc::shutting_down};
        c.seq = ++next_seq_;
        if (c.what == command::kind::track &&
            inbox_.size() - inbox_head_ >= config_.options.batching.max_queue_events &&
            inbox_[inbox_head_].what == command::kind::track) {
            // The sender is stuck (a slow network): the oldest waiting event goes.
            inbox_[inbox_head_++] = command{};
            ++lost_;
            if (inbox_head_ * 2 > inbox_.size()) {  // amortised: a move per dropped event
                inbox_.erase(inbox_.begin(),
                             inbox_.begin() + static_cast<std::ptrdiff_t>(inbox_head_));
                inbox_head_ = 0;
            }
        }
        inbox_.push_back(std::move(c));
        // Wake the sender only from its long sleep: while it works or lingers
        // it takes the inbox anyway, so a burst costs one wake-up, not one each.
        if (sender_sleeping_) {
            sender_sleeping_ = false;
            wake_.notify_one();
        }
        return {};
    }

    std::int64_t now_ms() noexcept { return clock_->now_ms(); }

    result<void, errc> track(event e) noexcept {
        if (auto ok = validate(e); !ok) return ok;
        if (!e.ts) e.ts = clock_->now_ms();  // the device time is when the app called
        command c;
        c.e = std::move(e);
        return submit(std::move(c));
    }

    result<void, errc> flush_and_wait(std::chrono::milliseconds timeout) noexcept {
        command c;
        c.what = command::kind::flush;
        if (auto ok = submit(std::move(c)); !ok) return ok;
        std::unique_lock lock(mutex_);
        const std::uint64_t mine = next_seq_;
        const bool done =
            done_.wait_for(lock, timeout, [&] { return applied_seq_ >= mine && drained_; });
        if (!done) return failure{errc::timed_out};
        return {};
    }

    int poll(std::chrono::milliseconds timeout) noexcept {
        std::deque<error_report> ready;
        {
            std::unique_lock lock(mutex_);
            done_.wait_for(lock, timeout, [&] { return !errors_.empty(); });
            ready.swap(errors_);
        }
        if (config_.on_error) {
            for (const auto& e : ready) config_.on_error(e);
        }
        return static_cast<int>(ready.size());
    }

    result<void, errc> shutdown(std::chrono::milliseconds timeout) noexcept {
        if (!thread_.joinable()) return {};
        const auto flushed = flush_and_wait(timeout);
        {
            std::lock_guard lock(mutex_);
            accepting_ = false;
            stopping_ = true;
        }
        cancel_.store(true);  // a request in progress gives up; its batch stays stored
        wake_.notify_one();
        thread_.join();
        if (!flushed && flushed.error() != errc::shutting_down) return flushed;
        return {};
    }

    tracker_stats stats() const noexcept {
        std::lock_guard lock(mutex_);
        return stats_;
    }
    std::string anonymous_id() const noexcept {
        std::lock_guard lock(mutex_);
        return anonymous_id_;
    }

private:
    void apply(command& c) {
        switch (c.what) {
            case command::kind::track:
                (void)core_.track(std::move(c.e));
                break;
            case command::kind::identify:
                (void)core_.identify(std::move(c.user_id), c.e.at, c.e.ts);
                break;
            case command::kind::reset:
                core_.reset();
                break;
            case command::kind::consent:
                core_.set_consent(c.decision);
                break;
            case command::kind::flush:
                core_.flush();
                break;
            case command::kind::lifecycle:
                core_.on_lifecycle(c.moment);
                break;
        }
    }

    void fetch_remote_config() {
        std::string url = config_.options.endpoint;
        while (!url.empty() && url.back() == '/') url.pop_back();
        url += "/v1/config?site=" + config_.options.site;
        const auto body = transport_->fetch(url);
        if (!body) return;  // the configured timeout stands
        if (const auto t = parse_session_timeout(*body)) (void)core_.set_session_timeout_s(*t);
    }

    void send_due() {
        while (!cancel_.load()) {
            auto batch = core_.next_batch();
            if (!batch) return;
            const send_request request{batch->url, batch->body, config_.options.user_agent,
                                       config_.options.headers, &cancel_};
            core_.complete(*batch, transport_->send(request));
        }
    }

    // Makes the core's state visible to app threads. Takes the lock.
    void publish() {
        auto errors = core_.take_errors();
        const auto stats = core_.stats();
        const bool drained = core_.drained();
        std::lock_guard lock(mutex_);
        for (auto& e : errors) {
            if (errors_.size() < max_pending_errors) errors_.push_back(std::move(e));
        }
        stats_ = stats;
        drained_ = drained;
        anonymous_id_ = core_.anonymous_id();
    }

    void run() {
        if (config_.fetch_remote_config) fetch_remote_config();
        std::int64_t wake_at = core_.next_wakeup_ms();
        bool worked = false;
        // The inbox and the round's work trade vectors, so an app thread's
        // track() reuses the storage of an earlier round instead of allocating
        // a queue node per event (which, against the sender's frees, made
        // glibc's allocator the p99 of track()).
        std::vector<command> work;
        while (true) {
            std::size_t head = 0;
            std::size_t lost = 0;
            bool stopping = false;
            {
                std::unique_lock lock(mutex_);
                const auto ready = [&] { return inbox_.size() > inbox_head_ || stopping_; };
                // After a round with work, linger briefly: more of the burst
                // is likely, and producers need not wake us meanwhile.
                if (worked && !ready()) wake_.wait_for(lock, linger, ready);
                if (!ready()) {
                    sender_sleeping_ = true;
                    if (wake_at == std::numeric_limits<std::int64_t>::max()) {
                        wake_.wait(lock, ready);
                    } else {
                        const auto delay = std::max<std::int64_t>(0, wake_at - clock_->now_ms());
                        wake_.wait_for(lock, std::chrono::milliseconds(delay), ready);
                    }
                    sender_sleeping_ = false;
                }
                work.swap(inbox_);
                head = std::exchange(inbox_head_, 0);
                lost = std::exchange(lost_, 0);
                stopping = stopping_;
            }
            worked = work.size() > head;
            // The lost events were older than any in this round: their seq comes first.
            core_.note_lost_before_tracking(lost);
            for (std::size_t i = head; i < work.size(); ++i) apply(work[i]);
            send_due();
            wake_at = core_.next_wakeup_ms();
            publish();
            {
                std::lock_guard lock(mutex_);
                if (worked) applied_seq_ = work.back().seq;
            }
            work.clear();
            // A burst's storage is kept only up to a modest size (the default
            // queue cap would otherwise pin megabytes in an idle app).
            if (work.capacity() > max_kept_commands) work = std::vector<command>();
            done_.notify_all();
            if (stopping) break;
        }
        // What is left stays in the store for the next run.
        if (file_ != nullptr) (void)file_->sync();
    }

    tracker_config config_;
    std::shared_ptr<transport> transport_;
    std::shared_ptr<clock> clock_;
    std::shared_ptr<random_source> random_;
    std::unique_ptr<event_store> store_;
    file_store* file_;
    tracker_core core_;  // the sender thread's alone after start()

    mutable std::mutex mutex_;
    std::condition_variable wake_;  // the sender: work arrived
    std::condition_variable done_;  // app threads: the sender finished a round
    static constexpr std::size_t max_kept_commands = 1024;
    std::vector<command> inbox_;
    std::size_t inbox_head_ = 0;  // inbox_[0, head) are events dropped while the sender was stuck
    std::size_t lost_ = 0;
    std::uint64_t next_seq_ = 0;
    std::uint64_t applied_seq_ = 0;
    bool accepting_ = true;
    bool stopping_ = false;
    bool sender_sleeping_ = false;  // in its long wait: the next event wakes it
    bool drained_ = true;
    std::atomic<bool> cancel_{false};
    std::deque<error_report> errors_;
    tracker_stats stats_;
    std::string anonymous_id_;
    std::thread thread_;
};

result<std::unique_ptr<tracker>, std::string> tracker::create(tracker_config config) {
    if (auto ok = validate(config.options); !ok) return failure{ok.error()};
    if (config.options.endpoint.empty())
        return failure{std::string("endpoint: the collector's URL")};
    std::shared_ptr<transport> t = config.transport;
    if (!t) {
        auto made = make_http_transport(config.http);
        if (!made) {
            return failure{std::string("no transport: ") + to_string(made.error()) +
                           " (built without one? pass tracker_config::transport)"};
        }
        t = *made;
    }
    std::unique_ptr<event_store> store;
    file_store* file = nullptr;
    if (config.storage_dir.empty()) {
        store = std::make_unique<memory_event_store>();
    } else {
        auto opened = file_store::open({config.storage_dir, config.sync_every_write});
        if (!opened) {
            return failure{
                "storage " + config.storage_dir + ": " + to_string(opened.error()) +
                (opened.error() == errc::storage_failed ? " (in use by another tracker)" : "")};
        }
        file = opened->get();
        store = std::move(*opened);
    }
    auto p = std::make_unique<impl>(std::move(config), std::move(t), std::move(store), file);
    p->start();
    return std::unique_ptr<tracker>(new tracker(std::move(p)));
}

tracker::tracker(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
tracker::~tracker() = default;

result<void, errc> tracker::track(event e) noexcept {
    return impl_->track(std::move(e));
}

result<void, errc> tracker::identify(std::string user_id, std::optional<std::int64_t> at) noexcept {
    if (user_id.empty()) return failure{errc::invalid_argument};
    if (user_id.size() > wire::batch_v1::max_user_id) return failure{errc::too_large};
    if (at && *at < 0) return failure{errc::invalid_argument};
    command c;
    c.what = command::kind::identify;
    c.user_id = std::move(user_id);
    c.e.at = at;
    c.e.ts = impl_->now_ms();  // the device time is when the app called, as for track
    return impl_->submit(std::move(c));
}

void tracker::reset() noexcept {
    command c;
    c.what = command::kind::reset;
    (void)impl_->submit(std::move(c));
}

void tracker::set_consent(consent decision) noexcept {
    command c;
    c.what = command::kind::consent;
    c.decision = decision;
    (void)impl_->submit(std::move(c));
}

void tracker::on_lifecycle(lifecycle moment) noexcept {
    command c;
    c.what = command::kind::lifecycle;
    c.moment = moment;
    (void)impl_->submit(std::move(c));
}

void tracker::flush() noexcept {
    command c;
    c.what = command::kind::flush;
    (void)impl_->submit(std::move(c));
}

result<void, errc> tracker::flush(std::chrono::milliseconds timeout) noexcept {
    return impl_->flush_and_wait(timeout);
}

int tracker::poll(std::chrono::milliseconds timeout) noexcept {
    return impl_->poll(timeout);
}

result<void, errc> tracker::shutdown(std::chrono::milliseconds timeout) noexcept {
    return impl_->shutdown(timeout);
}

tracker_stats tracker::stats() const noexcept {
    return impl_->stats();
}
std::string tracker::anonymous_id() const noexcept {
    return impl_->anonymous_id();
}

}  // namespace clickstream
