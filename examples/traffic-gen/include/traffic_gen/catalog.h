// catalog: the real-world data the visitors are drawn from, loaded once at
// start-up from the npm data packages (never copied into the repository):
// user agents by weight (user-agents), referrers (referer-parser) and crawler
// user agents (crawler-user-agents); and the demo shop's site map.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "clickstream/options.h"
#include "traffic_gen/rng.h"

namespace clickstream::traffic_gen {

struct user_agent_entry {
    std::string user_agent;
    double weight = 0;
    std::string device_category;  // desktop, mobile, tablet
    screen_size screen;
    screen_size viewport;
    std::string language;  // e.g. en-US
};

// One referrer source of referers.yml: its first domain and the query
// parameters that carry a search term.
struct referrer_source {
    std::string name;
    std::string domain;
    std::vector<std::string> parameters;
};

struct data_paths {
    std::filesystem::path user_agents;  // user-agents/dist/user-agents.json
    std::filesystem::path referrers;    // referer-parser/data/referers.yml
    std::filesystem::path crawlers;     // crawler-user-agents/crawler-user-agents.json
};

// The packages' files under a node_modules folder.
data_paths default_data_paths(const std::filesystem::path& node_modules);

struct catalog {
    std::vector<user_agent_entry> user_agents;
    std::vector<double> user_agent_sums;  // running sums of the weights
    // Desktop Chrome entries: what a headless browser pretends to be.
    std::vector<std::size_t> desktop_chrome;
    // Sources with a popularity weight each (a few well-known names carry
    // most of the traffic, as they do in reality).
    std::vector<referrer_source> search, social, email;
    std::vector<double> search_sums, social_sums, email_sums;
    std::vector<std::string> crawler_agents;  // every `instances` example

    const user_agent_entry& draw_user_agent(rng& r) const {
        return user_agents[r.weighted(user_agent_sums)];
    }
};

// Loads the three files. Throws std::runtime_error naming the file and what
// is wrong with it (start-up only).
catalog load_catalog(const data_paths& paths);

// The demo shop: what visitors browse.
struct product {
    std::string slug;
    std::string title;
    double price = 0;  // EUR
};
struct category {
    std::string slug;
    std::string title;
    std::vector<product> products;
};
struct site_map {
    std::string base;  // https://shop.example, no trailing slash
    std::vector<category> categories;

    std::string home() const { return base + "/"; }
    std::string category_url(const category& c) const { return base + "/category/" + c.slug; }
    std::string product_url(const product& p) const { return base + "/p/" + p.slug; }
    std::string cart() const { return base + "/cart"; }
    std::string checkout() const { return base + "/checkout"; }
    std::string order_complete() const { return base + "/thanks"; }
    std::string login() const { return base + "/account/login"; }
};

// The shop of examples/shop (its URLs: /, /p/<sku>, /cart, /checkout,
// /thanks), with categories and more products added, under `base`.
site_map demo_shop(std::string base = "https://shop.example");

// The path of a URL of the site ("/product/blue-mug"), without the query.
std::string path_of(const std::string& url);

}  // namespace clickstream::traffic_gen
