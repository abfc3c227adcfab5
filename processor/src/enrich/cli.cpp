#include "processor/enrich/cli.h"

#include <algorithm>
#include <charconv>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string_view>

#include "processor/enrich/batch.h"
#include "processor/enrich/bot_filter.h"
#include "processor/enrich/campaign.h"
#include "processor/enrich/channel.h"
#include "processor/enrich/clean_event.h"
#include "processor/enrich/data_paths.h"
#include "processor/enrich/geoip.h"
#include "processor/enrich/ip_address.h"
#include "processor/enrich/json.h"
#include "processor/enrich/referrer_parser.h"
#include "processor/enrich/ua_parser.h"
#include "processor/enrich/url.h"

namespace clickstream::enrich {
namespace {

constexpr std::string_view usage =
    R"(Usage: clickstream-enrich --mode ua|url|referrer|ip|batch [options] < lines

Reads one user agent, URL, referrer or IP address a line on stdin and writes
one JSON object a line on stdout with every field enrich derives from it.

  --mode ua        browser, OS, device and device type (uap-core), and the
                   bot verdict from the user agent alone (crawler patterns,
                   headless browsers)
  --mode url       URL parts, query parameters, normalised path, campaign
                   (utm_*, click ids) and the channel it implies on its own
  --mode referrer  referrer medium, source, search term, and the channel
  --mode ip        anonymised address and country (GeoIP)
  --mode batch     a whole batch v1 body a line: one clean event a line for
                   each of its events (bots too: "is_bot" says so), or for a
                   body the stage would dead-letter one object with "line",
                   "dlq_reason", "dlq_path" and "dlq_detail". What the
                   collector would add comes from the options below.

Options:
  --root DIR                 project root for the default data paths
                             (default: $CLICKSTREAM_ROOT or the source tree)
  --uap-regexes FILE         uap-core regexes.yaml
  --crawler-user-agents FILE crawler-user-agents.json
  --referrers FILE           referers.yml; repeat to add files (later ones
                             override earlier ones); replaces the defaults
  --geoip FILE               IPv4 country database (GeoIP.dat)
  --geoip-v6 FILE            IPv6 country database (GeoIPv6.dat)
  --site-domain DOMAIN       the site's own domain (referrers from it are
                             internal); repeat for several
  --bot-ip-ranges FILE       CIDR ranges, one a line ("CIDR [label]")
  --cache N                  user agent cache entries (0: no cache; 10000)
  --user-agent UA            batch: the request's User-Agent ("")
  --client-ip IP             batch: the client address ("")
  --request-id ID            batch: the collector's request id ("")
  --received-at MS           batch: receive time, ms since the epoch
                             (default: each batch's own sent_at, no skew)
  --help                     this text
)";

struct cli_options {
    std::string mode;
    data_paths paths;
    std::vector<std::string> site_domains;
    std::filesystem::path bot_ip_ranges;
    std::size_t cache = 10000;
    std::string user_agent, client_ip, request_id;  // batch: what the collector saw
    std::int64_t received_at = 0;                   // batch: 0 = the batch's sent_at
    bool help = false;
};

// Fills `o` from args; returns an error message, or "" if fine.
std::string parse_args(const std::vector<std::string>& args, cli_options& o,
                       const std::filesystem::path& default_root) {
    std::filesystem::path root = default_root;
    std::optional<std::filesystem::path> uap, crawlers, geoip, geoip6;
    std::vector<std::filesystem::path> referrers;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            o.help = true;
            continue;
        }
        if (i + 1 >= args.size()) return "unknown option or missing value: " + a;
        const std::string& v = args[++i];
        if (a == "--mode")
            o.mode = v;
        else if (a == "--root")
            root = v;
        else if (a == "--uap-regexes")
            uap = v;
        else if (a == "--crawler-user-agents")
            crawlers = v;
        else if (a == "--referrers")
            referrers.emplace_back(v);
        else if (a == "--geoip")
            geoip = v;
        else if (a == "--geoip-v6")
            geoip6 = v;
        else if (a == "--site-domain")
            o.site_domains.push_back(v);
        else if (a == "--bot-ip-ranges")
            o.bot_ip_ranges = v;
        else if (a == "--user-agent")
            o.user_agent = v;
        else if (a == "--client-ip")
            o.client_ip = v;
        else if (a == "--request-id")
            o.request_id = v;
        else if (a == "--cache" || a == "--received-at") {
            std::int64_t n = 0;
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc{} || end != v.data() + v.size() || n < 0) {
                return a + " takes a number, not " + v;
            }
            if (a == "--cache") {
                o.cache = static_cast<std::size_t>(n);
            } else {
                o.received_at = n;
            }
        } else {
            return "unknown option: " + a;
        }
    }
    if (o.help) return {};
    if (o.mode != "ua" && o.mode != "url" && o.mode != "referrer" && o.mode != "ip" &&
        o.mode != "batch") {
        return "--mode must be ua, url, referrer, ip or batch";
    }
    o.paths = default_data_paths(root);
    if (uap) o.paths.uap_regexes = *uap;
    if (crawlers) o.paths.crawler_user_agents = *crawlers;
    if (!referrers.empty()) o.paths.referrers = referrers;
    if (geoip) o.paths.geoip_v4 = *geoip;
    if (geoip6) o.paths.geoip_v6 = *geoip6;
    return {};
}

// Reads lines (without a trailing '\r') until the end of input.
template <class F>
void for_each_line(std::istream& in, F&& f) {
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        f(line);
    }
}

void run_ua(const cli_options& o, std::istream& in, std::ostream& out) {
    const ua_parser parser({o.paths.uap_regexes});
    bot_filter_options bot_options;
    bot_options.crawler_user_agents = o.paths.crawler_user_agents;
    if (!o.bot_ip_ranges.empty()) bot_options.ip_ranges = read_ip_range_file(o.bot_ip_ranges);
    const bot_filter bots(bot_options);
    ua_cache cache(parser, o.cache);
    for_each_line(in, [&](const std::string& line) {
        nlohmann::json j = o.cache > 0 ? cache.parse(line) : parser.parse(line);
        j["user_agent"] = line;
        bot_signals signals;
        signals.user_agent = line;
        j["bot"] = bots.check(signals);
        out << dump_line(j) << '\n';
    });
}

void run_url(const cli_options& o, std::istream& in, std::ostream& out) {
    const auto referrers = referrer_parser::load(o.paths.referrers);
    for_each_line(in, [&](const std::string& line) {
        nlohmann::json j = {{"url", line}};
        if (auto url = parse_url(line)) {
            const campaign c = extract_campaign(*url);
            j["error"] = nullptr;
            j["parts"] = *url;
            j["campaign"] = c;
            j["channel"] = to_string(classify_channel(c, {}, referrers.classify_source(c.source)));
        } else {
            j["error"] = to_string(url.error());
        }
        out << dump_line(j) << '\n';
    });
}

void run_referrer(const cli_options& o, std::istream& in, std::ostream& out) {
    const auto referrers = referrer_parser::load(o.paths.referrers);
    for_each_line(in, [&](const std::string& line) {
        const referrer_info info = referrers.parse(line, o.site_domains);
        nlohmann::json j = info;
        j["referrer"] = line;
        j["channel"] = to_string(classify_channel({}, info, referrer_medium::unknown));
        out << dump_line(j) << '\n';
    });
}

void run_ip(const cli_options& o, std::istream& in, std::ostream& out) {
    const auto countries = open_country_lookup(o.paths.geoip_v4, o.paths.geoip_v6);
    for_each_line(in, [&](const std::string& line) {
        nlohmann::json j = {{"ip", line}};
        if (auto ip = parse_ip(line)) {
            const auto country = countries->country(*ip);
            j["error"] = nullptr;
            j["anonymized"] = to_string(anonymize(*ip, {}));
            j["country"] = country.empty() ? nlohmann::json() : nlohmann::json(country);
        } else {
            j["error"] = to_string(ip.error());
        }
        out << dump_line(j) << '\n';
    });
}

// Whole batch v1 bodies through the stage's own parser and enricher (no
// Kafka, no dedup: every event of every line is printed).
void run_batch(const cli_options& o, std::istream& in, std::ostream& out) {
    const ua_parser parser({o.paths.uap_regexes});
    const auto referrers = referrer_parser::load(o.paths.referrers);
    bot_filter_options bot_options;
    bot_options.crawler_user_agents = o.paths.crawler_user_agents;
    if (!o.bot_ip_ranges.empty()) bot_options.ip_ranges = read_ip_range_file(o.bot_ip_ranges);
    const bot_filter bots(bot_options);
    const auto countries = open_country_lookup(o.paths.geoip_v4, o.paths.geoip_v6);
    const enrich_data data{parser, referrers, bots, *countries};
    // One enricher per site: --site-domain names the domains of whichever
    // site the batches are for.
    std::map<std::string, std::unique_ptr<event_enricher>, std::less<>> enrichers;
    std::size_t number = 0;
    for_each_line(in, [&](const std::string& line) {
        ++number;
        if (line.empty()) return;
        auto parsed = parse_batch(line);
        if (!parsed) {
            const nlohmann::json j = {{"line", number},
                                      {"dlq_reason", to_string(parsed.error().reason)},
                                      {"dlq_path", parsed.error().path},
                                      {"dlq_detail", parsed.error().detail}};
            out << dump_line(j) << '\n';
            return;
        }
        raw_metadata meta;
        meta.receive_ms = o.received_at > 0 ? o.received_at : parsed->sent_at;
        meta.client_ip = o.client_ip;
        meta.user_agent = o.user_agent;
        meta.request_id = o.request_id;
        meta.content_type = "application/json";
        meta.content_encoding = "identity";
        meta.site = parsed->site;
        meta.source = "batch";
        auto& enricher = enrichers[parsed->site];
        if (!enricher) {
            enricher_options options;
            options.ua_cache_entries = std::max<std::size_t>(o.cache, 1);
            if (!o.site_domains.empty()) options.site_domains[parsed->site] = o.site_domains;
            enricher = std::make_unique<event_enricher>(data, options);
        }
        enricher->begin_batch(*parsed, meta);
        for (std::size_t i = 0; i < parsed->events.size(); ++i) {
            out << enricher->enrich(i).clean << '\n';
        }
    });
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
            std::ostream& err, const std::filesystem::path& default_root) {
    cli_options o;
    if (const auto error = parse_args(args, o, default_root); !error.empty()) {
        err << "clickstream-enrich: " << error << "\n\n" << usage;
        return 2;
    }
    if (o.help) {
        out << usage;
        return 0;
    }
    try {
        if (o.mode == "ua")
            run_ua(o, in, out);
        else if (o.mode == "url")
            run_url(o, in, out);
        else if (o.mode == "referrer")
            run_referrer(o, in, out);
        else if (o.mode == "batch")
            run_batch(o, in, out);
        else
            run_ip(o, in, out);
    } catch (const std::exception& e) {
        // Only loading throws (hot-path errors are values).
        err << "clickstream-enrich: " << e.what() << '\n';
        return 1;
    }
    out.flush();
    return 0;
}

}  // namespace clickstream::enrich
