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

// The clean event's members after the first, written straight into the
// string: `,"name":` then the value. The names are this file's literals,
// which need no escape, so they are appended as they are.
void key(std::string& s, std::string_view name) {
    s += ',';
    s += '"';
    s.append(name);
    s += '"';
    s += ':';
}

void str(std::string& s, std::string_view name, std::string_view v) {
    key(s, name);
    append_json_string(s, v);
}

void integer(std::string& s, std::string_view name, std::int64_t v) {
    key(s, name);
    append_json_integer(s, v);
}

void boolean(std::string& s, std::string_view name, bool v) {
    key(s, name);
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
      bot_cache_(options_.bot_cache_entries) {}

void event_enricher::begin_batch(const batch& b, const raw_metadata& meta) {
    batch_ = &b;
    meta_ = &meta;
    ua_ = &ua_cache_.parse(meta.user_agent);
    ip_.reset();
    ip_text_.clear();
    country_.clear();
    if (auto ip = parse_ip(meta.client_ip)) {
        ip_ = *ip;
        // Country before anonymisation: the full address is never kept.
        country_ = std::string(data_.countries.country(*ip));
        ip_text_ = to_string(anonymize(*ip, options_.ip));
    }
    static const std::vector<std::string> none;
    const auto domains = options_.site_domains.find(b.site);
    own_domains_ = domains == options_.site_domains.end() ? &none : &domains->second;
    const user_agent_info& ua = *ua_;
    browser_version_ =
        version(ua.browser.major, ua.browser.minor, ua.browser.patch, ua.browser.patch_minor);
    os_version_ = version(ua.os.major, ua.os.minor, ua.os.patch, ua.os.patch_minor);
    write_batch_members(b, meta);
    // Rules 1-6 of the bot filter read only what the batch shares (site,
    // user agent, address, automation flag): one check per batch, and one per
    // distinct combination while it stays in the cache. The address's text
    // decides ip_, so it stands for it in the key.
    bot_key_.assign(b.site);
    bot_key_ += '\0';
    bot_key_ += meta.user_agent;
    bot_key_ += '\0';
    bot_key_ += meta.client_ip;
    bot_key_ += '\0';
    bot_key_ += b.context.webdriver ? 'w' : '-';
    if (const bot_verdict* cached = bot_cache_.find(bot_key_)) {
        batch_bot_ = *cached;
        return;
    }
    bot_signals signals;
    signals.site = b.site;
    signals.user_agent = meta.user_agent;
    signals.ip = ip_;
    signals.webdriver = b.context.webdriver;
    batch_bot_ = bot_cache_.insert(bot_key_, data_.bots.check(signals));
}

void event_enricher::write_batch_members(const batch& b, const raw_metadata& m) {
    // The runs of clean event members that every event of the batch shares,
    // in the clean event's member order (enrich() splices them in between
    // the per-event members, so the object reads exactly as if written
    // member by member).
    const batch_context& cx = b.context;
    frag_site_.assign("{\"site\":");
    append_json_string(frag_site_, b.site);
    frag_times_.clear();
    integer(frag_times_, "receive_time_ms", m.receive_ms);
    integer(frag_times_, "sent_at_ms", b.sent_at);
    frag_ids_.clear();
    str(frag_ids_, "anonymous_id", cx.anonymous_id);
    str(frag_ids_, "user_id", cx.user_id);
    frag_tab_.clear();
    str(frag_tab_, "tab_id", cx.tab_id);
    str(frag_tab_, "platform", cx.platform);
    const user_agent_info& ua = *ua_;
    frag_device_.clear();
    str(frag_device_, "browser_family", ua.browser.family);
    str(frag_device_, "browser_version", browser_version_);
    str(frag_device_, "os_family", ua.os.family);
    str(frag_device_, "os_version", os_version_);
    str(frag_device_, "device_family", ua.device.family);
    str(frag_device_, "device_brand", ua.device.brand);
    str(frag_device_, "device_model", ua.device.model);
    str(frag_device_, "device_type", to_string(ua.type));
    str(frag_device_, "country", country_);
    str(frag_device_, "ip", ip_text_);
    frag_context_.clear();
    str(frag_context_, "language", cx.language);
    str(frag_context_, "time_zone", cx.time_zone);
    integer(frag_context_, "screen_w", cx.screen ? cx.screen->w : 0);
    integer(frag_context_, "screen_h", cx.screen ? cx.screen->h : 0);
    integer(frag_context_, "viewport_w", cx.viewport ? cx.viewport->w : 0);
    integer(frag_context_, "viewport_h", cx.viewport ? cx.viewport->h : 0);
    str(frag_context_, "app_name", cx.app_name);
    str(frag_context_, "app_version", cx.app_version);
    str(frag_context_, "sdk_name", b.sdk_name);
    str(frag_context_, "sdk_version", b.sdk_version);
    integer(frag_context_, "sdk_session_timeout_s", cx.session_timeout_s);
    frag_request_.clear();
    str(frag_request_, "request_id", m.request_id);
    str(frag_request_, "source", m.source.empty() ? std::string_view("batch") : m.source);
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

    parsed_url page;
    bool page_ok = false;
    if (auto u = parse_url(e.url)) {
        page = std::move(*u);
        page_ok = true;
    }
    const campaign c = page_ok ? extract_campaign(page) : campaign{};
    const referrer_info ref = data_.referrers.parse(e.referrer, *own_domains_, page.host);
    const referrer_medium source_medium =
        c.source.empty() ? referrer_medium::unknown : data_.referrers.classify_source(c.source);
    const auto [click, click_type] = click_id(c);

    // Every rule but the last depends on the batch alone (begin_batch); the
    // behaviour rule counts each event, whatever the earlier rules said.
    rate_key_.assign(b.site);
    rate_key_ += '/';
    rate_key_ += e.session_id;
    const rate_verdict rate = rate_.observe(rate_key_, time.event_ms);
    if (batch_bot_.rule != bot_rule::none) {
        out.bot = batch_bot_;
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
    str(s, "session_id", e.session_id);
    str(s, "event_id", e.id);
    key(s, "device_date");
    s += '"';
    append_utc_date(s, device_ms);
    s += '"';
    integer(s, "device_ts_ms", e.ts);
    integer(s, "event_time_ms", time.event_ms);
    s.append(frag_times_);
    integer(s, "clock_skew_ms", time.clock_skew_ms);
    str(s, "time_source", time.source == time_source::true_ts ? "true_ts" : "skew_corrected");
    key(s, "time_flags");
    s += '[';
    bool first_flag = true;
    for (const auto name : time_flag_names(time.flags)) {
        if (!first_flag) s += ',';
        first_flag = false;
        append_json_string(s, name);
    }
    s += ']';
    str(s, "type", e.type);
    str(s, "name", e.name);
    s.append(frag_ids_);
    integer(s, "session_index", e.session_index);
    integer(s, "seq", e.seq);
    s.append(frag_tab_);
    str(s, "url", e.url);
    str(s, "url_scheme", page.scheme);
    str(s, "url_host", page.host);
    str(s, "url_path", page.normalized_path);
    str(s, "url_query", page.query);
    str(s, "url_fragment", page.fragment);
    str(s, "title", e.title);
    str(s, "referrer", e.referrer);
    str(s, "referrer_host", ref.host);
    str(s, "referrer_medium", to_string(ref.medium));
    str(s, "referrer_source", ref.source);
    str(s, "referrer_term", ref.term);
    str(s, "utm_source", c.source);
    str(s, "utm_medium", c.medium);
    str(s, "utm_campaign", c.name);
    str(s, "utm_term", c.term);
    str(s, "utm_content", c.content);
    str(s, "utm_id", c.id);
    str(s, "click_id", click);
    str(s, "click_id_type", click_type);
    str(s, "channel", to_string(classify_channel(c, ref, source_medium)));
    s.append(frag_device_);
    str(s, "element_selector", e.element ? std::string_view(e.element->selector) : "");
    str(s, "element_text", e.element ? std::string_view(e.element->text) : "");
    str(s, "element_href", e.element ? std::string_view(e.element->href) : "");
    boolean(s, "element_outbound", e.element && e.element->outbound.value_or(false));
    integer(s, "scroll_depth", e.depth.value_or(0));
    // A batch body cannot carry a non-finite number (nlohmann's lexer
    // refuses 1e400); a pixel's `v=inf` can: JSON has no such number.
    key(s, "value");
    append_json_number(s, std::isfinite(e.value.value_or(0.0)) ? e.value.value_or(0.0) : 0.0);
    str(s, "currency", e.currency);
    str(s, "props", e.props.empty() ? std::string_view("{}") : e.props);
    s.append(frag_context_);
    // Dropped counts are per batch: carried by its first event only, so a
    // sum over clean events counts each batch once.
    integer(s, "dropped_queue_full", index == 0 ? b.dropped.queue_full : 0);
    integer(s, "dropped_consent_denied", index == 0 ? b.dropped.consent_denied : 0);
    integer(s, "dropped_rejected", index == 0 ? b.dropped.rejected : 0);
    s.append(frag_request_);
    boolean(s, "is_bot", out.bot.bot);
    str(s, "bot_rule", out.bot.bot ? to_string(out.bot.rule) : "");
    str(s, "bot_detail", out.bot.detail);
    s += '}';
}

}  // namespace clickstream::enrich
