#include "processor/enrich/clean_event.h"

#include <json_writer.h>  // append_json_string and friends

#include <chrono>
#include <cmath>
#include <cstdio>

#include "processor/enrich/campaign.h"
#include "processor/enrich/channel.h"
#include "processor/enrich/url.h"

namespace clickstream::enrich {

namespace {

// "YYYY-MM-DD" (UTC) appended to `out`, without printf for the years of
// four digits (every event time the batch schema accepts).
void append_utc_date(std::string& out, std::int64_t ms) {
    using namespace std::chrono;
    const auto days = floor<std::chrono::days>(sys_time<milliseconds>(milliseconds(ms)));
    const year_month_day ymd{days};
    const int y = static_cast<int>(ymd.year());
    const auto m = static_cast<unsigned>(ymd.month());
    const auto d = static_cast<unsigned>(ymd.day());
    if (y < 0 || y > 9999) {
        char text[16];
        const int n = std::snprintf(text, sizeof text, "%04d-%02u-%02u", y, m, d);
        out.append(text, static_cast<std::size_t>(n));
        return;
    }
    const char text[10] = {static_cast<char>('0' + y / 1000),
                           static_cast<char>('0' + y / 100 % 10),
                           static_cast<char>('0' + y / 10 % 10),
                           static_cast<char>('0' + y % 10),
                           '-',
                           static_cast<char>('0' + m / 10),
                           static_cast<char>('0' + m % 10),
                           '-',
                           static_cast<char>('0' + d / 10),
                           static_cast<char>('0' + d % 10)};
    out.append(text, sizeof text);
}

// A member name as the text written before its value, `,"name":`, made at
// compile time: the names are this file's literals, which need no escape.
template <std::size_t N>
struct member_key {
    char text[N + 3] = {};  // N counts the literal's NUL
    consteval member_key(const char (&name)[N]) {
        text[0] = ',';
        text[1] = '"';
        for (std::size_t i = 0; i + 1 < N; ++i) text[2 + i] = name[i];
        text[N + 1] = '"';
        text[N + 2] = ':';
    }
};

// The clean event's members after the first, written straight into the
// string: the key in one append, then the value.
template <member_key K>
void key(std::string& s) {
    s.append(K.text, sizeof K.text);
}

template <member_key K>
void str(std::string& s, std::string_view v) {
    key<K>(s);
    append_json_string(s, v);
}

template <member_key K>
void integer(std::string& s, std::int64_t v) {
    key<K>(s);
    append_json_integer(s, v);
}

template <member_key K>
void boolean(std::string& s, bool v) {
    key<K>(s);
    s.append(v ? "true" : "false");
}

}  // namespace

std::string utc_date(std::int64_t ms) {
    std::string out;
    append_utc_date(out, ms);
    return out;
}

namespace {

// "major.minor.patch[.patch_minor]" from the parts that are set, in order.
std::string version(const std::string& major, const std::string& minor, const std::string& patch,
                    const std::string& patch_minor) {
    std::string v;
    for (const std::string* part : {&major, &minor, &patch, &patch_minor}) {
        if (part->empty()) break;
        if (!v.empty()) v += '.';
        v += *part;
    }
    return v;
}

// The first click id present and its parameter name, in the channel rules'
// order of precedence.
std::pair<std::string, std::string> click_id(const campaign& c) {
    const std::pair<const char*, const std::string*> ids[] = {
        {"gclid", &c.gclid},         {"gbraid", &c.gbraid}, {"wbraid", &c.wbraid},
        {"msclkid", &c.msclkid},     {"dclid", &c.dclid},   {"ttclid", &c.ttclid},
        {"li_fat_id", &c.li_fat_id}, {"fbclid", &c.fbclid}};
    for (const auto& [name, value] : ids) {
        if (!value->empty()) return {*value, name};
    }
    return {};
}

}  // namespace

event_enricher::event_enricher(const enrich_data& data, enricher_options options)
    : data_(data),
      options_(std::move(options)),
      ua_cache_(data.user_agents, options_.ua_cache_entries),
      rate_(options_.rate),
      visitors_(options_.bot_cache_entries),
      pages_(options_.page_cache_entries) {}

event_enricher::page event_enricher::make_page(std::string_view url) const {
    page p;
    parsed_url parsed;
    if (auto u = parse_url(url)) {
        parsed = std::move(*u);
        p.utm = extract_campaign(parsed);
    }
    p.host = parsed.host;
    p.source_medium = p.utm.source.empty() ? referrer_medium::unknown
                                           : data_.referrers.classify_source(p.utm.source);
    std::string& u = p.url_run;
    str<"url">(u, url);
    str<"url_scheme">(u, parsed.scheme);
    str<"url_host">(u, parsed.host);
    str<"url_path">(u, parsed.normalized_path);
    str<"url_query">(u, parsed.query);
    str<"url_fragment">(u, parsed.fragment);
    const auto [click, click_type] = click_id(p.utm);
    std::string& c = p.campaign_run;
    str<"utm_source">(c, p.utm.source);
    str<"utm_medium">(c, p.utm.medium);
    str<"utm_campaign">(c, p.utm.name);
    str<"utm_term">(c, p.utm.term);
    str<"utm_content">(c, p.utm.content);
    str<"utm_id">(c, p.utm.id);
    str<"click_id">(c, click);
    str<"click_id_type">(c, click_type);
    return p;
}

void event_enricher::begin_batch(const batch& b, const raw_metadata& meta) {
    batch_ = &b;
    meta_ = &meta;
    static const std::vector<std::string> none;
    const auto domains = options_.site_domains.find(b.site);
    own_domains_ = domains == options_.site_domains.end() ? &none : &domains->second;
    write_batch_members(b, meta);
    // Rules 1-6 of the bot filter, the device, the country and the
    // anonymised address read only what the batch shares (site, user agent,
    // address, automation flag): worked out once per distinct combination
    // while it stays in the cache. The address's text decides the address,
    // so it stands for it in the key.
    visitor_key_.assign(b.site);
    visitor_key_ += '\0';
    visitor_key_ += meta.user_agent;
    visitor_key_ += '\0';
    visitor_key_ += meta.client_ip;
    visitor_key_ += '\0';
    visitor_key_ += b.context.webdriver ? 'w' : '-';
    if (const visitor* cached = visitors_.find(visitor_key_)) {
        visitor_ = cached;
        return;
    }
    visitor v;
    const user_agent_info& ua = ua_cache_.parse(meta.user_agent);
    std::optional<ip_address> ip;
    std::string_view country;
    std::string ip_text;
    if (auto parsed = parse_ip(meta.client_ip)) {
        ip = *parsed;
        // Country before anonymisation: the full address is never kept.
        country = data_.countries.country(*ip);
        ip_text = to_string(anonymize(*ip, options_.ip));
    }
    std::string& s = v.device_run;
    str<"browser_family">(s, ua.browser.family);
    str<"browser_version">(
        s, version(ua.browser.major, ua.browser.minor, ua.browser.patch, ua.browser.patch_minor));
    str<"os_family">(s, ua.os.family);
    str<"os_version">(s, version(ua.os.major, ua.os.minor, ua.os.patch, ua.os.patch_minor));
    str<"device_family">(s, ua.device.family);
    str<"device_brand">(s, ua.device.brand);
    str<"device_model">(s, ua.device.model);
    str<"device_type">(s, to_string(ua.type));
    str<"country">(s, country);
    str<"ip">(s, ip_text);
    bot_signals signals;
    signals.site = b.site;
    signals.user_agent = meta.user_agent;
    signals.ip = ip;
    signals.webdriver = b.context.webdriver;
    v.bot = data_.bots.check(signals);
    visitor_ = &visitors_.insert(visitor_key_, std::move(v));
}

void event_enricher::write_batch_members(const batch& b, const raw_metadata& m) {
    // The runs of clean event members that every event of the batch shares,
    // in the clean event's member order (enrich() splices them and the
    // visitor's device run in between the per-event members, so the object
    // reads exactly as if written member by member).
    const batch_context& cx = b.context;
    frag_site_.assign("{\"site\":");
    append_json_string(frag_site_, b.site);
    frag_times_.clear();
    integer<"receive_time_ms">(frag_times_, m.receive_ms);
    integer<"sent_at_ms">(frag_times_, b.sent_at);
    frag_ids_.clear();
    str<"anonymous_id">(frag_ids_, cx.anonymous_id);
    str<"user_id">(frag_ids_, cx.user_id);
    frag_tab_.clear();
    str<"tab_id">(frag_tab_, cx.tab_id);
    str<"platform">(frag_tab_, cx.platform);
    frag_context_.clear();
    str<"language">(frag_context_, cx.language);
    str<"time_zone">(frag_context_, cx.time_zone);
    integer<"screen_w">(frag_context_, cx.screen ? cx.screen->w : 0);
    integer<"screen_h">(frag_context_, cx.screen ? cx.screen->h : 0);
    integer<"viewport_w">(frag_context_, cx.viewport ? cx.viewport->w : 0);
    integer<"viewport_h">(frag_context_, cx.viewport ? cx.viewport->h : 0);
    str<"app_name">(frag_context_, cx.app_name);
    str<"app_version">(frag_context_, cx.app_version);
    str<"sdk_name">(frag_context_, b.sdk_name);
    str<"sdk_version">(frag_context_, b.sdk_version);
    integer<"sdk_session_timeout_s">(frag_context_, cx.session_timeout_s);
    frag_request_.clear();
    str<"request_id">(frag_request_, m.request_id);
    str<"source">(frag_request_, m.source.empty() ? std::string_view("batch") : m.source);
}

enriched_event event_enricher::enrich(std::size_t index) {
    enriched_event out;
    enrich(index, out);
    return out;
}

void event_enricher::enrich(std::size_t index, enriched_event& out) {
    const batch& b = *batch_;
    const batch_event& e = b.events[index];
    const raw_metadata& m = *meta_;

    event_clocks clocks;
    clocks.receive_ms = m.receive_ms;
    clocks.sent_at_ms = b.sent_at;
    clocks.ts_ms = e.ts;
    clocks.true_ts_ms = e.true_ts;
    const event_time time = compute_event_time(clocks, options_.time);

    // The cache's entry for the page: valid until the cache's next insert,
    // which only this call makes, before it. A long URL (rarely seen twice)
    // is worked out each time instead, so the cache's memory stays bounded.
    const page* pg = nullptr;
    if (e.url.size() <= max_cached_url) {
        pg = pages_.find(e.url);
        if (pg == nullptr) pg = &pages_.insert(e.url, make_page(e.url));
    } else {
        long_page_ = make_page(e.url);
        pg = &long_page_;
    }
    const referrer_info ref = data_.referrers.parse(e.referrer, *own_domains_, pg->host);

    // Every rule but the last depends on the batch alone (begin_batch); the
    // behaviour rule counts each event, whatever the earlier rules said.
    rate_key_.assign(b.site);
    rate_key_ += '/';
    rate_key_ += e.session_id;
    const rate_verdict rate = rate_.observe(rate_key_, time.event_ms);
    if (visitor_->bot.rule != bot_rule::none) {
        out.bot = visitor_->bot;
    } else if (rate.too_fast) {
        out.bot = {true, bot_rule::behaviour, rate.detail};
    } else {
        out.bot = {};
    }
    out.key.assign(e.session_id);

    const std::int64_t device_ms = e.true_ts.value_or(e.ts);
    std::string& s = out.clean;
    s.clear();
    s.append(frag_site_);
    str<"session_id">(s, e.session_id);
    str<"event_id">(s, e.id);
    key<"device_date">(s);
    s += '"';
    append_utc_date(s, device_ms);
    s += '"';
    integer<"device_ts_ms">(s, e.ts);
    integer<"event_time_ms">(s, time.event_ms);
    s.append(frag_times_);
    integer<"clock_skew_ms">(s, time.clock_skew_ms);
    str<"time_source">(s, time.source == time_source::true_ts ? "true_ts" : "skew_corrected");
    key<"time_flags">(s);
    s += '[';
    bool first_flag = true;
    for (const auto name : time_flag_names(time.flags)) {
        if (!first_flag) s += ',';
        first_flag = false;
        append_json_string(s, name);
    }
    s += ']';
    str<"type">(s, e.type);
    str<"name">(s, e.name);
    s.append(frag_ids_);
    integer<"session_index">(s, e.session_index);
    integer<"seq">(s, e.seq);
    s.append(frag_tab_);
    s.append(pg->url_run);
    str<"title">(s, e.title);
    str<"referrer">(s, e.referrer);
    str<"referrer_host">(s, ref.host);
    str<"referrer_medium">(s, to_string(ref.medium));
    str<"referrer_source">(s, ref.source);
    str<"referrer_term">(s, ref.term);
    s.append(pg->campaign_run);
    str<"channel">(s, to_string(classify_channel(pg->utm, ref, pg->source_medium)));
    s.append(visitor_->device_run);
    str<"element_selector">(s, e.element ? std::string_view(e.element->selector) : "");
    str<"element_text">(s, e.element ? std::string_view(e.element->text) : "");
    str<"element_href">(s, e.element ? std::string_view(e.element->href) : "");
    boolean<"element_outbound">(s, e.element && e.element->outbound.value_or(false));
    integer<"scroll_depth">(s, e.depth.value_or(0));
    // A batch body cannot carry a non-finite number (nlohmann's lexer
    // refuses 1e400); a pixel's `v=inf` can: JSON has no such number.
    key<"value">(s);
    const double value = e.value.value_or(0.0);
    append_json_number(s, std::isfinite(value) ? value : 0.0);
    str<"currency">(s, e.currency);
    str<"props">(s, e.props.empty() ? std::string_view("{}") : e.props);
    s.append(frag_context_);
    // Dropped counts are per batch: carried by its first event only, so a
    // sum over clean events counts each batch once.
    integer<"dropped_queue_full">(s, index == 0 ? b.dropped.queue_full : 0);
    integer<"dropped_consent_denied">(s, index == 0 ? b.dropped.consent_denied : 0);
    integer<"dropped_rejected">(s, index == 0 ? b.dropped.rejected : 0);
    s.append(frag_request_);
    boolean<"is_bot">(s, out.bot.bot);
    str<"bot_rule">(s, out.bot.bot ? to_string(out.bot.rule) : "");
    str<"bot_detail">(s, out.bot.detail);
    s += '}';
}

}  // namespace clickstream::enrich
