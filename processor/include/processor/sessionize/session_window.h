// The session window: clean events in, session rows out (docs/sessions.md).
//
// Pure logic: no clock of its own (wall time is passed in), no Kafka or
// ClickHouse types; a Kafka partition and offset are plain numbers here.
//
// Rules, per (site, session id), in event time:
// - An event joins an open window of its key when it is less than the site's
//   gap (its session timeout) after the window's last event and less than the
//   gap before its first; exactly the gap apart starts a new window, as the
//   SDK's cookie does (expired when now - last >= timeout). An event that
//   bridges two open windows merges them.
// - Watermark: per partition and source (live traffic, and imports: events
//   whose time came from `true_ts`), the highest event time seen less the
//   allowed lateness. A window closes ("gap") when the watermark reaches its
//   last event + gap. An event that joins no open window and is older than
//   the watermark is late: the caller still writes it to `events`, and it is
//   counted, but it forms no session.
// - Idle: a window that got nothing for `idle_timeout_ms` of wall time is
//   written provisionally ("idle") and stays open; a later row for the same
//   segment carries a higher version and replaces it.
// - Maximum length: an event `max_length_ms` or more after the segment's
//   first closes it ("max_length") and starts the next segment of the chain.
// - A key seen again after the gap while its previous window is still held is
//   a new row, counted as a timeout mismatch (`id_reused`); so is every
//   window whose events carry an SDK timeout other than the site's.
// - Duplicates (same event id within a window) change nothing.
// - Missing events: per (session, tab), the seq numbers never seen, from 1
//   (or from where the previous segment of the chain stopped).
//
// Row identity: segment = (first-arrived event time / gap) mod 65536, which
// differs between any two rows of one session id and is the same on every
// replay; version = (highest offset in the row + 1) * 4 + 1 for provisional
// rows, + 2 for final ones, so a replay writes the same rows and an older row
// never wins.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "processor/sessionize/session_event.h"

namespace clickstream::sessionize {

struct window_options {
    std::int64_t default_gap_ms = 1800 * 1000;
    std::map<std::string, std::int64_t, std::less<>> site_gap_ms;  // per site
    std::int64_t allowed_lateness_ms = 60 * 1000;
    std::int64_t idle_timeout_ms = 5 * 60 * 1000;  // wall time
    std::int64_t max_length_ms = 24LL * 3600 * 1000;
    std::size_t max_pages = 200;  // page sequence kept per row (counts go on)

    std::int64_t gap_ms(std::string_view site) const noexcept {
        const auto it = site_gap_ms.find(site);
        return it == site_gap_ms.end() ? default_gap_ms : it->second;
    }
};

enum class close_reason { gap, idle, max_length, merged };
std::string_view to_string(close_reason r) noexcept;

// One row of `sessions` (0002_sessions.sql, 0004_sessions_chain.sql).
struct session_row {
    std::string site;
    std::string session_id;
    std::uint16_t segment = 0;
    std::uint64_t version = 0;
    std::string anonymous_id;
    std::string user_id;
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
    std::uint32_t events = 0;
    std::uint32_t page_views = 0;
    std::uint32_t clicks = 0;
    std::uint32_t scrolls = 0;
    std::uint32_t hovers = 0;
    std::uint32_t max_scroll_depth = 0;
    std::vector<std::string> pages;
    std::string landing_page;
    std::string exit_page;
    std::string referrer;
    std::string referrer_medium;
    std::string referrer_source;
    std::string utm_source;
    std::string utm_medium;
    std::string utm_campaign;
    std::string utm_term;
    std::string utm_content;
    std::string channel;
    std::string device_type;
    std::string browser_family;
    std::string os_family;
    std::string country;
    std::uint32_t conversions = 0;
    std::vector<std::string> conversion_names;
    double revenue = 0;
    std::string currency;
    bool converted = false;
    bool bounce = false;
    std::uint32_t missing_events = 0;
    std::uint32_t sdk_timeout_s = 0;
    close_reason reason = close_reason::gap;
    // 0004: the chain a max-length continuation belongs to.
    std::int64_t chain_start_ms = 0;
    std::uint16_t segment_index = 0;  // 0 for a chain's first row
    std::string platform;
    std::string sdk_name;
    // Not stored: events that carried a seq (with missing_events, the share
    // lost on the way), and where the row came from.
    std::uint32_t seq_events = 0;
    std::int32_t partition = -1;
    bool final = false;  // gap, max_length or merged; false: provisional (idle)
};

// What a partition's watermarks are made of: the highest event time it has
// seen, live and imports (`none` before the first). Stored with a committed
// offset, they let a restart from that offset take every event exactly as
// the first run did (docs/sessions.md, "Restart determinism").
struct partition_marks {
    static constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();
    std::int64_t live = none;
    std::int64_t historical = none;
    bool operator==(const partition_marks&) const = default;
};

enum class add_kind { accepted, duplicate, late };

struct add_outcome {
    add_kind kind = add_kind::accepted;
    bool id_reused = false;             // the key came back after the gap: a new row
    bool sdk_timeout_mismatch = false;  // first event of a window whose SDK timeout differs
};

struct window_counts {
    std::uint64_t accepted = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t late = 0;
    std::uint64_t id_reused = 0;
    std::uint64_t sdk_timeout_mismatches = 0;
};

class session_window {
public:
    explicit session_window(window_options options);
    ~session_window();
    session_window(const session_window&) = delete;
    session_window& operator=(const session_window&) = delete;

    // One event from `partition` at `offset` (offsets rise within a
    // partition), arrived at `wall_ms`. Rows closed by it are appended to `out`.
    add_outcome add(const session_event& e, std::int32_t partition, std::int64_t offset,
                    std::int64_t wall_ms, std::vector<session_row>& out);

    // Writes provisional rows for windows idle since `wall_ms - idle_timeout`.
    void tick(std::int64_t wall_ms, std::vector<session_row>& out);

    // The lowest offset of `partition` that a restart must read again to
    // rebuild what is open: the first offset of every open chain, and of any
    // closed chain with events at or after that point. `position` is the next
    // offset to read; the answer is never above it. Forgets closed chains
    // wholly before the answer.
    std::int64_t lowest_needed(std::int32_t partition, std::int64_t position);

    // The marks the partition had just before it read `offset`, for the
    // offset lowest_needed() answered last (nullopt for any other): what to
    // store with a commit of that offset.
    std::optional<partition_marks> marks_at(std::int32_t partition,
                                            std::int64_t offset) const noexcept;

    // A partition about to be read from a committed offset starts from the
    // marks stored with it (call before its first event), so its watermarks
    // are what they were when the first run read that offset.
    void restore_marks(std::int32_t partition, const partition_marks& marks);

    // Forgets everything of a partition (revoked, or read again from an
    // earlier offset): no rows are written for it.
    void drop_partition(std::int32_t partition);

    std::size_t open_windows() const noexcept;
    std::size_t open_windows(std::int32_t partition) const noexcept;
    // Live or import watermark of a partition; nullopt before its first event.
    std::optional<std::int64_t> watermark(std::int32_t partition, bool historical) const noexcept;
    const window_counts& counts() const noexcept { return counts_; }
    const window_options& options() const noexcept { return options_; }

    struct window;
    struct partition_state;

private:
    partition_state& partition(std::int32_t p);
    void close(partition_state& ps, window* w, close_reason why, std::vector<session_row>& out);
    void advance(partition_state& ps, bool historical, std::vector<session_row>& out);

    window_options options_;
    std::unordered_map<std::int32_t, std::unique_ptr<partition_state>> partitions_;
    window_counts counts_;
};

}  // namespace clickstream::sessionize
