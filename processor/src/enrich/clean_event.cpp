#include "processor/enrich/clean_event.h"

#include <json_writer.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "processor/enrich/campaign.h"
#include "processor/enrich/channel.h"
#include "processor/enrich/url.h"

namespace clickstream::enrich {

std::string utc_date(std::int64_t ms) {
    using namespace std::chrono;
    const auto days = floor<std::chrono::days>(sys_time<milliseconds>(milliseconds(ms)));
    const year_month_day ymd{days};
    char out[16];
    std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
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

enriched_event event_enricher::enrich(std::size_t index) {
    enriched_event out;
    enrich(index, out);
    return out;
}

void event_enricher::enrich(std::size_t index, enriched_event& out) {
    const batch& b = *batch_;
    const batch_event& e = b.events[index];
    const raw_metadata& m = *meta_;
    const user_agent_info& ua = *ua_;

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
    json_writer w(s);
    w.begin_object()
        .string_member("site", b.site)
        .string_member("session_id", e.session_id)
        .string_member("event_id", e.id)
        .string_member("device_date", utc_date(device_ms))
        .integer_member("device_ts_ms", e.ts)
        .integer_member("event_time_ms", time.event_ms)
        .integer_member("receive_time_ms", m.receive_ms)
        .integer_member("sent_at_ms", b.sent_at)
        .integer_member("clock_skew_ms", time.clock_skew_ms)
        .string_member("time_source",
                       time.source == time_source::true_ts ? "true_ts" : "skew_corrected")
        .begin_array("time_flags");
    for (const auto name : time_flag_names(time.flags)) {
        flag_text_.clear();
        append_json_string(flag_text_, name);
        w.raw_element(flag_text_);
    }
    w.end_array()
        .string_member("type", e.type)
        .string_member("name", e.name)
        .string_member("anonymous_id", b.context.anonymous_id)
        .string_member("user_id", b.context.user_id)
        .integer_member("session_index", e.session_index)
        .integer_member("seq", e.seq)
        .string_member("tab_id", b.context.tab_id)
        .string_member("platform", b.context.platform)
        .string_member("url", e.url)
        .string_member("url_scheme", page.scheme)
        .string_member("url_host", page.host)
        .string_member("url_path", page.normalized_path)
        .string_member("url_query", page.query)
        .string_member("url_fragment", page.fragment)
        .string_member("title", e.title)
        .string_member("referrer", e.referrer)
        .string_member("referrer_host", ref.host)
        .string_member("referrer_medium", to_string(ref.medium))
        .string_member("referrer_source", ref.source)
        .string_member("referrer_term", ref.term)
        .string_member("utm_source", c.source)
        .string_member("utm_medium", c.medium)
        .string_member("utm_campaign", c.name)
        .string_member("utm_term", c.term)
        .string_member("utm_content", c.content)
        .string_member("utm_id", c.id)
        .string_member("click_id", click)
        .string_member("click_id_type", click_type)
        .string_member("channel", to_string(classify_channel(c, ref, source_medium)))
        .string_member("browser_family", ua.browser.family)
        .string_member("browser_version", browser_version_)
        .string_member("os_family", ua.os.family)
        .string_member("os_version", os_version_)
        .string_member("device_family", ua.device.family)
        .string_member("device_brand", ua.device.brand)
        .string_member("device_model", ua.device.model)
        .string_member("device_type", to_string(ua.type))
        .string_member("country", country_)
        .string_member("ip", ip_text_)
        .string_member("element_selector", e.element ? std::string_view(e.element->selector) : "")
        .string_member("element_text", e.element ? std::string_view(e.element->text) : "")
        .string_member("element_href", e.element ? std::string_view(e.element->href) : "")
        .bool_member("element_outbound", e.element && e.element->outbound.value_or(false))
        .integer_member("scroll_depth", e.depth.value_or(0))
        // A batch body cannot carry a non-finite number (nlohmann's lexer
        // refuses 1e400); a pixel's `v=inf` can: JSON has no such number.
        .number_member("value", std::isfinite(e.value.value_or(0.0)) ? e.value.value_or(0.0) : 0.0)
        .string_member("currency", e.currency)
        .string_member("props", e.props.empty() ? std::string_view("{}") : e.props)
        .string_member("language", b.context.language)
        .string_member("time_zone", b.context.time_zone)
        .integer_member("screen_w", b.context.screen ? b.context.screen->w : 0)
        .integer_member("screen_h", b.context.screen ? b.context.screen->h : 0)
        .integer_member("viewport_w", b.context.viewport ? b.context.viewport->w : 0)
        .integer_member("viewport_h", b.context.viewport ? b.context.viewport->h : 0)
        .string_member("app_name", b.context.app_name)
        .string_member("app_version", b.context.app_version)
        .string_member("sdk_name", b.sdk_name)
        .string_member("sdk_version", b.sdk_version)
        .integer_member("sdk_session_timeout_s", b.context.session_timeout_s)
        // Dropped counts are per batch: carried by its first event only, so a
        // sum over clean events counts each batch once.
        .integer_member("dropped_queue_full", index == 0 ? b.dropped.queue_full : 0)
        .integer_member("dropped_consent_denied", index == 0 ? b.dropped.consent_denied : 0)
        .integer_member("dropped_rejected", index == 0 ? b.dropped.rejected : 0)
        .string_member("request_id", m.request_id)
        .string_member("source", m.source.empty() ? std::string_view("batch") : m.source)
        .bool_member("is_bot", out.bot.bot)
        .string_member("bot_rule", out.bot.bot ? to_string(out.bot.rule) : "")
        .string_member("bot_detail", out.bot.detail)
        .end_object();
}

}  // namespace clickstream::enrich
