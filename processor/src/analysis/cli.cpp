#include "processor/analysis/cli.h"

#include <ostream>
#include <set>

#include "common/config.h"
#include "processor/analysis/attribution.h"
#include "processor/analysis/funnel.h"
#include "processor/analysis/paths.h"
#include "processor/analysis/sessions.h"

namespace clickstream::analysis {
namespace {

struct command {
    const char* name;
    std::vector<std::string> options;  // take a value
    std::vector<std::string> flags;    // take none
};

const std::vector<command>& commands() {
    static const std::vector<command> all = {
        {"funnel", {"step", "scope", "order", "window", "by"}, {}},
        {"paths", {"start", "end", "depth", "limit", "transitions-limit"}, {"collapse", "exits"}},
        {"attribution", {"by", "lookback", "half-life"}, {}},
        {"sessions", {"person", "channel", "limit"}, {"converted"}},
    };
    return all;
}

const std::vector<std::string> common_options = {"site",           "from",     "to",   "format",
                                                 "clickhouse-url", "database", "user", "password",
                                                 "password-file",  "timeout"};

std::string param_name(std::string option) {
    for (auto& c : option) {
        if (c == '-') c = '_';
    }
    return option;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v) {
        if (x == s) return true;
    }
    return false;
}

template <class Options, class Parse, class Run>
int execute(const params& p, std::int64_t now_ms, query_runner& db, Parse parse, Run run,
            const std::string& format, std::ostream& out, std::ostream& err) {
    auto o = parse(p, now_ms);
    if (!o) {
        err << "clickstream: " << o.error().message << "\n";
        return 2;
    }
    auto r = run(*o, db);
    if (!r) {
        err << "clickstream: " << r.error().message << "\n";
        return r.error().code == errc::bad_request ? 2 : 1;
    }
    if (format == "json") {
        out << to_json(*o, *r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
    } else if (format == "csv") {
        out << render_csv(to_tables(*o, *r));
    } else {
        out << render_text(to_tables(*o, *r));
    }
    return 0;
}

}  // namespace

std::string cli_usage() {
    return R"(usage: clickstream <command> [options]

Funnels, paths and attribution over the session store in ClickHouse.

commands:
  funnel       sessions or people through ordered steps: counts, conversion,
               drop-off and median time per step
  paths        most frequent page sequences from a start page or into an end
               page, and the step-to-step transitions
  attribution  conversions and revenue credited to channels, sources or
               campaigns under seven models side by side
  sessions     the newest sessions matching a filter, with a summary

options for every command:
  --site KEY             one site (default: all)
  --from YYYY-MM-DD      first day, UTC (default: 29 days before --to)
  --to YYYY-MM-DD        last day, inclusive (default: today)
  --format text|json|csv output (default: text tables)
  --clickhouse-url URL   ClickHouse HTTP (default: $CLICKSTREAM_CLICKHOUSE_URL,
                         else http://127.0.0.1:18123)
  --database NAME        database (default: $CLICKSTREAM_CLICKHOUSE_DATABASE,
                         else clickstream)
  --user NAME, --password SECRET
                         ClickHouse credentials (default: $CLICKSTREAM_CLICKHOUSE_USER,
                         $CLICKSTREAM_CLICKHOUSE_PASSWORD)
  --password-file FILE   the password from a file, kept out of the process list
                         and shell history (default: $CLICKSTREAM_CLICKHOUSE_PASSWORD_FILE);
                         over --password
  --timeout SECONDS      per query (default 60)

funnel:
  --step STEP            2 to 10 times, in order. STEP is page:<path> ('*' matches
                         anything) or event:<name>, optionally with property
                         filters: event:purchase{plan=pro,currency=EUR}
  --scope session|user   count sessions (default) or people across sessions
  --order strict|any     steps in the given order (default) or in any order
  --window DURATION      scope=user: time from the first step (default 7d)
  --by channel|device|campaign|landing_page
                         break down by the entry session's value
paths:
  --start PATH | --end PATH
                         sequences from a page's first view, or into it
  --depth N              pages per sequence (default 4, 2-20)
  --collapse             count a page repeated in a row once
  --exits                mark where sessions end ((exit)) or begin ((entrance))
  --limit N              sequences shown (default 20)
  --transitions-limit N  transitions per step (default 50)
attribution:
  --by channel|source|campaign   (default channel)
  --lookback DURATION    sessions before a conversion that count (default 30d)
  --half-life DURATION   time-decay half-life (default 7d)
sessions:
  --person ID            a user id or anonymous id
  --channel NAME         one channel
  --converted            only sessions with a conversion
  --limit N              sessions listed (default 50)

DURATION is a number and a unit: 90m, 12h, 30d.

examples:
  clickstream funnel --step page:/ --step 'page:/product/*' --step event:add_to_cart \
      --step event:purchase --by channel --from 2026-11-01 --to 2026-11-25
  clickstream funnel --scope user --window 14d --order any \
      --step event:signup --step 'event:purchase{plan=pro}'
  clickstream paths --start /pricing --depth 5 --collapse --exits
  clickstream paths --end /checkout/done --format csv
  clickstream attribution --by campaign --lookback 14d --format json
  clickstream sessions --person u-42 --converted

exit status: 0 done, 1 the query failed (ClickHouse), 2 a usage error.
Identity (docs/analysis.md): a person is the user id where known, else the
user id last seen with the same anonymous id, else the anonymous id.
)";
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            std::int64_t now_ms, const runner_factory& connect,
            const std::function<const char*(const char*)>& env) {
    if (args.empty()) {
        err << cli_usage();
        return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        out << cli_usage();
        return 0;
    }
    const command* cmd = nullptr;
    for (const auto& c : commands()) {
        if (args[0] == c.name) cmd = &c;
    }
    if (cmd == nullptr) {
        err << "clickstream: unknown command '" << args[0]
            << "' (funnel, paths, attribution, sessions; see --help)\n";
        return 2;
    }
    connection conn;
    if (const char* v = env("CLICKSTREAM_CLICKHOUSE_URL"); v != nullptr && *v != 0) conn.url = v;
    if (const char* v = env("CLICKSTREAM_CLICKHOUSE_DATABASE"); v != nullptr && *v != 0) {
        conn.database = v;
    }
    if (const char* v = env("CLICKSTREAM_CLICKHOUSE_USER"); v != nullptr) conn.user = v;
    if (const char* v = env("CLICKSTREAM_CLICKHOUSE_PASSWORD"); v != nullptr) conn.password = v;
    std::string password_file;
    if (const char* v = env("CLICKSTREAM_CLICKHOUSE_PASSWORD_FILE"); v != nullptr)
        password_file = v;
    std::string format = "text";
    params p;
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            out << cli_usage();
            return 0;
        }
        if (a.rfind("--", 0) != 0 || a.size() == 2) {
            err << "clickstream " << cmd->name << ": unexpected argument '" << a
                << "' (options start with --; see --help)\n";
            return 2;
        }
        std::string name = a.substr(2);
        std::string value;
        bool has_value = false;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_value = true;
        }
        const bool flag = contains(cmd->flags, name);
        if (!flag && !contains(cmd->options, name) && !contains(common_options, name)) {
            err << "clickstream " << cmd->name << ": unknown option --" << name
                << " (see --help)\n";
            return 2;
        }
        if (flag) {
            if (!has_value) value = "1";
        } else if (!has_value) {
            if (i + 1 >= args.size()) {
                err << "clickstream " << cmd->name << ": --" << name << " needs a value\n";
                return 2;
            }
            value = args[++i];
        }
        if (name == "format") {
            if (value != "text" && value != "json" && value != "csv") {
                err << "clickstream: bad --format '" << value << "': expected text, json or csv\n";
                return 2;
            }
            format = value;
        } else if (name == "clickhouse-url") {
            conn.url = value;
        } else if (name == "database") {
            conn.database = value;
        } else if (name == "user") {
            conn.user = value;
        } else if (name == "password") {
            conn.password = value;
        } else if (name == "password-file") {
            password_file = value;
        } else if (name == "timeout") {
            auto t = parse_int({{"timeout", value}}, "timeout", 60, 1, 86400);
            if (!t) {
                err << "clickstream: " << t.error().message << "\n";
                return 2;
            }
            conn.timeout_ms = *t * 1000;
        } else {
            p.push_back({param_name(name), value});
        }
    }
    if (!password_file.empty()) {
        try {
            conn.password = common::read_secret("--password-file", password_file, {}, {});
        } catch (const common::config_error& e) {  // names the file, not its content
            err << "clickstream: " << e.what() << "\n";
            return 2;
        }
    }
    for (char c : conn.database) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
            err << "clickstream: bad --database '" << conn.database
                << "': letters, digits and '_' only\n";
            return 2;
        }
    }
    auto db = connect(conn);
    const std::string name = cmd->name;
    if (name == "funnel") {
        return execute<funnel_options>(p, now_ms, *db, parse_funnel_params, run_funnel, format, out,
                                       err);
    }
    if (name == "paths") {
        return execute<paths_options>(p, now_ms, *db, parse_paths_params, run_paths, format, out,
                                      err);
    }
    if (name == "attribution") {
        return execute<attribution_options>(p, now_ms, *db, parse_attribution_params,
                                            run_attribution, format, out, err);
    }
    return execute<sessions_options>(p, now_ms, *db, parse_sessions_params, run_sessions, format,
                                     out, err);
}

}  // namespace clickstream::analysis
