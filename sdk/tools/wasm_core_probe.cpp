// Links the whole core into a WebAssembly module (with no-op host parts), so
// tools/check_wasm_core can prove it builds under em++ -fno-exceptions
// -fno-rtti and measure what it costs the beacon's size budget.
#include <cstdio>
#include <map>

#include "clickstream/tracker_core.h"

namespace {

using namespace clickstream;

struct probe_clock final : clock {
    std::int64_t now = 1764100000000;
    std::int64_t now_ms() noexcept override { return now += 1000; }
};
struct probe_random final : random_source {
    std::uint64_t x = 88172645463325252ULL;
    std::uint64_t next_u64() noexcept override {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    }
};
struct probe_store final : event_store {
    std::map<std::string, std::string> kv;
    std::map<std::uint64_t, std::string> records;
    std::uint64_t last = 0;
    std::optional<std::string> get(std::string_view k) noexcept override {
        auto it = kv.find(std::string(k));
        if (it == kv.end()) return std::nullopt;
        return it->second;
    }
    result<void, errc> put(std::string_view k, std::string_view v) noexcept override {
        kv[std::string(k)] = std::string(v);
        return {};
    }
    result<std::uint64_t, errc> append(std::string_view r) noexcept override {
        records[++last] = std::string(r);
        return last;
    }
    result<void, errc> remove(std::span<const std::uint64_t> ids) noexcept override {
        for (auto id : ids) records.erase(id);
        return {};
    }
    result<void, errc> load(
        function_ref<void(std::uint64_t, std::string_view)> each) noexcept override {
        for (const auto& [id, r] : records) each(id, r);
        return {};
    }
};
struct probe_transport final : transport {
    send_result send(const send_request& r) noexcept override {
        std::puts(r.body.empty() ? "no bytes" : "sent bytes");
        return classify_http_status(200, -1);
    }
};

}  // namespace

int main() {
    probe_clock c;
    probe_random r;
    probe_store s;
    probe_transport t;
    tracker_options o;
    o.site = "probe";
    if (!validate(o)) return 1;
    tracker_core core(o, c, r, s);
    if (!core.start()) return 1;
    (void)core.track(page_view("https://shop.example/", "Shop"));
    (void)core.track(conversion("purchase", 49.9, "EUR").prop("items", 2));
    (void)core.identify("user-1");
    core.set_consent(consent::granted);
    (void)core.set_session_timeout_s(
        parse_session_timeout(R"({"session_timeout_s":60})").value_or(1800));
    core.flush();
    while (core.pump(t)) {
    }
    core.reset();
    return core.take_errors().empty() ? 0 : 2;
}
