#include "collector/inflate.h"

#include <gtest/gtest.h>

#include "collector/errc.h"
#include "support/gzip.h"

namespace {

using clickstream::collector::errc;
using clickstream::collector::inflate_gzip;

TEST(collector_inflate, gives_back_the_original_bytes) {
    const std::string body = R"({"v":1,"site":"demo","events":[)" + std::string(5000, ' ') + "]}";
    auto r = inflate_gzip(clickstream::test::gzip(body), 1 << 20);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, body);
}

TEST(collector_inflate, stops_at_the_limit_without_inflating_a_bomb) {
    // 64 MiB of zeros compress to ~64 KiB; the limit stops it at 1 MiB.
    const std::string bomb = clickstream::test::gzip(std::string(64 << 20, '\0'));
    auto r = inflate_gzip(bomb, 1 << 20);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::inflated_too_large);
}

TEST(collector_inflate, exactly_the_limit_passes) {
    auto r = inflate_gzip(clickstream::test::gzip(std::string(1000, 'a')), 1000);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), 1000U);
}

TEST(collector_inflate, refuses_what_is_not_one_whole_gzip_member) {
    const std::string good = clickstream::test::gzip("hello");
    EXPECT_EQ(inflate_gzip("plain text", 100).error(), errc::bad_gzip);
    EXPECT_EQ(inflate_gzip(good.substr(0, good.size() - 4), 100).error(), errc::bad_gzip);
    EXPECT_EQ(inflate_gzip(good + "trailing", 100).error(), errc::bad_gzip);
    EXPECT_EQ(inflate_gzip("", 100).error(), errc::bad_gzip);
}

}  // namespace
