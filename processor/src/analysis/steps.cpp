#include "processor/analysis/steps.h"

#include "processor/analysis/params.h"

namespace clickstream::analysis {
namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

constexpr std::string_view syntax =
    "expected page:<path> (with * for any characters) or event:<name>, optionally followed by "
    "{key=value,...}";

}  // namespace

result<step> parse_step(std::string_view text) {
    const std::string shown = "bad step '" + std::string(text) + "': ";
    const std::string_view t = trim(text);
    if (t.empty()) return bad_request("bad step '': empty; " + std::string(syntax));
    const auto colon = t.find(':');
    if (colon == std::string_view::npos) return bad_request(shown + std::string(syntax));
    step s;
    s.text = std::string(t);
    const std::string_view kind = t.substr(0, colon);
    if (kind == "page") {
        s.what = step::kind::page;
    } else if (kind == "event") {
        s.what = step::kind::event;
    } else {
        return bad_request(shown + "unknown kind '" + std::string(kind) + "'; " +
                           std::string(syntax));
    }
    std::string_view rest = t.substr(colon + 1);
    const auto brace = rest.find('{');
    std::string_view body = rest;
    if (brace != std::string_view::npos) {
        if (rest.back() != '}')
            return bad_request(shown + "a '{' without its closing '}' at the end");
        body = rest.substr(0, brace);
        std::string_view list = rest.substr(brace + 1, rest.size() - brace - 2);
        if (trim(list).empty()) return bad_request(shown + "empty {} (give key=value pairs)");
        while (true) {
            const auto comma = list.find(',');
            const std::string_view item = trim(list.substr(0, comma));
            const auto eq = item.find('=');
            if (eq == std::string_view::npos) {
                return bad_request(shown + "property filter '" + std::string(item) +
                                   "' is not key=value");
            }
            property_filter f{std::string(trim(item.substr(0, eq))),
                              std::string(trim(item.substr(eq + 1)))};
            if (f.key.empty()) {
                return bad_request(shown + "property filter '" + std::string(item) +
                                   "' has no key");
            }
            if (f.key.find_first_of("{}") != std::string::npos ||
                f.value.find_first_of("{}") != std::string::npos) {
                return bad_request(shown + "braces inside a property filter");
            }
            s.props.push_back(std::move(f));
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    } else if (rest.find('}') != std::string_view::npos) {
        return bad_request(shown + "a '}' without its opening '{'");
    }
    s.pattern = std::string(trim(body));
    if (s.pattern.empty()) {
        return bad_request(shown + (s.what == step::kind::page ? "no path after 'page:'"
                                                               : "no name after 'event:'"));
    }
    if (s.what == step::kind::page && s.pattern.front() != '/' && s.pattern.front() != '*') {
        return bad_request(shown + "a page path starts with '/' (or '*'), e.g. page:/pricing");
    }
    if (s.what == step::kind::event && s.pattern.find('*') != std::string::npos) {
        return bad_request(shown + "event names take no '*'; name the event exactly");
    }
    return s;
}

result<std::vector<step>> parse_steps(const std::vector<std::string>& texts) {
    if (texts.size() < 2) {
        return bad_request("a funnel needs at least 2 steps (got " + std::to_string(texts.size()) +
                           "), e.g. step=page:/pricing&step=event:signup");
    }
    if (texts.size() > 10) return bad_request("a funnel takes at most 10 steps");
    std::vector<step> out;
    for (const auto& t : texts) {
        auto s = parse_step(t);
        if (!s) return failure<error>{s.error()};
        out.push_back(std::move(*s));
    }
    return out;
}

std::string like_pattern(std::string_view glob) {
    std::string out;
    for (char c : glob) {
        if (c == '%' || c == '_' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '*') {
            out += '%';
        } else {
            out += c;
        }
    }
    return out;
}

std::string step_condition(const step& s) {
    std::string c;
    if (s.what == step::kind::page) {
        // Page views by path, app screens by name: what `sessions.pages` holds.
        const std::string page = "if(type = 'screen_view', name, url_path)";
        c = "(type IN ('page_view', 'screen_view') AND ";
        if (s.pattern.find('*') == std::string::npos) {
            c += page + " = " + sql_string(s.pattern) + ")";
        } else {
            c += page + " LIKE " + sql_string(like_pattern(s.pattern)) + ")";
        }
    } else {
        c = "(name = " + sql_string(s.pattern) + " OR type = " + sql_string(s.pattern) + ")";
    }
    for (const auto& f : s.props) {
        // visitParamExtractString reads string values; numbers and booleans
        // are compared as written (Raw), so plan=pro and qty=2 both work.
        c += " AND (visitParamExtractString(props, " + sql_string(f.key) +
             ") = " + sql_string(f.value) + " OR visitParamExtractRaw(props, " + sql_string(f.key) +
             ") = " + sql_string(f.value) + ")";
    }
    return "(" + c + ")";
}

}  // namespace clickstream::analysis
