// A desktop shop app, simulated: a user opens the app, browses screens,
// signs in, applies a coupon and buys; then the app goes to the background
// and quits. Every event goes to the collector through the native SDK.
//
//   clickstream-native-app <collector-url> [site] [storage-dir]
//   clickstream-native-app http://127.0.0.1:8080 demo-app /tmp/demo-app
#include <clickstream/tracker.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <collector-url> [site] [storage-dir]\n", argv[0]);
        return 2;
    }
    clickstream::tracker_config config;
    config.options.endpoint = argv[1];
    config.options.site = argc > 2 ? argv[2] : "demo-app";
    config.storage_dir = argc > 3 ? argv[3] : "";
    config.options.context.platform_kind = clickstream::platform::desktop;
    config.options.context.app_name = "Demo Desktop";
    config.options.context.app_version = "2.3.1";
    config.options.context.screen = clickstream::screen_size{2560, 1440};
    config.options.context.language = "de-DE";
    config.options.context.time_zone = "Europe/Berlin";
    config.options.user_agent = "demo-desktop/2.3.1";
    config.on_error = [](const clickstream::error_report& e) {
        std::fprintf(stderr, "clickstream: %s (%s, %zu events)\n", clickstream::to_string(e.code),
                     e.reason.c_str(), e.events);
    };

    auto made = clickstream::tracker::create(config);
    if (!made) {
        std::fprintf(stderr, "cannot start tracking: %s\n", made.error().c_str());
        return 1;
    }
    auto& t = **made;
    std::printf("anonymous id %s\n", t.anonymous_id().c_str());

    for (const char* screen : {"Home", "Catalogue", "Product: Blue mug", "Cart"}) {
        (void)t.track(clickstream::screen_view(screen));
        std::this_thread::sleep_for(200ms);  // the user reads
    }
    (void)t.track(clickstream::click({"button#checkout", "Checkout", "", false}));
    (void)t.identify("user-42");
    (void)t.track(clickstream::screen_view("Checkout"));
    (void)t.track(clickstream::custom("coupon_applied")
                      .prop("code", "WINTER10")
                      .prop("percent", 10)
                      .prop("first_order", true));
    (void)t.track(clickstream::conversion("purchase", 49.9, "EUR").prop("items", 2));

    t.on_lifecycle(clickstream::lifecycle::background);  // sends now
    const auto flushed = t.flush(5s);
    t.poll(0ms);
    const auto s = t.stats();
    std::printf("sent %llu events in %llu batches, %zu still queued%s\n",
                static_cast<unsigned long long>(s.sent_events),
                static_cast<unsigned long long>(s.sent_batches), s.queued_events,
                flushed ? "" : " (kept for the next run)");
    (void)t.shutdown(2s);
    return 0;
}
