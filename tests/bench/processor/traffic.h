// The traffic of the processor benchmarks (stage_bench.cpp in-process,
// broker_bench.cpp through Kafka): raw messages as the collector writes them.
//
// Web batches of 1 to 12 events (page views with campaign links and
// referrers, clicks, scrolls, hovers, custom events, a few conversions) from
// visitors whose user agents are drawn by weight from the `user-agents`
// package; 3% of batches from crawlers (crawler-user-agents), 2% re-sent
// (duplicates), 0.5% broken bodies (dead letters).
//
// CLICKSTREAM_ROOT (else the source tree) locates node_modules/.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "processor/enrich/data_paths.h"
#include "processor/stage/stage_io.h"

namespace clickstream::bench {

using json = nlohmann::json;

struct raw_message {
    std::string body;
    std::vector<processor::record_header> headers;
};

inline std::filesystem::path root() {
    const char* r = std::getenv("CLICKSTREAM_ROOT");
    return r != nullptr && *r != '\0' ? r : CLICKSTREAM_DEFAULT_ROOT;
}

inline const enrich::data_paths& paths() {
    static const enrich::data_paths p = enrich::default_data_paths(root());
    return p;
}

struct weighted_uas {
    std::vector<std::string> uas;
    std::discrete_distribution<std::size_t> pick;
};

inline const weighted_uas& browser_uas() {
    static const weighted_uas w = [] {
        std::ifstream in(root() / "node_modules/user-agents/dist/user-agents.json");
        const auto all = json::parse(in);
        weighted_uas out;
        std::vector<double> weights;
        for (const auto& e : all) {
            out.uas.push_back(e.at("userAgent").get<std::string>());
            weights.push_back(e.at("weight").get<double>());
        }
        out.pick = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
        return out;
    }();
    return w;
}

inline const std::vector<std::string>& crawler_uas() {
    static const std::vector<std::string> v = [] {
        std::ifstream in(paths().crawler_user_agents);
        std::vector<std::string> out;
        for (const auto& e : json::parse(in)) {
            for (const auto& inst : e.value("instances", json::array())) {
                out.push_back(inst.get<std::string>());
            }
        }
        return out;
    }();
    return v;
}

inline std::string uuid(std::mt19937_64& rng) {
    const std::uint64_t a = rng(), b = rng();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", unsigned(a >> 32),
                  unsigned(a >> 16) & 0xFFFF, unsigned(a) & 0xFFF,
                  0x8000 | (unsigned(b >> 48) & 0x3FFF),
                  static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
    return buf;
}

inline const char* const pages[] = {"/",
                                    "/products/running-shoes",
                                    "/products/running-shoes/air-zoom-42?color=blue",
                                    "/cart",
                                    "/checkout/shipping",
                                    "/blog/how-to-choose-trail-shoes",
                                    "/category/women/sale?page=2",
                                    "/search?q=trail+shoes"};
inline const char* const campaigns[] = {
    "",
    "",
    "",
    "",
    "?utm_source=newsletter&utm_medium=email&utm_campaign=winter",
    "?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=Cj0KCQiA-aGCBhCwARIsAHDl5x",
    "?utm_source=facebook&utm_medium=paid_social&utm_campaign=retarget&fbclid=IwAR2x",
    "?utm_source=instagram&utm_medium=social"};
inline const char* const referrers[] = {"",
                                        "https://www.google.com/",
                                        "https://www.google.de/",
                                        "https://www.bing.com/search?q=running+shoes",
                                        "https://l.instagram.com/?u=x",
                                        "https://www.facebook.com/",
                                        "https://someones-blog.example.net/post/1",
                                        "https://duckduckgo.com/"};

// One visitor's tab: a session, a user agent, an address, a clock.
struct visitor {
    std::string anonymous_id, session_id, tab_id, ua, ip, landing;
    std::int64_t clock_ms = 0;
    std::uint32_t seq = 0;
    bool crawler = false;
};

class traffic {
public:
    explicit traffic(std::uint64_t seed) : rng_(seed) {
        for (int i = 0; i < 2000; ++i) visitors_.push_back(new_visitor());
    }

    // `n` raw messages, and per message the number of outputs the stage
    // makes of it (clean + bots + dlq).
    void next_chunk(std::size_t n, std::vector<raw_message>& out, std::vector<int>& outputs) {
        out.clear();
        outputs.clear();
        for (std::size_t i = 0; i < n; ++i) {
            const double r = unit_(rng_);
            if (r < 0.02 && !sent_.empty()) {  // a batch re-sent: every event a duplicate
                const auto& again = sent_[rng_() % sent_.size()];
                auto headers = again.second;
                headers[0].value = std::to_string(now_ms_);
                out.push_back({again.first, std::move(headers)});
                outputs.push_back(0);
                continue;
            }
            visitor& v = visitors_[rng_() % visitors_.size()];
            auto [body, events] = batch(v);
            auto headers = headers_of(v);
            if (r > 0.995) {  // broken on the way: a dead letter
                body.resize(body.size() / 2);
                events = 1;
            }
            outputs.push_back(events);
            if (r <= 0.995) {
                if (sent_.size() < 4000) {
                    sent_.emplace_back(body, headers);
                } else {
                    sent_[rng_() % sent_.size()] = {body, headers};
                }
            }
            out.push_back({std::move(body), std::move(headers)});
            if (unit_(rng_) < 0.05) v = new_visitor();  // the visit ends, another begins
        }
    }

private:
    visitor new_visitor() {
        visitor v;
        v.anonymous_id = uuid(rng_);
        v.session_id = uuid(rng_);
        v.tab_id = "t-" + std::to_string(rng_() % 100000);
        v.crawler = unit_(rng_) < 0.03;
        if (v.crawler) {
            const auto& c = crawler_uas();
            v.ua = c[rng_() % c.size()];
        } else {
            auto& w = browser_uas();
            v.ua = w.uas[pick_(rng_, w.pick.param())];
        }
        v.ip = std::to_string(1 + rng_() % 223) + "." + std::to_string(rng_() % 256) + "." +
               std::to_string(rng_() % 256) + "." + std::to_string(rng_() % 256);
        v.landing = std::string(pages[rng_() % std::size(pages)]);
        const char* campaign = campaigns[rng_() % std::size(campaigns)];
        if (*campaign != '\0') {
            v.landing += v.landing.find('?') == std::string::npos ? campaign
                                                                  : "&" + std::string(campaign + 1);
        }
        v.clock_ms = now_ms_ - static_cast<std::int64_t>(rng_() % 600000);
        return v;
    }

    std::pair<std::string, int> batch(visitor& v) {
        const int n = 1 + static_cast<int>(std::min<double>(
                              11, std::exponential_distribution<double>(1.0 / 3.5)(rng_)));
        json b = {{"v", 1},
                  {"site", "demo-shop"},
                  {"sdk", {{"name", "clickstream-web"}, {"version", "0.1.0"}}},
                  {"context",
                   {{"anonymous_id", v.anonymous_id},
                    {"platform", "web"},
                    {"screen", {{"w", 1920}, {"h", 1080}}},
                    {"viewport", {{"w", 1280}, {"h", 720}}},
                    {"language", "en-GB"},
                    {"time_zone", "Europe/Berlin"},
                    {"session_timeout_s", 1800},
                    {"tab_id", v.tab_id},
                    {"webdriver", false}}},
                  {"dropped", {{"queue_full", 0}, {"consent_denied", 0}, {"rejected", 0}}}};
        json events = json::array();
        for (int i = 0; i < n; ++i) {
            v.clock_ms += 200 + static_cast<std::int64_t>(rng_() % 20000);
            const std::string url =
                "https://shop.example" +
                (v.seq == 0 ? v.landing : std::string(pages[rng_() % std::size(pages)]));
            json e = {{"id", uuid(rng_)},   {"ts", v.clock_ms}, {"session_id", v.session_id},
                      {"session_index", 1}, {"seq", ++v.seq},   {"url", url}};
            const double r = v.seq == 1 ? 0 : unit_(rng_);
            if (r < 0.3) {
                e["type"] = "page_view";
                e["title"] = "Running shoes — Demo shop";
                e["referrer"] =
                    v.seq == 1 ? referrers[rng_() % std::size(referrers)] : "https://shop.example/";
            } else if (r < 0.55) {
                e["type"] = "click";
                e["element"] = {{"selector", "button#add-to-cart"},
                                {"text", "Add to cart"},
                                {"outbound", false}};
            } else if (r < 0.8) {
                e["type"] = "scroll";
                e["depth"] = 25 * (1 + rng_() % 4);
            } else if (r < 0.9) {
                e["type"] = "hover";
                e["element"] = {{"selector", "a.size-guide"},
                                {"text", "Size guide"},
                                {"href", "https://sizes.example/shoes"},
                                {"outbound", true}};
            } else if (r < 0.98) {
                e["type"] = "custom";
                e["name"] = "filter_used";
                e["props"] = {{"filter", "size"}, {"value", 42}, {"mobile", false}};
            } else {
                e["type"] = "conversion";
                e["name"] = "order";
                e["value"] = 79.9;
                e["currency"] = "EUR";
            }
            events.push_back(std::move(e));
        }
        b["events"] = std::move(events);
        b["sent_at"] = v.clock_ms + 300;
        now_ms_ += 7;
        return {b.dump(), n};
    }

    std::vector<processor::record_header> headers_of(const visitor& v) {
        return {{"received_at", std::to_string(now_ms_)},
                {"client_ip", v.ip},
                {"user_agent", v.ua},
                {"origin", "https://shop.example"},
                {"content_type", "text/plain"},
                {"content_encoding", "identity"},
                {"request_id", uuid(rng_)},
                {"site", "demo-shop"},
                {"source", "batch"}};
    }

    std::mt19937_64 rng_;
    std::uniform_real_distribution<double> unit_{0, 1};
    std::discrete_distribution<std::size_t> pick_;
    std::int64_t now_ms_ = 1'764'100'000'000;
    std::vector<visitor> visitors_;
    std::vector<std::pair<std::string, std::vector<processor::record_header>>> sent_;
};

}  // namespace clickstream::bench
