#include "golden_batches.h"

#include <cstdint>
#include <memory>

#include "clickstream/tracker_core.h"
#include "support/fake_clock.h"
#include "support/memory_store.h"
#include "support/scripted_transport.h"

namespace clickstream::test {
namespace {

// The core with fakes around it, and the first failed step if any.
struct rig {
    fake_clock clock;
    fake_random random;
    memory_store store;
    scripted_transport transport;
    tracker_options options;
    std::unique_ptr<tracker_core> core;
    std::string problem;

    rig() {
        options.endpoint = "http://127.0.0.1:9/";
        options.sdk_version = "0.1.0";
    }
    tracker_core& start() {
        if (!validate(options)) fail("options refused");
        core = std::make_unique<tracker_core>(options, clock, random, store);
        if (!core->start()) fail("start failed");
        return *core;
    }
    void fail(const std::string& what) {
        if (problem.empty()) problem = what;
    }
    void expect(bool ok, const char* what) {
        if (!ok) fail(what);
    }
    void track_n(int n, const std::string& name) {
        for (int i = 0; i < n; ++i)
            expect(bool(core->track(custom(name + std::to_string(i)))), "track");
    }
    int pump_all() {
        int n = 0;
        while (core->pump(transport)) ++n;
        return n;
    }
    golden_batch last(const char* file) {
        const auto r = transport.requests();
        if (r.empty()) fail("nothing sent");
        if (r.empty()) return {file, "", "", problem};
        return {file, r.back().body, r.back().url, problem};
    }
};

golden_batch web_session() {
    rig g;
    auto& o = g.options;
    o.site = "demo-shop";
    o.sdk_name = "clickstream-web";
    o.context.platform_kind = platform::web;
    o.context.screen = screen_size{1920, 1080};
    o.context.viewport = screen_size{1280, 720};
    o.context.language = "en-GB";
    o.context.time_zone = "Europe/London";
    o.context.tab_id = "t-3f9a";
    o.context.webdriver = false;
    g.random.push_uuid("5f0c2b8e-3a1d-4c6b-9e2f-7a8b9c0d1e2f");  // anonymous id
    g.random.push_uuid("c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f");  // session
    for (const char* id :
         {"0b7e4c1a-9f2d-4e8b-a1c3-5d6e7f8a9b0c", "1c8f5d2b-0a3e-4f9c-b2d4-6e7f8a9b0c1d",
          "2d9a6e3c-1b4f-4a0d-83e5-7f8a9b0c1d2e", "3e0b7f4d-2c5a-4b1e-94f6-8a9b0c1d2e3f"}) {
        g.random.push_uuid(id);
    }
    g.clock.set(1764100000000);
    auto& core = g.start();
    const std::string url =
        "https://shop.example/products/"
        "blue-mug?utm_source=newsletter&utm_medium=email&utm_campaign=winter";
    g.expect(bool(core.track(page_view(url, "Blue mug — Demo shop", "https://www.google.com/"))),
             "page_view");
    g.clock.set(1764100001500);
    g.expect(bool(core.track(click({"button#add-to-cart", "Add to cart", "", false}, url))),
             "click");
    g.clock.set(1764100002000);
    g.expect(bool(core.track(scroll(50, url))), "scroll");
    g.clock.set(1764100002500);
    g.expect(bool(core.track(
                 hover({"a.size-guide", "Size guide", "https://sizes.example/mugs", true}, url))),
             "hover");
    g.expect(g.pump_all() == 0, "sent before the flush interval");
    g.clock.set(1764100003200);
    g.expect(g.pump_all() == 1, "not sent after the flush interval");
    return g.last("web_session.json");
}

golden_batch app_purchase() {
    rig g;
    auto& o = g.options;
    o.site = "demo-app";
    o.context.platform_kind = platform::desktop;
    o.context.app_name = "Demo Desktop";
    o.context.app_version = "2.3.1";
    o.context.screen = screen_size{2560, 1440};
    o.context.language = "de-DE";
    o.context.time_zone = "Europe/Berlin";
    o.batching.flush_interval_ms = 30000;
    o.batching.max_queue_events = 4;
    auto& r = g.random;
    r.push_uuid("a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d");  // anonymous id
    for (int i = 0; i < 8; ++i) r.push(1000 + i);         // sessions 1, 2 and their events
    r.push_uuid("d2e3f4a5-b6c7-4d8e-9fa0-1b2c3d4e5f6a");  // session 3
    for (int i = 0; i < 12; ++i) r.push(2000 + i);        // its events seq 1 to 6
    for (const char* id :
         {"4f1c8a5e-3d6b-4c2f-a5a7-9b0c1d2e3f4a", "5a2d9b6f-4e7c-4d3a-b6b8-0c1d2e3f4a5b",
          "6b3e0c7a-5f8d-4e4b-87c9-1d2e3f4a5b6c", "7c4f1d8b-6a9e-4f5c-98da-2e3f4a5b6c7d"}) {
        r.push_uuid(id);
    }
    const std::int64_t t = 1764100100000;
    g.clock.set(t - 7200000);
    auto& core = g.start();
    // Sessions 1 and 2, delivered.
    g.track_n(1, "earlier");
    core.flush();
    g.expect(g.pump_all() == 1, "session 1 not sent");
    g.clock.set(t - 4800000);
    g.track_n(1, "earlier");
    core.flush();
    g.expect(g.pump_all() == 1, "session 2 not sent");
    // Session 3: seq 1-2 delivered, 3 refused (rejected: 1), 4-6 pushed out
    // of the four-event queue by 7-10 (queue_full: 3).
    g.clock.set(t - 600000);
    g.track_n(2, "before");
    core.flush();
    g.expect(g.pump_all() == 1, "seq 1-2 not sent");
    g.track_n(1, "refused");
    core.flush();
    g.transport.answer_http(400);
    g.expect(g.pump_all() == 1, "seq 3 not sent");
    g.track_n(3, "pushed_out");
    g.clock.set(t);
    g.expect(bool(core.track(screen_view("Checkout"))), "screen_view");
    g.clock.set(t + 10000);
    g.expect(bool(core.identify("user-42")), "identify");
    g.clock.set(t + 15000);
    g.expect(bool(core.track(custom("coupon_applied")
                                 .prop("code", "WINTER10")
                                 .prop("percent", 10)
                                 .prop("first_order", true))),
             "custom");
    g.clock.set(t + 20000);
    g.expect(bool(core.track(conversion("purchase", 49.9, "EUR").prop("items", 2))), "conversion");
    g.clock.set(t + 25000);
    g.expect(g.pump_all() == 0, "sent before the 30 s interval");
    core.flush();
    g.expect(g.pump_all() == 1, "not sent on flush");
    return g.last("app_purchase.json");
}

golden_batch server_import() {
    rig g;
    auto& o = g.options;
    o.site = "demo-shop";
    o.context.platform_kind = platform::server;
    o.anonymous_id = "import-7781";
    o.report_dropped = false;
    g.random.push_uuid("e3f4a5b6-c7d8-4e9f-a0b1-2c3d4e5f6a7b");  // session
    g.random.push_uuid("8d5a2e9c-7b0f-4a6d-a9eb-3f4a5b6c7d8e");
    g.random.push_uuid("9e6b3f0d-8c1a-4b7e-baf1-4a5b6c7d8e9f");
    g.clock.set(1764100199000);
    auto& core = g.start();
    g.expect(bool(core.track(
                 page_view("https://shop.example/", "Demo shop").happened_at(1761400000000))),
             "first page_view");
    g.clock.advance(1);
    g.expect(bool(core.track(page_view("https://shop.example/cart", "Cart", "https://shop.example/")
                                 .happened_at(1761400060000))),
             "second page_view");
    g.clock.set(1764100200000);
    core.flush();
    g.expect(g.pump_all() == 1, "not sent on flush");
    return g.last("server_import.json");
}

}  // namespace

std::vector<golden_batch> encode_golden_batches() {
    return {web_session(), app_purchase(), server_import()};
}

}  // namespace clickstream::test
