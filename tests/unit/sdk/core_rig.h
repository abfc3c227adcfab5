// A tracker_core on fakes: a hand-moved clock, scripted random bits, an
// in-memory store and a scripted transport. Every batch the core sends is
// checked against the contract's rules when the rig goes away.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "batch_v1_rules.h"
#include "clickstream/tracker_core.h"
#include "support/fake_clock.h"
#include "support/memory_store.h"
#include "support/scripted_transport.h"

namespace clickstream::test {

inline tracker_options test_options() {
    tracker_options o;
    o.site = "test-site";
    o.endpoint = "http://127.0.0.1:9/";
    o.context.platform_kind = platform::desktop;
    return o;
}

struct core_rig {
    fake_clock clock;
    fake_random random;
    std::shared_ptr<memory_store> store = std::make_shared<memory_store>();
    scripted_transport transport;
    tracker_options options = test_options();
    std::unique_ptr<tracker_core> core;

    core_rig() = default;
    core_rig(const core_rig&) = delete;
    core_rig& operator=(const core_rig&) = delete;

    ~core_rig() {
        for (const auto& r : transport.requests()) {
            const auto v = check_batch_v1(r.body);
            EXPECT_FALSE(v.has_value()) << v->reason << " at " << v->path << " in " << r.body;
        }
    }

    tracker_core& start() {
        EXPECT_TRUE(validate(options));
        core = std::make_unique<tracker_core>(options, clock, random, *store);
        EXPECT_TRUE(core->start());
        return *core;
    }
    // The app "crashes": the core is gone without a goodbye; the store stays.
    tracker_core& restart() {
        core.reset();
        return start();
    }
    void track_n(int n, const std::string& name = "e") {
        for (int i = 0; i < n; ++i) ASSERT_TRUE(core->track(custom(name + std::to_string(i))));
    }
    // Sends every batch that is due now; returns how many it sent.
    int pump_all() {
        int n = 0;
        while (core->pump(transport)) ++n;
        return n;
    }
    nlohmann::json batch(std::size_t i) {
        const auto r = transport.requests();
        if (i >= r.size()) {
            ADD_FAILURE() << "no batch " << i;
            return {};
        }
        return nlohmann::json::parse(r[i].body);
    }
    nlohmann::json last_batch() { return batch(transport.request_count() - 1); }
};

}  // namespace clickstream::test
