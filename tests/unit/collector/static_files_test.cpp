// static_files::load: the files under /sdk/ and their gzip variants, either
// compressed ahead beside them (X.gz, served byte for byte) or here.
#include "collector/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "collector/inflate.h"
#include "support/gzip.h"
#include "support/stack.h"

namespace {

using clickstream::collector::static_files;

class collector_static_files : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / clickstream::test::unique_name("sdk");
        std::filesystem::create_directories(dir_ / "v1");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void write(const std::string& name, const std::string& bytes) {
        std::ofstream(dir_ / name, std::ios::binary) << bytes;
    }

    std::filesystem::path dir_;
};

std::string script(int lines) {
    std::string js;
    for (int i = 0; i < lines; ++i) js += "cs.track('step_" + std::to_string(i) + "');\n";
    return js;
}

TEST_F(collector_static_files, a_variant_beside_its_file_is_served_as_it_is) {
    const std::string js = script(300);
    // Made with other settings than the collector's own: the bytes tell
    // which was served.
    std::string ahead = clickstream::test::gzip(js);
    ahead[4] = 0x11;  // the header's mtime, which inflating ignores
    write("main.js", js);
    write("main.js.gz", ahead);
    write("v1/auto.js", script(100));
    const auto files = static_files::load(dir_);
    EXPECT_EQ(files.size(), 2U) << "main.js.gz is main.js's variant, not a path of its own";
    EXPECT_EQ(files.find("main.js.gz"), nullptr);
    const auto* main = files.find("main.js");
    ASSERT_NE(main, nullptr);
    EXPECT_EQ(main->body, js);
    EXPECT_EQ(main->gzip_body, ahead);
    EXPECT_NE(main->gzip_etag, main->etag);
    const auto* auto_js = files.find("v1/auto.js");
    ASSERT_NE(auto_js, nullptr);
    ASSERT_FALSE(auto_js->gzip_body.empty()) << "gzipped at load where nothing was made ahead";
    EXPECT_EQ(clickstream::collector::inflate_gzip(auto_js->gzip_body, 1 << 20).value(),
              script(100));
}

TEST_F(collector_static_files, a_stale_variant_stops_the_start) {
    write("main.js", script(300));
    write("main.js.gz", clickstream::test::gzip(script(299)));
    try {
        static_files::load(dir_);
        FAIL() << "a variant of other content was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("main.js.gz is not the gzip of"), std::string::npos)
            << e.what();
    }
    write("main.js.gz", "not gzip at all");
    EXPECT_THROW(static_files::load(dir_), std::runtime_error);
}

TEST_F(collector_static_files, a_gz_file_alone_is_a_file_like_any_other) {
    const std::string archive = clickstream::test::gzip(script(10));
    write("export.csv.gz", archive);
    const auto files = static_files::load(dir_);
    const auto* f = files.find("export.csv.gz");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->body, archive);
    EXPECT_EQ(f->content_type, "application/octet-stream");
    EXPECT_TRUE(f->gzip_body.empty()) << "gzip of gzip is not smaller";
}

}  // namespace
