#include "traffic_gen/model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace clickstream::traffic_gen {
namespace {

constexpr std::int64_t second = 1000;
constexpr std::int64_t minute = 60 * second;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t day = 24 * hour;

// A shop's traffic over the day (UTC hours): quiet at night, busy evenings.
constexpr std::array<double, 24> daily_curve = {0.6, 0.4, 0.3, 0.25, 0.25, 0.35, 0.6, 1.0,
                                                1.4, 1.6, 1.7, 1.8,  1.9,  1.8,  1.7, 1.7,
                                                1.8, 2.0, 2.3, 2.5,  2.4,  2.0,  1.5, 1.0};

struct zone {
    const char* language_prefix;
    const char* time_zone;
};
constexpr zone zones[] = {
    {"en-US", "America/New_York"},  {"en-GB", "Europe/London"}, {"en-CA", "America/Toronto"},
    {"en-AU", "Australia/Sydney"},  {"de", "Europe/Berlin"},    {"fr", "Europe/Paris"},
    {"es", "Europe/Madrid"},        {"it", "Europe/Rome"},      {"nl", "Europe/Amsterdam"},
    {"pt-BR", "America/Sao_Paulo"}, {"ja", "Asia/Tokyo"},       {"pl", "Europe/Warsaw"},
};

std::string time_zone_for(const std::string& language) {
    for (const auto& z : zones) {
        if (language.rfind(z.language_prefix, 0) == 0) return z.time_zone;
    }
    return "UTC";
}

std::string hex_id(rng& r, int digits) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < digits; ++i) s += hex[r.below(16)];
    return s;
}

std::string click_id(rng& r) {
    static constexpr char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    std::string s;
    for (int i = 0; i < 40; ++i) s += chars[r.below(sizeof chars - 1)];
    return s;
}

std::string url_term(const std::string& title) {
    std::string out;
    for (const char c : title) {
        out += c == ' ' ? '+' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::int64_t clamp_ms(double ms, std::int64_t lo, std::int64_t hi) {
    return std::clamp(static_cast<std::int64_t>(ms), lo, hi);
}

}  // namespace

const char* to_string(visitor_kind k) noexcept {
    switch (k) {
        case visitor_kind::human:
            return "human";
        case visitor_kind::crawler:
            return "crawler";
        case visitor_kind::headless:
            return "headless";
        case visitor_kind::too_fast:
            return "too_fast";
    }
    return "human";
}

const char* to_string(channel c) noexcept {
    switch (c) {
        case channel::direct:
            return "direct";
        case channel::organic_search:
            return "organic_search";
        case channel::social:
            return "social";
        case channel::paid_search:
            return "paid_search";
        case channel::paid_social:
            return "paid_social";
        case channel::email:
            return "email";
    }
    return "direct";
}

// Appends a visit's events in time order and decides its sessions.
class visitor_model::builder {
public:
    builder(visitor& v, visit_plan& plan, std::int64_t start, channel via, std::int64_t timeout)
        : v_(v), plan_(plan), now_(start), via_(via), timeout_(timeout) {}

    rng& r() { return v_.random; }
    std::int64_t now() const { return now_; }
    void wait(std::int64_t ms) { now_ += std::max<std::int64_t>(ms, 1); }

    // Times are strictly increasing per visitor, so every event has its own
    // millisecond. A gap of the timeout or more starts a new session: the
    // model's rule, and the cookie's.
    void emit(event e) {
        const std::int64_t t = std::max(now_, v_.last_event_ms + 1);
        now_ = t;
        if (v_.sessions == 0 || t - v_.last_event_ms >= timeout_) {
            session_ = v_.sessions++;
            plan_.sessions.push_back({session_, plan_.events.empty() ? via_ : channel::direct});
        }
        v_.last_event_ms = t;
        if (e.type == event_type::page_view) page_ = e.url;
        if (e.url.empty()) e.url = page_;
        plan_.events.push_back({std::move(e), t, session_, v_.signed_in ? v_.user_id : ""});
    }

    void identify() {
        v_.signed_in = true;
        event e;
        e.type = event_type::identify;
        emit(std::move(e));
    }

    const std::string& page() const { return page_; }

private:
    visitor& v_;
    visit_plan& plan_;
    std::int64_t now_;
    channel via_;
    std::int64_t timeout_;
    int session_ = 0;
    std::string page_;
};

visitor_model::visitor_model(const catalog& data, site_map site, model_options options)
    : data_(data), site_(std::move(site)), options_(options) {}

visitor visitor_model::make_visitor(std::uint64_t seed, std::uint64_t index) const {
    visitor v;
    v.index = index;
    v.random = rng(mix(seed, index + 1));
    rng& r = v.random;
    v.anonymous_id = r.uuid();
    v.user_id = "user-" + hex_id(r, 10);
    if (r.chance(options_.bot_share)) {
        const double k = r.uniform();
        v.kind = k < 0.5 ? visitor_kind::crawler
                         : (k < 0.8 ? visitor_kind::headless : visitor_kind::too_fast);
    }
    switch (v.kind) {
        case visitor_kind::crawler:
            v.user_agent = r.pick(data_.crawler_agents);
            break;
        case visitor_kind::headless: {
            // Chromium headless: its own token in the user agent, the
            // automation flag set, the default 800x600 window.
            const auto& e = data_.user_agents[r.pick(data_.desktop_chrome)];
            v.user_agent = e.user_agent;
            v.user_agent.replace(v.user_agent.find("Chrome/"), 7, "HeadlessChrome/");
            v.screen = screen_size{800, 600};
            v.viewport = screen_size{800, 600};
            v.language = "en-US";
            v.time_zone = "UTC";
            v.webdriver = true;
            break;
        }
        case visitor_kind::human:
        case visitor_kind::too_fast: {
            const auto& e = data_.draw_user_agent(r);
            v.user_agent = e.user_agent;
            if (e.screen.w > 0 && e.screen.h > 0) v.screen = e.screen;
            if (e.viewport.w > 0 && e.viewport.h > 0) v.viewport = e.viewport;
            v.language = e.language;
            v.time_zone = time_zone_for(e.language);
            v.webdriver = false;
            break;
        }
    }
    return v;
}

channel visitor_model::draw_channel(rng& r, bool returning) const {
    // Returning visitors mostly type the address or use a bookmark.
    static const std::vector<double> first =
        cumulative(std::array{0.28, 0.30, 0.12, 0.12, 0.08, 0.10});
    static const std::vector<double> again =
        cumulative(std::array{0.55, 0.15, 0.05, 0.05, 0.05, 0.15});
    return all_channels[r.weighted(returning ? again : first)];
}

visit_plan visitor_model::plan_visit(visitor& v, std::int64_t start_ms) const {
    visit_plan plan;
    plan.visitor = v.index;
    plan.visit = v.visits++;
    rng& r = v.random;
    plan.tab_id = hex_id(r, 16);
    const channel via =
        v.kind == visitor_kind::human ? draw_channel(r, plan.visit > 0) : channel::direct;
    builder b(v, plan, start_ms, via, options_.session_timeout_ms);
    switch (v.kind) {
        case visitor_kind::human:
        case visitor_kind::headless:
            human_visit(b, v, via);
            break;
        case visitor_kind::crawler:
            crawler_visit(b, v);
            break;
        case visitor_kind::too_fast:
            too_fast_visit(b, v);
            break;
    }
    return plan;
}

void visitor_model::crawler_visit(builder& b, visitor& v) const {
    rng& r = v.random;
    b.emit(page_view(site_.home(), "Tea shop"));
    const auto pages = r.between(4, 40);
    for (std::int64_t i = 0; i < pages; ++i) {
        b.wait(r.between(300, 4000));
        const auto& c = r.pick(site_.categories);
        if (r.chance(0.3)) {
            b.emit(page_view(site_.category_url(c), c.title, b.page()));
        } else {
            const auto& p = r.pick(c.products);
            b.emit(page_view(site_.product_url(p), p.title, b.page()));
        }
    }
}

void visitor_model::too_fast_visit(builder& b, visitor& v) const {
    // More events per second than a person makes, for long enough to exhaust
    // the processor's behaviour bucket (a burst, then a steady rate).
    rng& r = v.random;
    const auto& c = r.pick(site_.categories);
    const auto& p = r.pick(c.products);
    const std::string url = site_.product_url(p);
    b.emit(page_view(url, p.title));
    const auto clicks = r.between(80, 150);
    for (std::int64_t i = 0; i < clicks; ++i) {
        b.wait(r.between(10, 40));
        b.emit(click({"button.add", "Add to cart", "", false}));
    }
}

void visitor_model::human_visit(builder& b, visitor& v, channel via) const {
    rng& r = v.random;
    const bool headless = v.kind == visitor_kind::headless;
    const auto dwell = [&](double median_s) {
        if (headless) return r.between(800, 3000);
        return clamp_ms(r.lognormal(median_s * second, 0.8), 2 * second, 10 * minute);
    };
    enum class page_kind { home, category, product, cart, checkout };
    const category* cat = &r.pick(site_.categories);
    const product* prod = &r.pick(cat->products);
    page_kind kind = page_kind::home;
    const auto url_of = [&](page_kind k) {
        switch (k) {
            case page_kind::home:
                return site_.home();
            case page_kind::category:
                return site_.category_url(*cat);
            case page_kind::product:
                return site_.product_url(*prod);
            case page_kind::cart:
                return site_.cart();
            case page_kind::checkout:
                return site_.checkout();
        }
        return site_.home();
    };
    const auto title_of = [&](page_kind k) -> std::string {
        switch (k) {
            case page_kind::home:
                return "Tea shop";
            case page_kind::category:
                return cat->title;
            case page_kind::product:
                return prod->title;
            case page_kind::cart:
                return "Your cart";
            case page_kind::checkout:
                return "Checkout";
        }
        return {};
    };
    const auto land = [&](double p_product, double p_category) {
        const double x = r.uniform();
        kind = x < p_product ? page_kind::product
                             : (x < p_product + p_category ? page_kind::category : page_kind::home);
    };
    const auto source_url = [](const referrer_source& s) {
        return "https://" + s.domain + (s.domain.find('/') == std::string::npos ? "/" : "");
    };
    static const std::vector<std::string> campaigns = {"spring-sale", "new-teapots",
                                                       "tea-of-the-month", "free-shipping"};

    // Where the visit lands, and what brought it there.
    std::string referrer;
    std::string params;
    switch (via) {
        case channel::direct:
            land(0.2, 0.2);
            break;
        case channel::organic_search: {
            const auto& s = data_.search[r.weighted(data_.search_sums)];
            referrer = source_url(s);
            if (!s.parameters.empty() && r.chance(0.3)) {
                referrer += "?" + s.parameters.front() + "=" + url_term(prod->title);
            }
            land(0.5, 0.3);
            break;
        }
        case channel::social: {
            const auto& s = data_.social[r.weighted(data_.social_sums)];
            referrer = source_url(s);
            if (r.chance(0.4)) params = "fbclid=" + click_id(r);
            land(0.7, 0.0);
            break;
        }
        case channel::paid_search: {
            const bool bing = r.chance(0.2);
            params = std::string("utm_source=") + (bing ? "bing" : "google") +
                     "&utm_medium=cpc&utm_campaign=" + r.pick(campaigns) +
                     "&utm_term=" + url_term(prod->title) + (bing ? "&msclkid=" : "&gclid=") +
                     click_id(r);
            referrer = bing ? "https://www.bing.com/" : "https://www.google.com/";
            land(1.0, 0.0);
            break;
        }
        case channel::paid_social:
            params =
                "utm_source=facebook&utm_medium=paid_social&utm_campaign=" + r.pick(campaigns) +
                "&fbclid=" + click_id(r);
            referrer = "https://l.facebook.com/";
            land(1.0, 0.0);
            break;
        case channel::email:
            params = "utm_source=newsletter&utm_medium=email&utm_campaign=" + r.pick(campaigns);
            if (r.chance(0.4)) referrer = source_url(data_.email[r.weighted(data_.email_sums)]);
            land(0.0, 0.5);
            break;
    }

    std::vector<const product*> cart;
    std::string previous;
    for (int pages = 0;; ++pages) {
        const std::string here = url_of(kind);
        if (pages == 0) {
            b.emit(
                page_view(params.empty() ? here : here + "?" + params, title_of(kind), referrer));
        } else {
            b.emit(page_view(here, title_of(kind), previous));
        }
        previous = here;
        const std::int64_t arrived = b.now();
        const std::int64_t stay = dwell(kind == page_kind::product    ? 40
                                        : kind == page_kind::checkout ? 60
                                        : kind == page_kind::category ? 25
                                                                      : 15);
        // Reading: scrolls down the page, a hover now and then.
        static constexpr std::array<double, 4> keep_scrolling = {0.8, 0.65, 0.5, 0.35};
        for (int i = 0; i < 4; ++i) {
            if (!headless && !r.chance(keep_scrolling[static_cast<std::size_t>(i)])) break;
            b.wait(
                static_cast<std::int64_t>(static_cast<double>(stay) * (0.05 + 0.15 * r.uniform())));
            b.emit(scroll(25 * (i + 1)));
        }
        if (r.chance(0.3)) {
            b.wait(r.between(500, 4000));
            const auto& c = r.pick(site_.categories);
            b.emit(hover({"nav a.category", c.title, site_.category_url(c), false}));
        }
        bool added = false;
        if (kind == page_kind::product && r.chance(0.3)) {
            b.wait(r.between(1000, 8000));
            b.emit(click({"button.add", "Add to cart", "", false}));
            b.wait(r.between(50, 300));
            b.emit(custom("add_to_cart").prop("sku", prod->slug).prop("price", prod->price));
            cart.push_back(prod);
            added = true;
        }
        if (kind == page_kind::category && r.chance(0.15)) {
            b.wait(r.between(1000, 6000));
            b.emit(custom("filter_applied").prop("filter", r.chance(0.5) ? "price" : "origin"));
        }
        if (r.chance(0.05)) {
            b.wait(r.between(1000, 6000));
            b.emit(custom("search").prop("query", url_term(r.pick(cat->products).title)));
        }
        // Signing in: mostly on the way to paying.
        if (!headless && !v.signed_in && r.chance(kind == page_kind::checkout ? 0.5 : 0.02)) {
            b.wait(r.between(1000, 5000));
            b.emit(click({"a.sign-in", "Sign in", site_.login(), false}));
            b.wait(r.between(300, 1500));
            b.emit(page_view(site_.login(), "Sign in", here));
            b.wait(r.between(15 * second, 60 * second));
            b.identify();
            b.wait(r.between(300, 1500));
            b.emit(page_view(here, title_of(kind), site_.login()));
        }
        b.wait(std::max<std::int64_t>(1, stay - (b.now() - arrived)));

        // Where next. Leaving is always possible.
        const double x = r.uniform();
        page_kind next = kind;
        bool leave = false;
        bool purchase = false;
        switch (kind) {
            case page_kind::home:
                leave = x < 0.35;
                next = x < 0.8 ? page_kind::category : page_kind::product;
                if (next == page_kind::category) cat = &r.pick(site_.categories);
                break;
            case page_kind::category:
                leave = x < 0.3;
                next = x < 0.9 ? page_kind::product : page_kind::category;
                if (next == page_kind::product) prod = &r.pick(cat->products);
                if (next == page_kind::category) cat = &r.pick(site_.categories);
                break;
            case page_kind::product:
                if (added || (!cart.empty() && x < 0.25)) {
                    leave = r.chance(0.2);
                    next = page_kind::cart;
                } else {
                    leave = x < 0.4;
                    next = x < 0.75 ? page_kind::product : page_kind::category;
                    if (next == page_kind::product) prod = &r.pick(cat->products);
                }
                break;
            case page_kind::cart:
                leave = x < 0.3;
                next = x < 0.85 ? page_kind::checkout : page_kind::product;
                break;
            case page_kind::checkout:
                leave = x < 0.4;
                purchase = true;
                break;
        }
        if (leave || pages >= 30) return;
        // Now and then the tab stays open, idle, around the session timeout:
        // at or past it, the cookie expired and a new session starts.
        if (r.chance(0.08)) {
            b.wait(static_cast<std::int64_t>(static_cast<double>(options_.session_timeout_ms) *
                                             (0.5 + r.uniform())));
        }
        if (purchase) {
            double total = 0;
            for (const product* p : cart) total += p->price;
            total = std::round(total * 100) / 100;
            b.emit(click({"button#pay", "Pay", "", false}));
            b.wait(r.between(800, 3000));
            b.emit(page_view(site_.order_complete(), "Thank you", here));
            b.wait(r.between(100, 600));
            b.emit(conversion("purchase", total, "EUR")
                       .prop("items", static_cast<int>(cart.size()))
                       .prop("order_id", hex_id(r, 12)));
            return;
        }
        const std::string to = url_of(next);
        b.emit(click(
            {next == page_kind::product ? "a.product-card" : "a.nav", title_of(next), to, false}));
        b.wait(r.between(300, 1500));
        kind = next;
    }
}

std::optional<std::int64_t> visitor_model::next_visit(visitor& v, std::int64_t end_ms) const {
    rng& r = v.random;
    double p = 0;
    switch (v.kind) {
        case visitor_kind::human:
            p = v.visits == 1 ? 0.35 : 0.25;
            break;
        case visitor_kind::crawler:
            p = 0.6;
            break;
        case visitor_kind::headless:
            p = 0.2;
            break;
        case visitor_kind::too_fast:
            p = 0.1;
            break;
    }
    if (!r.chance(p)) return std::nullopt;
    // Always more than a session timeout later: a return is a new session.
    const std::int64_t floor = options_.session_timeout_ms + minute;
    std::int64_t gap = 0;
    if (options_.live) {
        gap = clamp_ms(static_cast<double>(options_.session_timeout_ms) * (1.2 + 1.8 * r.uniform()),
                       floor, 30 * day);
    } else {
        gap = clamp_ms(r.lognormal(4.0 * day, 0.8), day, 30 * day);
    }
    return end_ms + std::max(gap, floor);
}

std::int64_t historical_arrival(std::uint64_t seed, std::uint64_t index, std::int64_t start_ms,
                                int days) {
    rng r(mix(seed ^ 0xA5A5A5A5ULL, index + 1));
    static const std::vector<double> hours = cumulative(daily_curve);
    const auto d =
        static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(std::max(days, 1))));
    const auto h = static_cast<std::int64_t>(r.weighted(hours));
    return start_ms + d * day + h * hour + r.between(0, hour - 1);
}

}  // namespace clickstream::traffic_gen
