#include <charconv>
#include <ctime>

#include "traffic_gen/generator.h"

namespace clickstream::traffic_gen {
namespace {

template <class T>
bool parse_number(const std::string& s, T& out) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// YYYY-MM-DD (UTC midnight) as ms since the epoch.
bool parse_date(const std::string& s, std::int64_t& out) {
    std::tm tm{};
    int y = 0, m = 0, d = 0;
    if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !parse_number(s.substr(0, 4), y) ||
        !parse_number(s.substr(5, 2), m) || !parse_number(s.substr(8, 2), d) || m < 1 || m > 12 ||
        d < 1 || d > 31) {
        return false;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    out = static_cast<std::int64_t>(::timegm(&tm)) * 1000;
    return true;
}

}  // namespace

std::string usage() {
    return R"(clickstream-traffic-gen: simulated visitors and bots, sent through the native SDK

usage: clickstream-traffic-gen --collector URL [options]

  --collector URL         the collector's base URL (batches go to URL/v1/batch?site=KEY)
  --site KEY              the site key (default demo)
  --mode MODE             live: events as they happen, at --rate new visitors a minute
                          historical: --days of traffic as fast as the collector takes
                          it, each event carrying its true time (default historical)
  --seed N                the same seed gives the same traffic and ground truth (default 1)
  --visitors N            how many visitors (default 1000 historical, unlimited live)
  --days N                historical: the length of the window (default 28)
  --start YYYY-MM-DD      historical: the first day, UTC (default: --days ago);
                          give it for a byte-identical ground truth on another day
  --rate R                live: new visitors per minute (default 6)
  --duration S            live: stop after S seconds (default: at Ctrl-C)
  --bot-share F           the share of visitors that are bots, 0 to 1 (default 0.1)
  --session-timeout S     the session timeout in seconds; must be the site's
                          (default: ask the collector's /v1/config, else 1800)
  --ground-truth FILE     write the ground truth there, JSON Lines (default: none)
  --origin URL            the Origin header each visitor sends (default
                          https://shop.example; "" for none)
  --base-url URL          the shop's address in page URLs (default https://shop.example)
  --data DIR              node_modules with user-agents, referer-parser and
                          crawler-user-agents (default $CLICKSTREAM_ROOT/node_modules,
                          else the source tree's)
  --state-dir DIR         where the visitors' SDK stores live (default: a temporary
                          folder, removed at the end)
  --delivery-timeout S    how long a visit's end waits for the collector (default 30)
  --no-gzip               send bodies uncompressed
  --quiet                 no progress on stderr
  --help                  this text

Exit status: 0 done (or stopped by Ctrl-C / --duration), 1 the collector
refused the batches or did not take them in time, 2 a bad command line or
missing data files.
)";
}

result<generator_options, std::string> parse_arguments(std::span<const std::string> args) {
    generator_options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& flag = args[i];
        if (flag == "--help" || flag == "-h") return failure{std::string("help")};
        if (flag == "--no-gzip") {
            o.gzip = false;
            continue;
        }
        if (flag == "--quiet") {
            o.progress = false;
            continue;
        }
        if (i + 1 >= args.size()) return failure{flag + ": needs a value (see --help)"};
        const std::string& value = args[++i];
        const auto bad = [&](const char* what) {
            return failure{flag + " " + value + ": " + what};
        };
        double d = 0;
        std::int64_t n = 0;
        if (flag == "--collector") {
            o.collector = value;
        } else if (flag == "--site") {
            o.site = value;
        } else if (flag == "--mode") {
            if (value == "live") {
                o.mode = run_mode::live;
            } else if (value == "historical") {
                o.mode = run_mode::historical;
            } else {
                return bad("live or historical");
            }
        } else if (flag == "--seed") {
            if (!parse_number(value, o.seed)) return bad("a whole number");
        } else if (flag == "--visitors") {
            if (!parse_number(value, o.visitors)) return bad("a whole number");
        } else if (flag == "--days") {
            if (!parse_number(value, o.days) || o.days < 1 || o.days > 3650) {
                return bad("from 1 to 3650");
            }
        } else if (flag == "--start") {
            if (!parse_date(value, n)) return bad("a date, YYYY-MM-DD");
            o.start_ms = n;
        } else if (flag == "--rate") {
            if (!parse_number(value, d) || !(d > 0)) return bad("a positive number");
            o.rate = d;
        } else if (flag == "--duration") {
            if (!parse_number(value, d) || d < 0) return bad("seconds, 0 or more");
            o.duration_s = d;
        } else if (flag == "--bot-share") {
            if (!parse_number(value, d) || d < 0 || d > 1) return bad("from 0 to 1");
            o.bot_share = d;
        } else if (flag == "--session-timeout") {
            if (!parse_number(value, n) || n < 1 || n > 86400) return bad("from 1 to 86400 s");
            o.session_timeout_s = n;
        } else if (flag == "--ground-truth") {
            o.ground_truth = value;
        } else if (flag == "--origin") {
            o.origin = value;
        } else if (flag == "--base-url") {
            o.base_url = value;
        } else if (flag == "--data") {
            o.data_dir = value;
        } else if (flag == "--state-dir") {
            o.state_dir = value;
        } else if (flag == "--delivery-timeout") {
            if (!parse_number(value, d) || !(d > 0)) return bad("a positive number of seconds");
            o.delivery_timeout_ms = static_cast<std::int64_t>(d * 1000);
        } else {
            return failure{"unknown option " + flag + " (see --help)"};
        }
    }
    if (o.collector.empty())
        return failure{std::string("--collector URL is required (see --help)")};
    return o;
}

}  // namespace clickstream::traffic_gen
