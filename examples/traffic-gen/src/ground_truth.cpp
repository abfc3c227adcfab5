#include "traffic_gen/ground_truth.h"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

namespace clickstream::traffic_gen {
namespace {

using json = nlohmann::json;

double cents(double amount) {
    return std::round(amount * 100) / 100;
}

json nullable(const std::string& s) {
    return s.empty() ? json(nullptr) : json(s);
}

}  // namespace

void ground_truth_writer::run_header(const std::string& line) {
    if (out_ != nullptr) *out_ << line << '\n';
}

void ground_truth_writer::new_visitor(const visitor& v) {
    ++totals_.visitors;
    if (is_bot(v.kind)) ++totals_.bot_visitors;
}

result<void, std::string> ground_truth_writer::visit(const visitor& v, const visit_plan& plan,
                                                     std::size_t tracked,
                                                     const std::vector<recorded_event>& recorded) {
    const std::string who = "visitor " + std::to_string(v.index) + " (" + v.anonymous_id + ")";
    if (recorded.size() != tracked) {
        return failure{who + ": tracked " + std::to_string(tracked) + " events, the SDK sent " +
                       std::to_string(recorded.size())};
    }
    const bool bot = is_bot(v.kind);
    const json bot_kind = bot ? json(to_string(v.kind)) : json(nullptr);
    std::map<int, channel> via;
    for (const auto& s : plan.sessions) via[s.number] = s.via;

    struct summary {
        std::string session_id;
        std::int64_t session_index = 0;
        std::int64_t start = 0, end = 0;
        std::uint64_t events = 0, page_views = 0, conversions = 0;
        double revenue = 0;
        std::string currency, landing_url, first_url, user_id;
    };
    std::vector<std::pair<int, summary>> sessions;  // in order
    std::map<std::string, int> sdk_to_model;

    ++totals_.visits;
    for (std::size_t i = 0; i < tracked; ++i) {
        const planned_event& p = plan.events[i];
        const recorded_event& r = recorded[i];
        if (r.type != to_string(p.ev.type) || (p.ev.type != event_type::identify && r.ts != p.t)) {
            return failure{who + ": event " + std::to_string(i) + " was " + to_string(p.ev.type) +
                           " at " + std::to_string(p.t) + ", the SDK sent " + r.type + " at " +
                           std::to_string(r.ts)};
        }
        // The model's sessions and the SDK's must be the same partition.
        if (sessions.empty() || sessions.back().first != p.session) {
            if (sdk_to_model.count(r.session_id) != 0) {
                return failure{who + ": the SDK continued session " + r.session_id +
                               " where the model started a new one at " + std::to_string(p.t)};
            }
            sdk_to_model[r.session_id] = p.session;
            summary s;
            s.session_id = r.session_id;
            s.session_index = r.session_index;
            s.start = p.t;
            s.first_url = p.ev.url;
            sessions.emplace_back(p.session, s);
        } else if (sessions.back().second.session_id != r.session_id) {
            return failure{who + ": the SDK started session " + r.session_id +
                           " inside the model's session " + std::to_string(p.session) + " at " +
                           std::to_string(p.t)};
        }
        summary& s = sessions.back().second;
        s.end = p.t;
        ++s.events;
        s.user_id = p.user_id;
        if (p.ev.type == event_type::page_view) {
            ++s.page_views;
            if (s.landing_url.empty()) s.landing_url = p.ev.url;
        }
        if (p.ev.type == event_type::conversion) {
            ++s.conversions;
            s.revenue += p.ev.value.value_or(0);
            s.currency = p.ev.currency;
            ++totals_.conversions;
            totals_.revenue += p.ev.value.value_or(0);
        }
        ++totals_.events;
        if (bot) ++totals_.bot_events;
        if (out_ == nullptr) continue;
        json line = {{"kind", "event"},
                     {"id", r.id},
                     {"session_id", r.session_id},
                     {"session_index", r.session_index},
                     {"seq", r.seq},
                     {"anonymous_id", v.anonymous_id},
                     {"user_id", nullable(p.user_id)},
                     {"visitor", v.index},
                     {"visit", plan.visit},
                     {"session", p.session},
                     {"type", r.type},
                     {"ts", r.ts},
                     {"true_ts", p.t},
                     {"is_bot", bot},
                     {"bot_kind", bot_kind},
                     {"channel", to_string(via[p.session])},
                     {"url", p.ev.url},
                     {"path", path_of(p.ev.url)}};
        if (!p.ev.referrer.empty()) line["referrer"] = p.ev.referrer;
        if (!p.ev.name.empty()) line["name"] = p.ev.name;
        if (p.ev.value) {
            line["value"] = *p.ev.value;
            line["currency"] = p.ev.currency;
        }
        if (p.ev.depth) line["depth"] = *p.ev.depth;
        if (p.ev.element) line["element"] = p.ev.element->selector;
        *out_ << line.dump() << '\n';
    }
    for (auto& [number, s] : sessions) {
        // The landing page is the first page viewed (a session that began
        // with a click after an idle tab: the page it was on).
        if (s.landing_url.empty()) s.landing_url = s.first_url;
        ++totals_.sessions;
        if (bot) ++totals_.bot_sessions;
        if (out_ == nullptr) continue;
        json line = {{"kind", "session"},
                     {"session_id", s.session_id},
                     {"session_index", s.session_index},
                     {"anonymous_id", v.anonymous_id},
                     {"user_id", nullable(s.user_id)},
                     {"visitor", v.index},
                     {"visit", plan.visit},
                     {"session", number},
                     {"start", s.start},
                     {"end", s.end},
                     {"events", s.events},
                     {"page_views", s.page_views},
                     {"converted", s.conversions > 0},
                     {"conversions", s.conversions},
                     {"revenue", cents(s.revenue)},
                     {"currency", nullable(s.currency)},
                     {"is_bot", bot},
                     {"bot_kind", bot_kind},
                     {"channel", to_string(via[number])},
                     {"landing_page", path_of(s.landing_url)},
                     {"user_agent", v.user_agent},
                     {"webdriver", v.webdriver},
                     {"landing_url", s.landing_url}};
        *out_ << line.dump() << '\n';
    }
    return {};
}

void ground_truth_writer::finish() {
    if (out_ == nullptr) return;
    const json line = {{"kind", "totals"},
                       {"visitors", totals_.visitors},
                       {"bot_visitors", totals_.bot_visitors},
                       {"visits", totals_.visits},
                       {"sessions", totals_.sessions},
                       {"bot_sessions", totals_.bot_sessions},
                       {"events", totals_.events},
                       {"bot_events", totals_.bot_events},
                       {"conversions", totals_.conversions},
                       {"revenue", cents(totals_.revenue)}};
    *out_ << line.dump() << '\n';
    out_->flush();
}

}  // namespace clickstream::traffic_gen
