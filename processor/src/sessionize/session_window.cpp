#include "processor/sessionize/session_window.h"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>

namespace clickstream::sessionize {

std::string_view to_string(close_reason r) noexcept {
    switch (r) {
        case close_reason::gap:
            return "gap";
        case close_reason::idle:
            return "idle";
        case close_reason::max_length:
            return "max_length";
        case close_reason::merged:
            return "merged";
    }
    return "unknown";
}

namespace {

constexpr std::int64_t no_time = std::numeric_limits<std::int64_t>::min();
constexpr std::uint32_t no_slot = std::numeric_limits<std::uint32_t>::max();

// The attributes a row takes from its earliest event, packed in one string
// (an open session should cost well under 1 KiB).
enum attr : std::size_t {
    a_anonymous_id,
    a_referrer,
    a_referrer_medium,
    a_referrer_source,
    a_utm_source,
    a_utm_medium,
    a_utm_campaign,
    a_utm_term,
    a_utm_content,
    a_channel,
    a_device_type,
    a_browser_family,
    a_os_family,
    a_country,
    a_platform,
    a_sdk_name,
    attr_count
};

struct packed_attrs {
    std::string blob;
    std::array<std::uint16_t, attr_count> len{};

    void set(const session_event& e) {
        const std::array<const std::string*, attr_count> from = {
            &e.anonymous_id, &e.referrer,   &e.referrer_medium, &e.referrer_source,
            &e.utm_source,   &e.utm_medium, &e.utm_campaign,    &e.utm_term,
            &e.utm_content,  &e.channel,    &e.device_type,     &e.browser_family,
            &e.os_family,    &e.country,    &e.platform,        &e.sdk_name};
        blob.clear();
        for (std::size_t i = 0; i < attr_count; ++i) {
            const std::size_t n = std::min<std::size_t>(from[i]->size(), 0xFFFF);
            len[i] = static_cast<std::uint16_t>(n);
            blob.append(*from[i], 0, n);
        }
        blob.shrink_to_fit();
    }
    std::string get(attr a) const {
        std::size_t at = 0;
        for (std::size_t i = 0; i < a; ++i) at += len[i];
        return blob.substr(at, len[a]);
    }
};

struct timed_text {
    std::int64_t ms;
    std::string text;
};

struct tab_seqs {
    std::uint64_t tab;
    std::uint32_t base;               // seq numbers up to here belong to an earlier segment
    std::vector<std::uint32_t> seen;  // sorted, unique
};

std::uint64_t hash_of(std::string_view s) noexcept {
    return std::hash<std::string_view>{}(s);
}

// Inserts keeping `v` sorted by time; equal times keep arrival order.
void insert_timed(std::vector<timed_text>& v, std::int64_t ms, const std::string& text) {
    const auto at = std::upper_bound(v.begin(), v.end(), ms,
                                     [](std::int64_t t, const timed_text& x) { return t < x.ms; });
    v.insert(at, timed_text{ms, text});
}

std::uint16_t segment_of(std::int64_t ms, std::int64_t gap_ms) noexcept {
    const std::int64_t t = std::max<std::int64_t>(ms, 0);
    return static_cast<std::uint16_t>((t / std::max<std::int64_t>(gap_ms, 1)) & 0xFFFF);
}

}  // namespace

struct session_window::window {
    const std::string* key = nullptr;  // site '\x1f' session id (the map's key)
    std::size_t site_len = 0;
    bool historical = false;
    std::int64_t gap_ms = 0;
    std::int64_t first_ms = 0;
    std::int64_t last_ms = 0;
    std::uint16_t segment = 0;
    std::uint16_t segment_index = 0;
    std::int64_t chain_start_ms = 0;
    std::int64_t chain_first_offset = 0;
    std::int64_t max_offset = 0;
    std::int64_t close_at = 0;       // last_ms + gap_ms: in partition_state::closing
    std::int64_t idle_at = no_time;  // in partition_state::idle while a row is due
    std::uint32_t close_slot = no_slot;  // where it is in those heaps
    std::uint32_t idle_slot = no_slot;
    std::uint32_t events = 0, page_views = 0, clicks = 0, scrolls = 0, hovers = 0;
    std::uint32_t interactions = 0, max_scroll = 0, conversions = 0, sdk_timeout_s = 0;
    bool mismatch_counted = false;
    bool row_out = false;  // a provisional row was written
    std::int64_t attrs_ms = no_time;
    packed_attrs attrs;
    std::int64_t user_ms = no_time;
    std::string user_id;
    std::int64_t exit_ms = no_time;
    std::string exit_page;
    std::vector<timed_text> pages;
    std::vector<timed_text> conversion_names;
    double revenue = 0;
    std::string currency;
    std::vector<std::uint64_t> ids;  // event id hashes, sorted
    std::vector<tab_seqs> tabs;
};

namespace {

// A binary min-heap of windows on one of their times, each window knowing
// its slot: update and erase in O(log n) with no allocation per event (a
// std::set costs a node per entry, allocated and freed on every event).
// Windows of equal time come out in no particular order.
template <std::int64_t session_window::window::*Time, std::uint32_t session_window::window::*Slot>
class window_heap {
public:
    using window = session_window::window;
    bool empty() const noexcept { return v_.empty(); }
    window* top() const noexcept { return v_.front(); }
    // Inserts `w`, or moves it after its time changed.
    void set(window* w) {
        if (w->*Slot == no_slot) {
            w->*Slot = static_cast<std::uint32_t>(v_.size());
            v_.push_back(w);
        }
        fix(w->*Slot);
    }
    void erase(window* w) noexcept {
        const std::uint32_t i = w->*Slot;
        if (i == no_slot) return;
        w->*Slot = no_slot;
        window* last = v_.back();
        v_.pop_back();
        if (last == w) return;
        v_[i] = last;
        last->*Slot = i;
        fix(i);
    }

private:
    bool less(std::uint32_t a, std::uint32_t b) const noexcept { return v_[a]->*Time < v_[b]->*Time; }
    void place(std::uint32_t i, window* w) noexcept {
        v_[i] = w;
        w->*Slot = i;
    }
    void fix(std::uint32_t i) noexcept {
        window* w = v_[i];
        while (i > 0) {  // up
            const std::uint32_t parent = (i - 1) / 2;
            if (!(w->*Time < v_[parent]->*Time)) break;
            place(i, v_[parent]);
            i = parent;
        }
        const auto n = static_cast<std::uint32_t>(v_.size());
        while (true) {  // down
            std::uint32_t child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && less(child + 1, child)) ++child;
            if (!(v_[child]->*Time < w->*Time)) break;
            place(i, v_[child]);
            i = child;
        }
        place(i, w);
    }

    std::vector<window*> v_;
};

using closing_heap = window_heap<&session_window::window::close_at, &session_window::window::close_slot>;
using idle_heap = window_heap<&session_window::window::idle_at, &session_window::window::idle_slot>;

}  // namespace

struct session_window::partition_state {
    std::unordered_map<std::string, std::vector<std::unique_ptr<window>>> keys;
    std::array<std::int64_t, 2> max_time{no_time, no_time};  // [live, historical]
    std::array<closing_heap, 2> closing;  // by close_at: [live, historical]
    idle_heap idle;                        // by idle_at, windows with a row due
    // Closed chains' (first offset, last offset), until a commit passes them.
    std::vector<std::pair<std::int64_t, std::int64_t>> closed_ranges;
    std::size_t open = 0;
    std::int32_t id = -1;
    std::string key_buffer;
    std::vector<window*> reach;  // add()'s scratch
};

session_window::session_window(window_options options) : options_(std::move(options)) {}
session_window::~session_window() = default;

session_window::partition_state& session_window::partition(std::int32_t p) {
    auto& slot = partitions_[p];
    if (!slot) {
        slot = std::make_unique<partition_state>();
        slot->id = p;
    }
    return *slot;
}

namespace {

session_row make_row(const session_window::window& w, std::int32_t partition, close_reason why,
                     bool final) {
    session_row r;
    r.site = w.key->substr(0, w.site_len);
    r.session_id = w.key->substr(w.site_len + 1);
    r.segment = w.segment;
    r.version = static_cast<std::uint64_t>(w.max_offset + 1) * 4 + (final ? 2 : 1);
    r.anonymous_id = w.attrs.get(a_anonymous_id);
    r.user_id = w.user_id;
    r.start_ms = w.first_ms;
    r.end_ms = w.last_ms;
    r.events = w.events;
    r.page_views = w.page_views;
    r.clicks = w.clicks;
    r.scrolls = w.scrolls;
    r.hovers = w.hovers;
    r.max_scroll_depth = w.max_scroll;
    r.pages.reserve(w.pages.size());
    for (const auto& p : w.pages) r.pages.push_back(p.text);
    if (!w.pages.empty()) r.landing_page = w.pages.front().text;
    r.exit_page = w.exit_page;
    r.referrer = w.attrs.get(a_referrer);
    r.referrer_medium = w.attrs.get(a_referrer_medium);
    r.referrer_source = w.attrs.get(a_referrer_source);
    r.utm_source = w.attrs.get(a_utm_source);
    r.utm_medium = w.attrs.get(a_utm_medium);
    r.utm_campaign = w.attrs.get(a_utm_campaign);
    r.utm_term = w.attrs.get(a_utm_term);
    r.utm_content = w.attrs.get(a_utm_content);
    r.channel = w.attrs.get(a_channel);
    r.device_type = w.attrs.get(a_device_type);
    r.browser_family = w.attrs.get(a_browser_family);
    r.os_family = w.attrs.get(a_os_family);
    r.country = w.attrs.get(a_country);
    r.platform = w.attrs.get(a_platform);
    r.sdk_name = w.attrs.get(a_sdk_name);
    r.conversions = w.conversions;
    for (const auto& c : w.conversion_names) r.conversion_names.push_back(c.text);
    r.revenue = w.revenue;
    r.currency = w.currency;
    r.converted = w.conversions > 0;
    r.bounce = w.page_views == 1 && w.interactions == 0;
    std::uint32_t missing = 0;
    std::uint32_t with_seq = 0;
    for (const auto& t : w.tabs) {
        const auto above = static_cast<std::uint32_t>(
            t.seen.end() - std::upper_bound(t.seen.begin(), t.seen.end(), t.base));
        with_seq += above;
        if (!t.seen.empty() && t.seen.back() > t.base) missing += t.seen.back() - t.base - above;
    }
    r.missing_events = missing;
    r.seq_events = with_seq;
    r.sdk_timeout_s = w.sdk_timeout_s;
    r.reason = why;
    r.chain_start_ms = w.chain_start_ms;
    r.segment_index = w.segment_index;
    r.partition = partition;
    r.final = final;
    return r;
}

// Adds an accepted event's effects to a window (not its identity or offsets).
void absorb(session_window::window& w, const session_event& e, std::size_t max_pages) {
    const std::int64_t t = e.event_time_ms;
    ++w.events;
    if (t < w.first_ms) w.first_ms = t;
    if (t > w.last_ms) w.last_ms = t;
    if (t < w.attrs_ms || w.attrs_ms == no_time) {
        w.attrs_ms = t;
        w.attrs.set(e);
    }
    if (!e.user_id.empty() && t >= w.user_ms) {
        w.user_ms = t;
        w.user_id = e.user_id;
    }
    const std::string_view type = e.type;
    const std::string* page = nullptr;
    if (type == "page_view") {
        page = &e.url_path;
    } else if (type == "screen_view") {
        page = &e.name;
    }
    if (page != nullptr) {
        ++w.page_views;
        if (w.pages.size() < max_pages || t < w.pages.back().ms) {
            insert_timed(w.pages, t, *page);
            if (w.pages.size() > max_pages) w.pages.pop_back();
        }
        if (t >= w.exit_ms) {
            w.exit_ms = t;
            w.exit_page = *page;
        }
    } else if (type == "click") {
        ++w.clicks;
        ++w.interactions;
    } else if (type == "scroll") {
        ++w.scrolls;
        ++w.interactions;
        w.max_scroll = std::max(w.max_scroll, std::min<std::uint32_t>(e.scroll_depth, 100));
    } else if (type == "hover") {
        ++w.hovers;
        ++w.interactions;
    } else if (type == "conversion") {
        ++w.conversions;
        ++w.interactions;
        insert_timed(w.conversion_names, t, e.name);
        w.revenue += e.value;
        if (w.currency.empty()) w.currency = e.currency;
    } else if (type == "custom") {
        ++w.interactions;
    }
    if (e.session_timeout_s != 0) w.sdk_timeout_s = e.session_timeout_s;
    if (e.seq != 0) {
        const std::uint64_t tab = hash_of(e.tab_id);
        auto it = std::find_if(w.tabs.begin(), w.tabs.end(),
                               [&](const tab_seqs& s) { return s.tab == tab; });
        if (it == w.tabs.end()) {
            w.tabs.push_back({tab, 0, {}});
            it = std::prev(w.tabs.end());
        }
        auto at = std::lower_bound(it->seen.begin(), it->seen.end(), e.seq);
        if (at == it->seen.end() || *at != e.seq) it->seen.insert(at, e.seq);
    }
}

}  // namespace

void session_window::close(partition_state& ps, window* w, close_reason why,
                           std::vector<session_row>& out) {
    out.push_back(make_row(*w, ps.id, why, why != close_reason::idle));
    ps.closing[w->historical ? 1 : 0].erase(w);
    ps.idle.erase(w);
    ps.closed_ranges.emplace_back(w->chain_first_offset, w->max_offset);
    const std::string key = *w->key;
    auto it = ps.keys.find(key);
    auto& list = it->second;
    list.erase(std::find_if(list.begin(), list.end(),
                            [&](const std::unique_ptr<window>& x) { return x.get() == w; }));
    if (list.empty()) ps.keys.erase(it);
    --ps.open;
}

void session_window::advance(partition_state& ps, bool historical, std::vector<session_row>& out) {
    const std::int64_t max_time = ps.max_time[historical ? 1 : 0];
    if (max_time == no_time) return;
    const std::int64_t wm = max_time - options_.allowed_lateness_ms;
    auto& closing = ps.closing[historical ? 1 : 0];
    while (!closing.empty() && closing.top()->close_at <= wm) {
        close(ps, closing.top(), close_reason::gap, out);
    }
}

add_outcome session_window::add(const session_event& e, std::int32_t p, std::int64_t offset,
                                std::int64_t wall_ms, std::vector<session_row>& out) {
    add_outcome outcome;
    partition_state& ps = partition(p);
    const bool hist = e.historical();
    const std::int64_t t = e.event_time_ms;
    const std::int64_t gap = options_.gap_ms(e.site);
    ps.key_buffer.assign(e.site).push_back('\x1f');
    ps.key_buffer.append(e.session_id);

    auto found = ps.keys.find(ps.key_buffer);
    const bool had_window = found != ps.keys.end();
    // A duplicate changes nothing, not even the watermark.
    const std::uint64_t id = hash_of(e.event_id);
    if (had_window) {
        for (const auto& w : found->second) {
            if (std::binary_search(w->ids.begin(), w->ids.end(), id)) {
                ++counts_.duplicates;
                outcome.kind = add_kind::duplicate;
                return outcome;
            }
        }
    }
    auto& max_time = ps.max_time[hist ? 1 : 0];
    if (t > max_time) {
        max_time = t;
        advance(ps, hist, out);
        if (had_window) found = ps.keys.find(ps.key_buffer);
    }
    const std::int64_t wm = max_time - options_.allowed_lateness_ms;

    // The open windows of this key that the event reaches.
    std::vector<window*>& reach = ps.reach;
    reach.clear();
    if (found != ps.keys.end()) {
        for (const auto& w : found->second) {
            if (t - w->last_ms < gap && w->first_ms - t < gap) reach.push_back(w.get());
        }
    }
    window* w = nullptr;
    if (reach.empty()) {
        if (t < wm) {
            ++counts_.late;
            outcome.kind = add_kind::late;
            return outcome;
        }
        if (had_window) {
            outcome.id_reused = true;
            ++counts_.id_reused;
        }
    } else {
        // Merge what the event bridges into the window made first.
        std::sort(reach.begin(), reach.end(), [](const window* a, const window* b) {
            return a->chain_first_offset < b->chain_first_offset;
        });
        w = reach.front();
        for (std::size_t i = 1; i < reach.size(); ++i) {
            window* x = reach[i];
            if (x->row_out) {
                // A row may be out for it: replace it with an empty "merged" one.
                session_row r = make_row(*x, p, close_reason::merged, true);
                r.version = static_cast<std::uint64_t>(offset + 1) * 4 + 2;
                r.events = r.page_views = r.clicks = r.scrolls = r.hovers = r.conversions = 0;
                r.pages.clear();
                r.conversion_names.clear();
                r.revenue = 0;
                r.missing_events = r.seq_events = 0;
                r.converted = r.bounce = false;
                out.push_back(std::move(r));
            }
            // Fold x into w: counts, times, pages, ids, seqs.
            w->events += x->events;
            w->page_views += x->page_views;
            w->clicks += x->clicks;
            w->scrolls += x->scrolls;
            w->hovers += x->hovers;
            w->interactions += x->interactions;
            w->conversions += x->conversions;
            w->max_scroll = std::max(w->max_scroll, x->max_scroll);
            w->first_ms = std::min(w->first_ms, x->first_ms);
            w->last_ms = std::max(w->last_ms, x->last_ms);
            w->max_offset = std::max(w->max_offset, x->max_offset);
            if (x->attrs_ms < w->attrs_ms) {
                w->attrs_ms = x->attrs_ms;
                w->attrs = x->attrs;
            }
            if (x->user_ms > w->user_ms) {
                w->user_ms = x->user_ms;
                w->user_id = x->user_id;
            }
            if (x->exit_ms > w->exit_ms) {
                w->exit_ms = x->exit_ms;
                w->exit_page = x->exit_page;
            }
            for (const auto& pg : x->pages) insert_timed(w->pages, pg.ms, pg.text);
            for (const auto& c : x->conversion_names)
                insert_timed(w->conversion_names, c.ms, c.text);
            w->revenue += x->revenue;
            if (w->currency.empty()) w->currency = x->currency;
            for (auto h : x->ids)
                w->ids.insert(std::lower_bound(w->ids.begin(), w->ids.end(), h), h);
            for (const auto& tx : x->tabs) {
                auto it = std::find_if(w->tabs.begin(), w->tabs.end(),
                                       [&](const tab_seqs& s) { return s.tab == tx.tab; });
                if (it == w->tabs.end()) {
                    w->tabs.push_back(tx);
                    continue;
                }
                for (auto s : tx.seen) {
                    auto at = std::lower_bound(it->seen.begin(), it->seen.end(), s);
                    if (at == it->seen.end() || *at != s) it->seen.insert(at, s);
                }
            }
            ps.closing[x->historical ? 1 : 0].erase(x);
            ps.idle.erase(x);
            auto& list = found->second;
            list.erase(
                std::find_if(list.begin(), list.end(),
                             [&](const std::unique_ptr<window>& y) { return y.get() == x; }));
            --ps.open;
        }
        if (t - w->first_ms >= options_.max_length_ms) {
            // The segment is full: close it and go on in the next one.
            window prev_chain;
            prev_chain.segment = w->segment;
            prev_chain.segment_index = w->segment_index;
            prev_chain.chain_start_ms = w->chain_start_ms;
            prev_chain.chain_first_offset = w->chain_first_offset;
            prev_chain.tabs = w->tabs;
            prev_chain.gap_ms = w->gap_ms;
            close(ps, w, close_reason::max_length, out);
            found = ps.keys.find(ps.key_buffer);
            auto next = std::make_unique<window>();
            std::uint16_t seg = segment_of(t, gap);
            if (seg == prev_chain.segment) seg = static_cast<std::uint16_t>(seg + 1);
            next->segment = seg;
            next->segment_index = static_cast<std::uint16_t>(prev_chain.segment_index + 1);
            next->chain_start_ms = prev_chain.chain_start_ms;
            next->chain_first_offset = prev_chain.chain_first_offset;
            for (const auto& tb : prev_chain.tabs) {
                next->tabs.push_back(
                    {tb.tab, tb.seen.empty() ? tb.base : std::max(tb.base, tb.seen.back()), {}});
            }
            next->first_ms = next->last_ms = t;
            next->historical = hist;
            next->gap_ms = gap;
            w = nullptr;
            auto& list = found == ps.keys.end() ? ps.keys[ps.key_buffer] : found->second;
            list.push_back(std::move(next));
            w = list.back().get();
            found = ps.keys.find(ps.key_buffer);
            w->key = &found->first;
            w->site_len = e.site.size();
            ++ps.open;
            w->close_at = no_time;
        } else if (w->last_ms - t >= options_.max_length_ms) {
            // Before a full segment's start: it belongs to a row already closed.
            ++counts_.late;
            outcome.kind = add_kind::late;
            return outcome;
        }
    }
    if (w == nullptr) {
        auto& list = ps.keys[ps.key_buffer];
        list.push_back(std::make_unique<window>());
        w = list.back().get();
        found = ps.keys.find(ps.key_buffer);
        w->key = &found->first;
        w->site_len = e.site.size();
        w->historical = hist;
        w->gap_ms = gap;
        w->first_ms = w->last_ms = t;
        w->segment = segment_of(t, gap);
        w->chain_start_ms = t;
        w->chain_first_offset = offset;
        w->close_at = no_time;
        ++ps.open;
    }
    // Take the event.
    absorb(*w, e, options_.max_pages);
    w->ids.insert(std::lower_bound(w->ids.begin(), w->ids.end(), id), id);
    w->max_offset = std::max(w->max_offset, offset);
    w->close_at = w->last_ms + w->gap_ms;
    ps.closing[w->historical ? 1 : 0].set(w);
    w->idle_at = wall_ms + options_.idle_timeout_ms;
    ps.idle.set(w);
    if (!w->mismatch_counted && e.session_timeout_s != 0 &&
        static_cast<std::int64_t>(e.session_timeout_s) * 1000 != w->gap_ms) {
        w->mismatch_counted = true;
        outcome.sdk_timeout_mismatch = true;
        ++counts_.sdk_timeout_mismatches;
    }
    ++counts_.accepted;
    // An event older than the watermark can still reach back into an open
    // window and keep it open; nothing more to close here.
    return outcome;
}

void session_window::tick(std::int64_t wall_ms, std::vector<session_row>& out) {
    for (auto& [p, ps] : partitions_) {
        while (!ps->idle.empty() && ps->idle.top()->idle_at <= wall_ms) {
            window* w = ps->idle.top();
            ps->idle.erase(w);
            w->idle_at = no_time;
            w->row_out = true;
            out.push_back(make_row(*w, p, close_reason::idle, false));
        }
    }
}

std::int64_t session_window::lowest_needed(std::int32_t p, std::int64_t position) {
    auto found = partitions_.find(p);
    if (found == partitions_.end()) return position;
    partition_state& ps = *found->second;
    std::int64_t low = position;
    for (const auto& [key, list] : ps.keys) {
        for (const auto& w : list) low = std::min(low, w->chain_first_offset);
    }
    // A closed chain that straddles `low` would be rebuilt from its tail: go
    // back to its start. Passes until nothing moves (no sort: thousands of
    // ranges are held while a long session keeps `low` back, and one or two
    // passes settle it; each pass that moves lowers `low` to a range's start,
    // so there are at most as many passes as ranges).
    for (std::size_t pass = 0; pass <= ps.closed_ranges.size(); ++pass) {
        bool moved = false;
        for (const auto& [first, last] : ps.closed_ranges) {
            if (first < low && last >= low) {
                low = first;
                moved = true;
            }
        }
        if (!moved) break;
    }
    std::erase_if(ps.closed_ranges, [&](const auto& r) { return r.second < low; });
    return low;
}

void session_window::drop_partition(std::int32_t p) {
    partitions_.erase(p);
}

std::size_t session_window::open_windows() const noexcept {
    std::size_t n = 0;
    for (const auto& [p, ps] : partitions_) n += ps->open;
    return n;
}

std::size_t session_window::open_windows(std::int32_t p) const noexcept {
    const auto it = partitions_.find(p);
    return it == partitions_.end() ? 0 : it->second->open;
}

std::optional<std::int64_t> session_window::watermark(std::int32_t p,
                                                      bool historical) const noexcept {
    const auto it = partitions_.find(p);
    if (it == partitions_.end()) return std::nullopt;
    const std::int64_t m = it->second->max_time[historical ? 1 : 0];
    if (m == no_time) return std::nullopt;
    return m - options_.allowed_lateness_ms;
}

}  // namespace clickstream::sessionize
