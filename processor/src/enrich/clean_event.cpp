#include "processor/enrich/clean_event.h"

#include <chrono>
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
      rate_(options_.rate) {}

void event_enricher::begin_batch(const batch& b, const raw_metadata& meta) {
    batch_ = &b;
    meta_ = &meta;
    ua_ = ua_cache_.parse(meta.user_agent);
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
}

enriched_event event_enricher::enrich(std::size_t index) {
    const batch& b = *batch_;
    const batch_event& e = b.events[index];
    const raw_metadata& m = *meta_;
    using json = nlohmann::json;

    event_clocks clocks;
    clocks.receive_ms = m.receive_ms;
    clocks.sent_at_ms = b.sent_at;
    clocks.ts_ms = e.ts;
    clocks.true_ts_ms = e.true_ts;
    const event_time time = compute_event_time(clocks, options_.time);
    json flags = json::array();
    for (const auto name : time_flag_names(time.flags)) flags.push_back(name);

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

    bot_signals signals;
    signals.site = b.site;
    signals.user_agent = m.user_agent;
    signals.ip = ip_;
    signals.webdriver = b.context.webdriver;
    signals.rate = rate_.observe(b.site + '/' + e.session_id, time.event_ms);
    enriched_event out;
    out.bot = data_.bots.check(signals);
    out.key = e.session_id;

    const std::int64_t device_ms = e.true_ts.value_or(e.ts);
    json j = {
        {"site", b.site},
        {"session_id", e.session_id},
        {"event_id", e.id},
        {"device_date", utc_date(device_ms)},
        {"device_ts_ms", e.ts},
        {"event_time_ms", time.event_ms},
        {"receive_time_ms", m.receive_ms},
        {"sent_at_ms", b.sent_at},
        {"clock_skew_ms", time.clock_skew_ms},
        {"time_source", time.source == time_source::true_ts ? "true_ts" : "skew_corrected"},
        {"time_flags", std::move(flags)},
        {"type", e.type},
        {"name", e.name},
        {"anonymous_id", b.context.anonymous_id},
        {"user_id", b.context.user_id},
        {"session_index", e.session_index},
        {"seq", e.seq},
        {"tab_id", b.context.tab_id},
        {"platform", b.context.platform},
        {"url", e.url},
        {"url_scheme", page.scheme},
        {"url_host", page.host},
        {"url_path", page.normalized_path},
        {"url_query", page.query},
        {"url_fragment", page.fragment},
        {"title", e.title},
        {"referrer", e.referrer},
        {"referrer_host", ref.host},
        {"referrer_medium", to_string(ref.medium)},
        {"referrer_source", ref.source},
        {"referrer_term", ref.term},
        {"utm_source", c.source},
        {"utm_medium", c.medium},
        {"utm_campaign", c.name},
        {"utm_term", c.term},
        {"utm_content", c.content},
        {"utm_id", c.id},
        {"click_id", click},
        {"click_id_type", click_type},
        {"channel", to_string(classify_channel(c, ref, source_medium))},
        {"browser_family", ua_.browser.family},
        {"browser_version",
         version(ua_.browser.major, ua_.browser.minor, ua_.browser.patch, ua_.browser.patch_minor)},
        {"os_family", ua_.os.family},
        {"os_version", version(ua_.os.major, ua_.os.minor, ua_.os.patch, ua_.os.patch_minor)},
        {"device_family", ua_.device.family},
        {"device_brand", ua_.device.brand},
        {"device_model", ua_.device.model},
        {"device_type", to_string(ua_.type)},
        {"country", country_},
        {"ip", ip_text_},
        {"element_selector", e.element ? e.element->selector : ""},
        {"element_text", e.element ? e.element->text : ""},
        {"element_href", e.element ? e.element->href : ""},
        {"element_outbound", e.element && e.element->outbound.value_or(false)},
        {"scroll_depth", e.depth.value_or(0)},
        {"value", e.value.value_or(0.0)},
        {"currency", e.currency},
        {"props", e.props.empty() ? "{}" : e.props},
        {"language", b.context.language},
        {"time_zone", b.context.time_zone},
        {"screen_w", b.context.screen ? b.context.screen->w : 0},
        {"screen_h", b.context.screen ? b.context.screen->h : 0},
        {"viewport_w", b.context.viewport ? b.context.viewport->w : 0},
        {"viewport_h", b.context.viewport ? b.context.viewport->h : 0},
        {"app_name", b.context.app_name},
        {"app_version", b.context.app_version},
        {"sdk_name", b.sdk_name},
        {"sdk_version", b.sdk_version},
        {"sdk_session_timeout_s", b.context.session_timeout_s},
        // Dropped counts are per batch: carried by its first event only, so a
        // sum over clean events counts each batch once.
        {"dropped_queue_full", index == 0 ? b.dropped.queue_full : 0},
        {"dropped_consent_denied", index == 0 ? b.dropped.consent_denied : 0},
        {"dropped_rejected", index == 0 ? b.dropped.rejected : 0},
        {"request_id", m.request_id},
        {"source", m.source.empty() ? "batch" : m.source},
        {"is_bot", out.bot.bot},
        {"bot_rule", out.bot.bot ? std::string(to_string(out.bot.rule)) : ""},
        {"bot_detail", out.bot.detail},
    };
    out.clean = std::move(j);
    return out;
}

}  // namespace clickstream::enrich
