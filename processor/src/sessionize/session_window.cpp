#include "processor/sessionize/session_window.h"

#include <algorithm>
#include <array>
#include <cstring>
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

// The key (site, session id) and the attributes a row takes from its
// earliest event, packed in one string (an open session should cost well
// under 1 KiB; the index holds only a 64-bit hash of the key).
enum attr : std::size_t {
    a_site,
    a_session_id,
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
            &e.site,        &e.session_id,      &e.anonymous_id,
            &e.referrer,    &e.referrer_medium, &e.referrer_source,
            &e.utm_source,  &e.utm_medium,      &e.utm_campaign,
            &e.utm_term,    &e.utm_content,     &e.channel,
            &e.device_type, &e.browser_family,  &e.os_family,
            &e.country,     &e.platform,        &e.sdk_name};
        blob.clear();
        for (std::size_t i = 0; i < attr_count; ++i) {
            const std::size_t n = std::min<std::size_t>(from[i]->size(), 0xFFFF);
            len[i] = static_cast<std::uint16_t>(n);
            blob.append(*from[i], 0, n);
        }
        blob.shrink_to_fit();
    }
    std::string_view view(attr a) const noexcept {
        std::size_t at = 0;
        for (std::size_t i = 0; i < a; ++i) at += len[i];
        return std::string_view(blob).substr(at, len[a]);
    }
    std::string get(attr a) const { return std::string(view(a)); }
    bool has_key(std::string_view site, std::string_view session_id) const noexcept {
        return view(a_site) == site && view(a_session_id) == session_id;
    }
};

// Texts in event time (pages, conversion names), packed in one string: per
// entry its time (8 bytes), length (2) and text. Equal times keep arrival
// order. Lists are short (max_pages), so positions are found by a scan.
class timed_texts {
public:
    std::size_t size() const noexcept { return count_; }
    bool empty() const noexcept { return count_ == 0; }

    template <class F>
    void for_each(F&& f) const {
        for (std::size_t at = 0; at < buf_.size();) {
            const entry e = read(at);
            f(e.ms, e.text);
            at = e.next;
        }
    }
    std::int64_t back_ms() const noexcept { return read(last()).ms; }
    std::string_view back_text() const noexcept { return read(last()).text; }
    std::string_view front_text() const noexcept { return read(0).text; }

    void insert(std::int64_t ms, std::string_view text) {
        text = text.substr(0, 0xFFFF);
        std::size_t at = 0;
        while (at < buf_.size()) {
            const entry e = read(at);
            if (e.ms > ms) break;
            at = e.next;
        }
        char head[header];
        std::memcpy(head, &ms, sizeof ms);
        const auto n = static_cast<std::uint16_t>(text.size());
        std::memcpy(head + sizeof ms, &n, sizeof n);
        buf_.reserve(buf_.size() + header + text.size());
        buf_.insert(at, head, header);
        buf_.insert(at + header, text.data(), text.size());
        ++count_;
    }
    // Removes the last entry; its time and text.
    std::pair<std::int64_t, std::string> pop_back() {
        const std::size_t at = last();
        const entry e = read(at);
        std::pair<std::int64_t, std::string> out{e.ms, std::string(e.text)};
        buf_.resize(at);
        --count_;
        return out;
    }

private:
    static constexpr std::size_t header = sizeof(std::int64_t) + sizeof(std::uint16_t);
    struct entry {
        std::int64_t ms;
        std::string_view text;
        std::size_t next;
    };
    entry read(std::size_t at) const noexcept {
        entry e{};
        std::uint16_t n = 0;
        std::memcpy(&e.ms, buf_.data() + at, sizeof e.ms);
        std::memcpy(&n, buf_.data() + at + sizeof e.ms, sizeof n);
        e.text = std::string_view(buf_).substr(at + header, n);
        e.next = at + header + n;
        return e;
    }
    std::size_t last() const noexcept {
        std::size_t at = 0;
        for (std::size_t i = 1; i < count_; ++i) at = read(at).next;
        return at;
    }

    std::string buf_;
    std::uint32_t count_ = 0;
};

// What few sessions have, kept apart so the others do not pay for it:
// conversions, and the exit page once the page list is full.
struct session_extras {
    timed_texts conversion_names;
    double revenue = 0;
    std::string currency;
    bool has_exit = false;  // pages reached max_pages: the exit page is this one
    std::int64_t exit_ms = 0;
    std::string exit_page;
};

struct tab_seqs {
    std::uint64_t tab;
    std::uint32_t base;               // seq numbers up to here belong to an earlier segment
    std::vector<std::uint32_t> seen;  // sorted, unique
};

std::uint64_t hash_of(std::string_view s) noexcept {
    return std::hash<std::string_view>{}(s);
}

std::uint16_t segment_of(std::int64_t ms, std::int64_t gap_ms) noexcept {
    const std::int64_t t = std::max<std::int64_t>(ms, 0);
    return static_cast<std::uint16_t>((t / std::max<std::int64_t>(gap_ms, 1)) & 0xFFFF);
}

}  // namespace

struct session_window::window {
    std::uint64_t key_hash = 0;    // its index entry (attrs holds the key itself)
    std::unique_ptr<window> next;  // the next window under the same hash
    bool historical = false;
    std::int64_t gap_ms = 0;
    std::int64_t first_ms = 0;
    std::int64_t last_ms = 0;
    std::uint16_t segment = 0;
    std::uint16_t segment_index = 0;
    std::int64_t chain_start_ms = 0;
    std::int64_t chain_first_offset = 0;
    partition_marks chain_marks;  // the partition's, just before chain_first_offset was read
    std::int64_t max_offset = 0;
    std::int64_t close_at = 0;           // last_ms + gap_ms: in partition_state::closing
    std::int64_t idle_at = no_time;      // in partition_state::idle while a row is due
    std::uint32_t close_slot = no_slot;  // where it is in those heaps
    std::uint32_t idle_slot = no_slot;
    std::uint32_t events = 0, page_views = 0, clicks = 0, scrolls = 0, hovers = 0;
    std::uint32_t interactions = 0, max_scroll = 0, conversions = 0, sdk_timeout_s = 0;
    std::uint32_t sdk_dropped = 0;  // seq numbers the SDK says it discarded itself
    bool mismatch_counted = false;
    bool row_out = false;  // a provisional row was written
    std::int64_t attrs_ms = no_time;
    packed_attrs attrs;
    std::int64_t user_ms = no_time;
    std::string user_id;
    timed_texts pages;
    std::unique_ptr<session_extras> extras;  // null until needed
    std::vector<std::uint64_t> ids;          // event id hashes, sorted
    std::vector<tab_seqs> tabs;

    session_extras& more() {
        if (!extras) extras = std::make_unique<session_extras>();
        return *extras;
    }
    bool is(std::string_view site, std::string_view session_id) const noexcept {
        return attrs.has_key(site, session_id);
    }
    // A page in time order, at most `max_pages` kept: the latest go first
    // (and the exit page is then kept apart).
    void place_page(std::int64_t t, std::string_view page, std::size_t max_pages) {
        if (pages.size() < max_pages || (!pages.empty() && t < pages.back_ms())) {
            pages.insert(t, page);
            if (pages.size() <= max_pages) return;
            auto [ms, text] = pages.pop_back();
            note_exit(ms, text);
        } else {
            note_exit(t, page);
        }
    }
    void note_exit(std::int64_t t, std::string_view page) {
        session_extras& x = more();
        if (!x.has_exit || t >= x.exit_ms) {
            x.has_exit = true;
            x.exit_ms = t;
            x.exit_page = page;
        }
    }
    std::string exit_page() const {
        if (extras && extras->has_exit) return extras->exit_page;
        return pages.empty() ? std::string() : std::string(pages.back_text());
    }
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
    bool less(std::uint32_t a, std::uint32_t b) const noexcept {
        return v_[a]->*Time < v_[b]->*Time;
    }
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

using closing_heap =
    window_heap<&session_window::window::close_at, &session_window::window::close_slot>;
using idle_heap = window_heap<&session_window::window::idle_at, &session_window::window::idle_slot>;

}  // namespace

struct session_window::partition_state {
    // Open windows by the hash of their key; windows under one hash (the
    // same key, or another key whose hash collides) are chained by `next`.
    std::unordered_map<std::uint64_t, std::unique_ptr<window>> keys;
    std::array<std::int64_t, 2> max_time{no_time, no_time};  // [live, historical]
    std::array<closing_heap, 2> closing;                     // by close_at: [live, historical]
    idle_heap idle;                                          // by idle_at, windows with a row due
    // Closed chains' first and last offsets (and the marks before the first),
    // until a commit passes them.
    struct closed_range {
        std::int64_t first, last;
        partition_marks marks;
    };
    std::vector<closed_range> closed_ranges;
    // What lowest_needed() answered last, and the marks that go with it.
    std::int64_t low = -1;
    partition_marks low_marks;
    std::size_t open = 0;
    std::int32_t id = -1;
    std::vector<window*> reach;  // add()'s scratch

    window* first_under(std::uint64_t hash) const noexcept {
        const auto it = keys.find(hash);
        return it == keys.end() ? nullptr : it->second.get();
    }
    window* insert(std::unique_ptr<window> w) {
        window* raw = w.get();
        auto& head = keys[raw->key_hash];
        w->next = std::move(head);
        head = std::move(w);
        ++open;
        return raw;
    }
    // Takes `w` out of the index; it is destroyed.
    void erase(window* w) {
        const auto it = keys.find(w->key_hash);
        std::unique_ptr<window>* link = &it->second;
        while (link->get() != w) link = &(*link)->next;
        *link = std::move(w->next);  // destroys w
        if (!it->second) keys.erase(it);
        --open;
    }
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
    r.site = w.attrs.get(a_site);
    r.session_id = w.attrs.get(a_session_id);
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
    w.pages.for_each([&](std::int64_t, std::string_view text) { r.pages.emplace_back(text); });
    if (!w.pages.empty()) r.landing_page = w.pages.front_text();
    r.exit_page = w.exit_page();
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
    if (w.extras) {
        w.extras->conversion_names.for_each(
            [&](std::int64_t, std::string_view text) { r.conversion_names.emplace_back(text); });
        r.revenue = w.extras->revenue;
        r.currency = w.extras->currency;
    }
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
    // Gaps the SDK reported as its own drops are not losses on the way.
    r.missing_events = missing - std::min(missing, w.sdk_dropped);
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
        w.place_page(t, *page, max_pages);
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
        session_extras& x = w.more();
        x.conversion_names.insert(t, e.name);
        x.revenue += e.value;
        if (x.currency.empty()) x.currency = e.currency;
    } else if (type == "custom") {
        ++w.interactions;
    }
    if (e.session_timeout_s != 0) w.sdk_timeout_s = e.session_timeout_s;
    w.sdk_dropped += e.sdk_dropped;
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
    ps.closed_ranges.push_back({w->chain_first_offset, w->max_offset, w->chain_marks});
    ps.erase(w);
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
    const partition_marks before{ps.max_time[0], ps.max_time[1]};
    const std::uint64_t key_hash = hash_of(e.site) * 0x9E3779B97F4A7C15ULL ^ hash_of(e.session_id);
    auto windows_of_key = [&](auto&& f) {
        for (window* w = ps.first_under(key_hash); w != nullptr;) {
            window* next = w->next.get();  // f may close w
            if (w->is(e.site, e.session_id)) f(w);
            w = next;
        }
    };

    bool had_window = false;
    // A duplicate changes nothing, not even the watermark.
    const std::uint64_t id = hash_of(e.event_id);
    bool duplicate = false;
    windows_of_key([&](window* w) {
        had_window = true;
        if (std::binary_search(w->ids.begin(), w->ids.end(), id)) duplicate = true;
    });
    if (duplicate) {
        ++counts_.duplicates;
        outcome.kind = add_kind::duplicate;
        return outcome;
    }
    auto& max_time = ps.max_time[hist ? 1 : 0];
    if (t > max_time) {
        max_time = t;
        advance(ps, hist, out);
    }
    const std::int64_t wm = max_time - options_.allowed_lateness_ms;

    // The open windows of this key that the event reaches.
    std::vector<window*>& reach = ps.reach;
    reach.clear();
    windows_of_key([&](window* w) {
        if (t - w->last_ms < gap && w->first_ms - t < gap) reach.push_back(w);
    });
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
            w->sdk_dropped += x->sdk_dropped;
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
            x->pages.for_each([&](std::int64_t ms, std::string_view text) {
                w->place_page(ms, text, options_.max_pages);
            });
            if (x->extras) {
                session_extras& xe = *x->extras;
                if (xe.has_exit) w->place_page(xe.exit_ms, xe.exit_page, options_.max_pages);
                session_extras& we = w->more();
                xe.conversion_names.for_each([&](std::int64_t ms, std::string_view text) {
                    we.conversion_names.insert(ms, text);
                });
                we.revenue += xe.revenue;
                if (we.currency.empty()) we.currency = xe.currency;
            }
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
            ps.erase(x);
        }
        if (t - w->first_ms >= options_.max_length_ms) {
            // The segment is full: close it and go on in the next one.
            auto next = std::make_unique<window>();
            std::uint16_t seg = segment_of(t, gap);
            if (seg == w->segment) seg = static_cast<std::uint16_t>(seg + 1);
            next->segment = seg;
            next->segment_index = static_cast<std::uint16_t>(w->segment_index + 1);
            next->chain_start_ms = w->chain_start_ms;
            next->chain_first_offset = w->chain_first_offset;
            next->chain_marks = w->chain_marks;
            for (const auto& tb : w->tabs) {
                next->tabs.push_back(
                    {tb.tab, tb.seen.empty() ? tb.base : std::max(tb.base, tb.seen.back()), {}});
            }
            next->first_ms = next->last_ms = t;
            next->historical = hist;
            next->gap_ms = gap;
            next->key_hash = key_hash;
            next->close_at = no_time;
            close(ps, w, close_reason::max_length, out);
            w = ps.insert(std::move(next));
        } else if (w->last_ms - t >= options_.max_length_ms) {
            // Before a full segment's start: it belongs to a row already closed.
            ++counts_.late;
            outcome.kind = add_kind::late;
            return outcome;
        }
    }
    if (w == nullptr) {
        auto made = std::make_unique<window>();
        made->key_hash = key_hash;
        made->historical = hist;
        made->gap_ms = gap;
        made->first_ms = made->last_ms = t;
        made->segment = segment_of(t, gap);
        made->chain_start_ms = t;
        made->chain_first_offset = offset;
        made->chain_marks = before;
        made->close_at = no_time;
        w = ps.insert(std::move(made));
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
    partition_marks marks{ps.max_time[0], ps.max_time[1]};
    for (const auto& [hash, head] : ps.keys) {
        for (const window* w = head.get(); w != nullptr; w = w->next.get()) {
            if (w->chain_first_offset < low) {
                low = w->chain_first_offset;
                marks = w->chain_marks;
            }
        }
    }
    // A closed chain that straddles `low` would be rebuilt from its tail: go
    // back to its start. Passes until nothing moves (no sort: thousands of
    // ranges are held while a long session keeps `low` back, and one or two
    // passes settle it; each pass that moves lowers `low` to a range's start,
    // so there are at most as many passes as ranges).
    for (std::size_t pass = 0; pass <= ps.closed_ranges.size(); ++pass) {
        bool moved = false;
        for (const auto& r : ps.closed_ranges) {
            if (r.first < low && r.last >= low) {
                low = r.first;
                marks = r.marks;
                moved = true;
            }
        }
        if (!moved) break;
    }
    std::erase_if(ps.closed_ranges, [&](const auto& r) { return r.last < low; });
    ps.low = low;
    ps.low_marks = marks;
    return low;
}

std::optional<partition_marks> session_window::marks_at(std::int32_t p,
                                                        std::int64_t offset) const noexcept {
    const auto it = partitions_.find(p);
    if (it == partitions_.end() || it->second->low != offset) return std::nullopt;
    return it->second->low_marks;
}

void session_window::restore_marks(std::int32_t p, const partition_marks& marks) {
    partition_state& ps = partition(p);
    ps.max_time = {marks.live, marks.historical};
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
