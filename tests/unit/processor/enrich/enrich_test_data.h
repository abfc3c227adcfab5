// The data the enrich tests share: the real data packages, loaded once per
// test process, and the real-world user agents they ship.
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "processor/enrich/data_paths.h"
#include "processor/enrich/referrer_parser.h"
#include "processor/enrich/ua_parser.h"

namespace clickstream::enrich::test_data {

// default_data_paths() under the project root CTest passes in.
data_paths paths();

const ua_parser& uap();
const referrer_parser& referrers();

// Every userAgent of the user-agents package (a realistic browser mix), with
// its deviceCategory ("desktop", "mobile", "tablet").
struct labelled_ua {
    std::string user_agent;
    std::string category;
};
const std::vector<labelled_ua>& browser_user_agents();

// Every example ("instances") of every crawler-user-agents pattern.
const std::vector<std::string>& crawler_user_agents();

// A file under the test's own temporary directory with `text` in it.
std::string write_temp_file(const std::string& name, const std::string& text);

// Runs `load` and expects a std::runtime_error whose message holds `part`
// (start-up errors must name what failed).
template <class F>
void expect_load_error(F&& load, const std::string& part) {
    try {
        load();
        ADD_FAILURE() << "no error; expected one naming " << part;
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
}

}  // namespace clickstream::enrich::test_data
