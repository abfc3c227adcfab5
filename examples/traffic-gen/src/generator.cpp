#include "traffic_gen/generator.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <thread>
#include <vector>

#include "clickstream/tracker.h"
#include "clickstream/wire/batch_v1.h"
#include "traffic_gen/model.h"

namespace clickstream::traffic_gen {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
constexpr std::int64_t day_ms = 24LL * 3600 * 1000;

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A visitor's device clock in historical mode: it reads the simulated time
// the driver set while the visit plays, so the SDK stamps and sessions by
// simulated time; once released (the visit's end) it moves on in real time
// from there, so the sender's retries and backoff still run.
class sim_clock final : public clickstream::clock {
public:
    std::int64_t now_ms() noexcept override {
        const std::int64_t base = base_.load();
        if (!running_.load()) return base;
        return base + std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - set_at_)
                          .count();
    }
    void set(std::int64_t ms) noexcept { base_.store(ms); }
    void release() noexcept {
        set_at_ = steady::now();
        running_.store(true);
    }

private:
    std::atomic<std::int64_t> base_{0};
    std::atomic<bool> running_{false};
    steady::time_point set_at_;
};

struct active_visit {
    visit_plan plan;
    std::size_t next = 0;
    std::unique_ptr<tracker> t;
    std::shared_ptr<sim_clock> clk;
    std::vector<error_report> errors;
};

struct timed {
    std::int64_t at;
    std::uint64_t visitor;
    bool operator>(const timed& o) const { return at != o.at ? at > o.at : visitor > o.visitor; }
};
using min_heap = std::priority_queue<timed, std::vector<timed>, std::greater<>>;

std::string with_commas(std::uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

class driver {
public:
    driver(const generator_options& o, const catalog& data, const run_environment& env)
        : o_(o), data_(data), env_(env), truth_(env.ground_truth) {}

    ~driver() {
        if (remove_state_) {
            std::error_code ec;
            std::filesystem::remove_all(state_dir_, ec);
        }
    }

    result<run_report, std::string> run() {
        if (o_.collector.empty()) return failure{std::string("--collector: the collector's URL")};
        if (!wire::batch_v1::is_valid_site_key(o_.site)) {
            return failure{"--site: '" + o_.site + "' is not a site key ([A-Za-z0-9_.-]{1,64})"};
        }
        std::shared_ptr<clickstream::transport> inner = env_.transport;
        if (!inner) {
            http_transport_options http;
            http.gzip = o_.gzip;
            auto made = make_http_transport(http);
            if (!made) {
                return failure{std::string("no HTTP transport in this build: ") +
                               to_string(made.error())};
            }
            inner = *made;
        }
        recorder_ = std::make_shared<recording_transport>(inner);
        if (auto ok = decide_timeout(); !ok) return failure{ok.error()};
        if (auto ok = make_state_dir(); !ok) return failure{ok.error()};

        model_options mo;
        mo.session_timeout_ms = timeout_s_ * 1000;
        mo.bot_share = o_.bot_share;
        mo.live = o_.mode == run_mode::live;
        model_.emplace(data_, demo_shop(o_.base_url), mo);

        started_ = steady::now();
        live_start_ = wall_ms();
        header();
        if (o_.mode == run_mode::historical) {
            start_ms_ = o_.start_ms.value_or((wall_ms() / day_ms - o_.days) * day_ms);
            end_ms_ = start_ms_ + o_.days * day_ms;
            const std::uint64_t n = o_.visitors == 0 ? 1000 : o_.visitors;
            for (std::uint64_t i = 0; i < n; ++i) {
                add_visitor(i, historical_arrival(o_.seed, i, start_ms_, o_.days));
            }
        } else {
            start_ms_ = live_start_;
            end_ms_ = o_.duration_s > 0
                          ? live_start_ + static_cast<std::int64_t>(o_.duration_s * 1000)
                          : std::numeric_limits<std::int64_t>::max();
            arrivals_.emplace(mix(o_.seed, 0xA771BA1ULL));
            next_arrival_ = start_ms_ + arrival_gap();
        }

        auto ran = loop();
        close_all(ran ? o_.delivery_timeout_ms : 1000);
        if (!ran) return failure{ran.error()};
        truth_.finish();
        progress(true);
        run_report report;
        report.truth = truth_.totals();
        report.delivery = recorder_->counts();
        report.sent_events = sent_;
        report.rejected_events = rejected_;
        report.session_timeout_s = timeout_s_;
        report.stopped = stopped_;
        return report;
    }

private:
    result<void, std::string> decide_timeout() {
        if (o_.session_timeout_s) {
            timeout_s_ = *o_.session_timeout_s;
            if (timeout_s_ < wire::batch_v1::min_session_timeout_s ||
                timeout_s_ > wire::batch_v1::max_session_timeout_s) {
                return failure{std::string("--session-timeout: from 1 to 86400 seconds")};
            }
            return {};
        }
        std::string url = o_.collector;
        while (!url.empty() && url.back() == '/') url.pop_back();
        const auto answer = recorder_->fetch(url + "/v1/config?site=" + o_.site);
        if (answer) {
            if (const auto t = parse_session_timeout(*answer)) {
                timeout_s_ = *t;
                return {};
            }
        }
        timeout_s_ = 1800;
        say("could not read the site's session timeout from the collector; using 1800 s "
            "(give --session-timeout)");
        return {};
    }

    result<void, std::string> make_state_dir() {
        std::error_code ec;
        if (o_.state_dir.empty()) {
            state_dir_ = std::filesystem::temp_directory_path(ec) /
                         ("clickstream-traffic-gen-" + std::to_string(::getpid()) + "-" +
                          std::to_string(o_.seed));
            std::filesystem::remove_all(state_dir_, ec);
            remove_state_ = true;
        } else {
            state_dir_ = o_.state_dir;
        }
        std::filesystem::create_directories(state_dir_, ec);
        if (ec) return failure{"state folder " + state_dir_.string() + ": " + ec.message()};
        return {};
    }

    void header() {
        nlohmann::json h = {{"kind", "run"},
                            {"generator", "clickstream-traffic-gen"},
                            {"mode", o_.mode == run_mode::live ? "live" : "historical"},
                            {"seed", o_.seed},
                            {"site", o_.site},
                            {"base_url", o_.base_url},
                            {"bot_share", o_.bot_share},
                            {"session_timeout_s", timeout_s_}};
        if (o_.mode == run_mode::historical) {
            h["start"] = o_.start_ms.value_or((wall_ms() / day_ms - o_.days) * day_ms);
            h["days"] = o_.days;
            h["visitors"] = o_.visitors == 0 ? 1000 : o_.visitors;
        } else {
            h["rate_per_minute"] = o_.rate;
            h["visitors"] = o_.visitors;
        }
        truth_.run_header(h.dump());
    }

    std::int64_t arrival_gap() {
        const double mean_ms = 60000.0 / std::max(o_.rate, 1e-6);
        return std::max<std::int64_t>(
            1, static_cast<std::int64_t>(-std::log(1.0 - arrivals_->uniform()) * mean_ms));
    }

    void add_visitor(std::uint64_t index, std::int64_t at) {
        visitor v = model_->make_visitor(o_.seed, index);
        truth_.new_visitor(v);
        visitors_.emplace(index, std::move(v));
        pending_.push({at, index});
        ++created_;
    }

    // The main loop: the earliest of a new arrival, a visit starting and an
    // event of an open visit, in time order (ties by visitor).
    result<void, std::string> loop() {
        const bool live = o_.mode == run_mode::live;
        while (true) {
            const bool more_arrivals = live && (o_.visitors == 0 || created_ < o_.visitors);
            std::int64_t at = std::numeric_limits<std::int64_t>::max();
            int what = -1;  // 0 arrival, 1 visit start, 2 event
            if (more_arrivals) at = next_arrival_, what = 0;
            if (!pending_.empty() && pending_.top().at < at) at = pending_.top().at, what = 1;
            if (!events_.empty() && events_.top().at < at) at = events_.top().at, what = 2;
            if (what < 0) return {};
            if (live && !sleep_until(std::min(at, end_ms_))) return {};
            if (live && at >= end_ms_) {
                stopped_ = true;
                return {};
            }
            if (stop_requested()) return {};
            sim_now_ = at;
            progress(false);
            if (what == 0) {
                add_visitor(created_, next_arrival_);
                next_arrival_ += arrival_gap();
            } else if (what == 1) {
                const timed p = pending_.top();
                pending_.pop();
                if (!live && p.at >= end_ms_) {
                    visitors_.erase(p.visitor);
                    continue;
                }
                if (auto ok = open_visit(p.visitor, p.at); !ok) return ok;
            } else {
                const timed e = events_.top();
                events_.pop();
                if (auto ok = play(e.visitor); !ok) return ok;
            }
        }
    }

    bool stop_requested() {
        if (env_.stop != nullptr && env_.stop->load()) stopped_ = true;
        return stopped_;
    }

    // Live mode: waits until `at` (wall time), showing progress; false if
    // asked to stop meanwhile.
    bool sleep_until(std::int64_t at) {
        while (true) {
            if (stop_requested()) return false;
            const std::int64_t left = at - wall_ms();
            if (left <= 0) return true;
            progress(false);
            std::this_thread::sleep_for(
                std::chrono::milliseconds(std::min<std::int64_t>(left, 200)));
        }
    }

    result<void, std::string> open_visit(std::uint64_t index, std::int64_t at) {
        visitor& v = visitors_.at(index);
        // A map's nodes stay put: the error callback can point into the slot.
        active_visit& slot = active_[index];
        slot.plan = model_->plan_visit(v, at);
        tracker_config c;
        c.options.site = o_.site;
        c.options.endpoint = o_.collector;
        c.options.anonymous_id = v.anonymous_id;
        c.options.context.platform_kind = platform::web;
        c.options.context.screen = v.screen;
        c.options.context.viewport = v.viewport;
        c.options.context.language = v.language;
        c.options.context.time_zone = v.time_zone;
        c.options.context.tab_id = slot.plan.tab_id;
        c.options.context.webdriver = v.webdriver;
        c.options.session.timeout_s = timeout_s_;
        c.options.user_agent = v.user_agent;
        if (!o_.origin.empty()) c.options.headers.push_back({"Origin", o_.origin});
        c.transport = recorder_;
        c.storage_dir = (state_dir_ / std::to_string(index)).string();
        c.random = std::make_shared<seeded_random>(
            mix(mix(o_.seed, index + 1), static_cast<std::uint64_t>(slot.plan.visit) + 1));
        if (o_.mode == run_mode::historical) {
            slot.clk = std::make_shared<sim_clock>();
            slot.clk->set(at);
            c.clock = slot.clk;
        }
        c.fetch_remote_config = false;  // the model needs the one timeout it was given
        c.on_error = [&errors = slot.errors](const error_report& e) { errors.push_back(e); };
        auto made = tracker::create(std::move(c));
        if (!made) {
            active_.erase(index);
            return failure{"cannot start a tracker: " + made.error()};
        }
        slot.t = std::move(*made);
        ++visits_;
        events_.push({slot.plan.events.front().t, index});
        return {};
    }

    result<void, std::string> play(std::uint64_t index) {
        active_visit& a = active_.at(index);
        const planned_event& p = a.plan.events[a.next];
        result<void, errc> tracked;
        if (a.clk) a.clk->set(p.t);
        if (p.ev.type == event_type::identify) {
            // A sign-in carries its true time like every other event.
            std::optional<std::int64_t> at;
            if (o_.mode == run_mode::historical) at = p.t;
            tracked = a.t->identify(visitors_.at(index).user_id, at);
        } else {
            event e = p.ev;
            e.ts = p.t;
            if (o_.mode == run_mode::historical) e.at = p.t;
            tracked = a.t->track(std::move(e));
        }
        if (!tracked) {
            return failure{std::string("the SDK refused a ") + to_string(p.ev.type) +
                           " event: " + to_string(tracked.error())};
        }
        ++a.next;
        ++events_tracked_;
        if (a.next < a.plan.events.size()) {
            events_.push({a.plan.events[a.next].t, index});
            return {};
        }
        return close_visit(index, o_.delivery_timeout_ms);
    }

    // Sends what the visit left, joins what the SDK sent with the plan and
    // writes it down; schedules the visitor's return.
    result<void, std::string> close_visit(std::uint64_t index, std::int64_t timeout_ms) {
        const auto it = active_.find(index);
        struct erase_at_end {
            std::map<std::uint64_t, active_visit>& m;
            std::map<std::uint64_t, active_visit>::iterator i;
            ~erase_at_end() { m.erase(i); }
        } erase{active_, it};
        active_visit& a = it->second;
        if (a.clk) a.clk->release();
        const auto done = a.t->shutdown(std::chrono::milliseconds(timeout_ms));
        a.t->poll(0ms);
        const auto stats = a.t->stats();
        sent_ += stats.sent_events;
        rejected_ += stats.dropped_rejected;
        a.t.reset();
        for (const auto& e : a.errors) {
            if (e.code == errc::rejected) {
                return failure{"the collector refused a batch (" + e.reason + ") for site '" +
                               o_.site + "'" +
                               (o_.origin.empty() ? std::string() : " from origin " + o_.origin) +
                               ": is the site configured there, and the origin allowed?"};
            }
        }
        if (!done) {
            const auto d = recorder_->counts();
            return failure{"the collector at " + o_.collector + " did not take the events within " +
                           std::to_string(timeout_ms / 1000) + " s" +
                           (d.last_problem.empty() ? std::string()
                                                   : " (last answer: " + d.last_problem + ")")};
        }
        visitor& v = visitors_.at(index);
        const auto recorded = recorder_->take(v.anonymous_id);
        if (auto ok = truth_.visit(v, a.plan, a.next, recorded); !ok) {
            return failure{"ground truth: " + ok.error()};
        }
        if (a.next < a.plan.events.size()) return {};  // cut short: no return
        const auto back = model_->next_visit(v, a.plan.events.back().t);
        if (back && (o_.mode == run_mode::live || *back < end_ms_)) {
            pending_.push({*back, index});
        } else {
            visitors_.erase(index);
        }
        return {};
    }

    void close_all(std::int64_t timeout_ms) {
        while (!active_.empty()) {
            const auto index = active_.begin()->first;
            if (auto ok = close_visit(index, timeout_ms); !ok) say(ok.error());
        }
    }

    void say(const std::string& line) {
        if (env_.progress == nullptr) return;
        if (progress_shown_) *env_.progress << '\n';
        progress_shown_ = false;
        *env_.progress << "traffic-gen: " << line << std::endl;
    }

    void progress(bool last) {
        if (env_.progress == nullptr || !o_.progress) return;
        const auto now = steady::now();
        if (!last && now - last_progress_ < 1s) return;
        last_progress_ = now;
        const double secs = std::chrono::duration<double>(now - started_).count();
        const auto d = recorder_->counts();
        char line[256];
        const std::string rate = with_commas(
            static_cast<std::uint64_t>(secs > 0 ? static_cast<double>(events_tracked_) / secs : 0));
        const auto& t = truth_.totals();
        if (o_.mode == run_mode::historical) {
            const std::int64_t sim =
                events_.empty() ? end_ms_ : std::min(events_.top().at, end_ms_);
            const double done = last ? 1.0
                                     : std::clamp(static_cast<double>(sim - start_ms_) /
                                                      static_cast<double>(end_ms_ - start_ms_),
                                                  0.0, 1.0);
            std::string bar(20, '.');
            for (int i = 0; i < static_cast<int>(done * 20); ++i)
                bar[static_cast<std::size_t>(i)] = '#';
            std::snprintf(
                line, sizeof line,
                "[%s] %3.0f%%  day %lld/%d  visits %s  events %s (%s/s)  sent batches %s  "
                "retries %s  bot visitors %s",
                bar.c_str(), done * 100,
                static_cast<long long>(std::max<std::int64_t>(0, sim - start_ms_) / day_ms),
                o_.days, with_commas(visits_).c_str(), with_commas(events_tracked_).c_str(),
                rate.c_str(), with_commas(d.batches_sent).c_str(),
                with_commas(d.batches_retried).c_str(), with_commas(t.bot_visitors).c_str());
        } else {
            std::snprintf(line, sizeof line,
                          "live %5.0f s  visitors %s  open visits %zu  events %s  sent batches %s  "
                          "retries %s  bot visitors %s",
                          secs, with_commas(created_).c_str(), active_.size(),
                          with_commas(events_tracked_).c_str(), with_commas(d.batches_sent).c_str(),
                          with_commas(d.batches_retried).c_str(),
                          with_commas(t.bot_visitors).c_str());
        }
        const bool tty = ::isatty(STDERR_FILENO) == 1;
        if (tty) {
            *env_.progress << '\r' << line << "\x1b[K" << std::flush;
            progress_shown_ = true;
            if (last) {
                *env_.progress << '\n';
                progress_shown_ = false;
            }
        } else if (last || now - last_line_ >= 10s) {
            last_line_ = now;
            *env_.progress << line << std::endl;
        }
    }

    const generator_options& o_;
    const catalog& data_;
    const run_environment& env_;
    ground_truth_writer truth_;
    std::shared_ptr<recording_transport> recorder_;
    std::optional<visitor_model> model_;
    std::int64_t timeout_s_ = 1800;
    std::filesystem::path state_dir_;
    bool remove_state_ = false;
    std::int64_t start_ms_ = 0;
    std::int64_t end_ms_ = 0;
    std::int64_t live_start_ = 0;
    std::int64_t sim_now_ = 0;  // the time of the step being played
    std::optional<rng> arrivals_;
    std::int64_t next_arrival_ = 0;
    std::uint64_t created_ = 0;
    std::uint64_t visits_ = 0;
    std::uint64_t events_tracked_ = 0;
    std::uint64_t sent_ = 0;
    std::uint64_t rejected_ = 0;
    bool stopped_ = false;
    std::map<std::uint64_t, visitor> visitors_;
    std::map<std::uint64_t, active_visit> active_;
    min_heap pending_;
    min_heap events_;
    steady::time_point started_;
    steady::time_point last_progress_;
    steady::time_point last_line_;
    bool progress_shown_ = false;
};

}  // namespace

result<run_report, std::string> run(const generator_options& options, const catalog& data,
                                    const run_environment& env) {
    driver d(options, data, env);
    return d.run();
}

}  // namespace clickstream::traffic_gen
