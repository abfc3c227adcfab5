// One batch event + what the collector saw → one clean event
// (docs/contracts/clean-event.schema.json): the batch's context, every
// derived field, the event time, the anonymised IP, the country and the bot
// verdict, flat, under the column names of the ClickHouse `events` table
// where they overlap (so the sessions stage inserts clean events as they are,
// with input_format_skip_unknown_fields=1).
//
// No Kafka here: the stage hands in the raw message's metadata. Absent
// strings are "" and absent numbers 0 (ClickHouse columns are not Nullable),
// except in the few fields the schema marks nullable.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "processor/enrich/batch.h"
#include "processor/enrich/bot_filter.h"
#include "processor/enrich/campaign.h"
#include "processor/enrich/event_time.h"
#include "processor/enrich/geoip.h"
#include "processor/enrich/ip_address.h"
#include "processor/enrich/lru_map.h"
#include "processor/enrich/referrer_parser.h"
#include "processor/enrich/session_rate_guard.h"
#include "processor/enrich/ua_parser.h"

namespace clickstream::enrich {

// The collector's raw message headers (collector/include/collector/raw_message.h).
struct raw_metadata {
    std::int64_t receive_ms = 0;  // received_at
    std::string client_ip;
    std::string user_agent;
    std::string origin;
    std::string content_type;
    std::string content_encoding;
    std::string request_id;
    std::string site;    // from the URL the collector routed on
    std::string source;  // "batch" or "pixel"
};

// Why a raw message cannot be read at all (before the body): the dlq reason.
// `received_at` missing or not a number is `missing_field` / `bad_value` at
// the pointer "/headers/received_at".

struct enricher_options {
    // Per site: its own domains (lower case); referrers from them are internal.
    std::map<std::string, std::vector<std::string>, std::less<>> site_domains;
    ip_anonymization ip;
    event_time_options time;
    session_rate_options rate;
    std::size_t ua_cache_entries = 10'000;
    // What a batch's (site, user agent, address, automation flag) decide:
    // the bot verdict of rules 1-6 and the device, country and address
    // members. A visitor's later batches skip the 1,500-pattern crawler scan,
    // the user agent cache's lookup and the GeoIP lookup.
    std::size_t bot_cache_entries = 10'000;
    // What an event's page URL decides: the clean event's members from `url`
    // to `url_fragment` and from `utm_source` to `click_id_type` as two JSON
    // runs, with the host and campaign the referrer and channel read. Pages
    // repeat from event to event (and landing URLs from visitor to visitor):
    // a repeated one skips the URL parse, the campaign and the writing of 14
    // members. URLs longer than 512 bytes are not cached.
    std::size_t page_cache_entries = 10'000;
};

// The data every enricher of a process shares (immutable, thread-safe).
struct enrich_data {
    const ua_parser& user_agents;
    const referrer_parser& referrers;
    const bot_filter& bots;
    const country_lookup& countries;
};

struct enriched_event {
    std::string clean;  // the clean event: one object, compact JSON, no newline
    std::string key;    // the Kafka key: the session id
    bot_verdict bot;    // bot.bot: goes to clickstream.bots, not clean
};

// Not thread-safe (it keeps a user agent cache and the behaviour rule's
// per-session buckets): one per worker.
class event_enricher {
public:
    event_enricher(const enrich_data& data, enricher_options options);

    // Derivations shared by every event of a batch (user agent, IP, country).
    void begin_batch(const batch& b, const raw_metadata& meta);
    // Event `index` of the batch given to begin_batch. Call it only for events
    // that are not duplicates: it counts the event for the behaviour rule.
    enriched_event enrich(std::size_t index);
    // The same into `out`, whose strings keep their capacity from one event
    // to the next (the stage's hot path).
    void enrich(std::size_t index, enriched_event& out);

    // The behaviour rule's counts follow the caller's transactions
    // (session_rate_guard): counted provisionally from begin, kept at commit,
    // forgotten at abort, so events read again after an abort count once.
    void begin_transaction() { rate_.begin(); }
    void commit_transaction() { rate_.commit(); }
    void abort_transaction() { rate_.discard(); }

    // Consulted only for a batch whose visitor (site, user agent, address,
    // automation flag) is not in the visitor cache: its hits and misses count
    // those batches alone.
    const ua_cache& user_agent_cache() const noexcept { return ua_cache_; }

private:
    // The clean event's members shared by every event of the batch, as
    // JSON runs (each but frag_site_ starting with a comma).
    void write_batch_members(const batch& b, const raw_metadata& m);

    // What a batch's site, user agent, address and automation flag decide,
    // all of it a function of them (the parser, the filter and the GeoIP data
    // are immutable): rules 1-6's verdict and the clean event's members from
    // `browser_family` to `ip` as one JSON run.
    struct visitor {
        bot_verdict bot;
        std::string device_run;
    };

    // What an event's page URL decides, all of it a function of the URL
    // (the referrer data is immutable).
    struct page {
        std::string url_run;       // `url` to `url_fragment`
        std::string campaign_run;  // `utm_source` to `click_id_type`
        std::string host;          // for the referrer's parse (internal or not)
        campaign utm;              // for the channel
        referrer_medium source_medium = referrer_medium::unknown;  // of utm_source
    };
    page make_page(std::string_view url) const;

    const enrich_data& data_;
    enricher_options options_;
    ua_cache ua_cache_;
    session_rate_guard rate_;
    const batch* batch_ = nullptr;
    const raw_metadata* meta_ = nullptr;
    lru_map<visitor> visitors_;
    std::string visitor_key_;
    // The cache's entry for the batch: valid until the cache's next insert,
    // which only begin_batch makes.
    const visitor* visitor_ = nullptr;
    // URLs up to this many bytes are cached (each entry holds the URL about
    // three times, escaped); longer ones are worked out into long_page_.
    static constexpr std::size_t max_cached_url = 512;
    lru_map<page> pages_;
    page long_page_;
    std::string rate_key_;
    std::string frag_site_, frag_times_, frag_ids_, frag_tab_, frag_context_, frag_request_;
    const std::vector<std::string>* own_domains_ = nullptr;
};

// "YYYY-MM-DD" (UTC) of a time in ms since the epoch.
std::string utc_date(std::int64_t ms);

}  // namespace clickstream::enrich
