#include "processor/sessionize/stage.h"

#include <algorithm>
#include <charconv>

namespace clickstream::sessionize {

namespace {

constexpr std::string_view marks_format = "wm1";

void append_mark(std::string& out, std::int64_t v) {
    out.push_back(' ');
    if (v == partition_marks::none) {
        out.push_back('-');
    } else {
        out += std::to_string(v);
    }
}

bool parse_mark(std::string_view& in, std::int64_t& v) noexcept {
    if (in.empty() || in.front() != ' ') return false;
    in.remove_prefix(1);
    if (!in.empty() && in.front() == '-' && (in.size() == 1 || in[1] == ' ')) {
        v = partition_marks::none;
        in.remove_prefix(1);
        return true;
    }
    const auto [end, ec] = std::from_chars(in.data(), in.data() + in.size(), v);
    if (ec != std::errc{} || end == in.data()) return false;
    in.remove_prefix(static_cast<std::size_t>(end - in.data()));
    return true;
}

}  // namespace

std::string encode_marks(const partition_marks& marks) {
    std::string out(marks_format);
    append_mark(out, marks.live);
    append_mark(out, marks.historical);
    return out;
}

std::optional<partition_marks> decode_marks(std::string_view in) noexcept {
    if (in.substr(0, marks_format.size()) != marks_format) return std::nullopt;
    in.remove_prefix(marks_format.size());
    partition_marks m;
    if (!parse_mark(in, m.live) || !parse_mark(in, m.historical) || !in.empty()) {
        return std::nullopt;
    }
    return m;
}

stage::stage(stage_options options, event_sink& events, session_sink& sessions, probe& metrics,
             common::logger& log)
    : options_(std::move(options)),
      window_(options_.window),
      events_(events),
      sessions_(sessions),
      probe_(metrics),
      log_(log) {}

void stage::take_rows() {
    for (auto& r : closed_) {
        probe_.closed(r);
        sessions_pending_.push_back(std::move(r));
    }
    closed_.clear();
}

void stage::on_message(std::int32_t partition, std::int64_t offset, std::string_view value,
                       std::int64_t wall_ms) {
    const auto pos = position_.find(partition);
    if (pos != position_.end() && offset < pos->second) {
        // Read again from the committed offset: rebuild from there.
        log_.info("partition_rewound",
                  {{"partition", partition}, {"from", pos->second}, {"to", offset}});
        drop_partition(partition);
    }
    position_[partition] = offset + 1;
    auto parsed = parse_clean_event(value);
    if (!parsed) {
        probe_.event("invalid");
        log_.warn("clean_event_invalid", {{"partition", partition},
                                          {"offset", offset},
                                          {"error", std::string(to_string(parsed.error()))}});
        return;
    }
    if (oldest_pending_ms_ < 0) oldest_pending_ms_ = wall_ms;
    const add_outcome o = window_.add(parsed->event, partition, offset, wall_ms, closed_);
    switch (o.kind) {
        case add_kind::accepted:
            probe_.event("accepted");
            events_pending_.push_back(std::move(parsed->row));
            break;
        case add_kind::duplicate:
            probe_.event("duplicate");  // the events table has it already (same key)
            break;
        case add_kind::late:
            probe_.event("late");
            probe_.late(parsed->event.historical());
            events_pending_.push_back(std::move(parsed->row));
            break;
    }
    if (o.id_reused) probe_.timeout_mismatch("id_reused");
    if (o.sdk_timeout_mismatch) probe_.timeout_mismatch("sdk_timeout");
    take_rows();
}

bool stage::starts_partition(std::int32_t partition, std::int64_t offset) const noexcept {
    const auto pos = position_.find(partition);
    return pos == position_.end() || offset < pos->second;
}

void stage::resume(std::int32_t partition, std::int64_t offset, std::int64_t committed_offset,
                   std::string_view metadata) {
    if (position_.count(partition) != 0) {
        log_.info("partition_rewound",
                  {{"partition", partition}, {"from", position_[partition]}, {"to", offset}});
        drop_partition(partition);
    }
    const auto marks = offset == committed_offset ? decode_marks(metadata) : std::nullopt;
    if (marks) window_.restore_marks(partition, *marks);
    log_.info("partition_started", {{"partition", partition},
                                    {"offset", offset},
                                    {"committed", committed_offset},
                                    {"marks_restored", marks.has_value()},
                                    {"metadata", std::string(metadata)}});
}

void stage::tick(std::int64_t wall_ms) {
    window_.tick(wall_ms, closed_);
    if (!closed_.empty() && oldest_pending_ms_ < 0) oldest_pending_ms_ = wall_ms;
    take_rows();
    probe_.open_sessions(static_cast<double>(window_.open_windows()));
}

bool stage::flush_due(std::int64_t wall_ms) const noexcept {
    if (events_pending_.size() >= options_.batch_events) return true;
    return oldest_pending_ms_ >= 0 &&
           wall_ms - oldest_pending_ms_ >= options_.batch_interval.count();
}

template <class Write>
bool stage::write_with_retry(std::string_view table, Write&& write, const sleeper& sleep) {
    auto backoff = options_.backoff_initial;
    while (true) {
        const auto start = std::chrono::steady_clock::now();
        const auto r = write();
        probe_.insert(
            table, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
            r.has_value());
        if (r) {
            probe_.paused(false);
            return true;
        }
        probe_.paused(true);
        log_.warn("clickhouse_write_failed", {{"table", table},
                                              {"error", std::string(to_string(r.error()))},
                                              {"retry_ms", backoff.count()}});
        if (!sleep(backoff)) return false;
        backoff = std::min(backoff * 2, options_.backoff_max);
    }
}

bool stage::flush(std::int64_t wall_ms, const sleeper& sleep) {
    (void)wall_ms;
    // Events first: a session row never shows before its events.
    if (!events_pending_.empty()) {
        if (!write_with_retry(
                "events", [&] { return events_.write_events(events_pending_); }, sleep)) {
            return false;
        }
        events_pending_.clear();
    }
    if (!sessions_pending_.empty()) {
        if (!write_with_retry(
                "sessions", [&] { return sessions_.write_sessions(sessions_pending_); }, sleep)) {
            return false;
        }
        sessions_pending_.clear();
    }
    oldest_pending_ms_ = -1;
    probe_.open_sessions(static_cast<double>(window_.open_windows()));
    return true;
}

std::vector<commit_point> stage::commit_points(const std::vector<std::int32_t>& assigned) {
    std::vector<commit_point> out;
    double lag = 0;
    for (const std::int32_t p : assigned) {
        const auto pos = position_.find(p);
        if (pos == position_.end()) continue;
        const std::int64_t low = window_.lowest_needed(p, pos->second);
        lag += static_cast<double>(pos->second - low);
        auto& last = committed_[p];
        if (low > last) {
            const auto marks = window_.marks_at(p, low);
            out.push_back({p, low, marks ? encode_marks(*marks) : std::string()});
            last = low;
        }
    }
    probe_.commit_lag(lag);
    return out;
}

void stage::drop_partition(std::int32_t partition) {
    window_.drop_partition(partition);
    position_.erase(partition);
    committed_.erase(partition);
    probe_.partitions_dropped(1);
}

}  // namespace clickstream::sessionize
