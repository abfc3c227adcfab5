#include "collector/static_files.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "collector/inflate.h"

namespace clickstream::collector {
namespace {

// FNV-1a: not for security, only to tell versions of a file apart.
std::string etag_of(std::string_view body) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : body) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "\"%zx-%016llx\"", body.size(),
                  static_cast<unsigned long long>(h));
    return buf;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::ostringstream body;
    body << in.rdbuf();
    return body.str();
}

}  // namespace

std::string_view mime_type(std::string_view path) noexcept {
    if (ends_with(path, ".wasm")) return "application/wasm";
    if (ends_with(path, ".js") || ends_with(path, ".mjs")) return "text/javascript; charset=utf-8";
    if (ends_with(path, ".json")) return "application/json";
    if (ends_with(path, ".map")) return "application/json";
    if (ends_with(path, ".html")) return "text/html; charset=utf-8";
    if (ends_with(path, ".css")) return "text/css; charset=utf-8";
    if (ends_with(path, ".txt")) return "text/plain; charset=utf-8";
    if (ends_with(path, ".gif")) return "image/gif";
    if (ends_with(path, ".png")) return "image/png";
    if (ends_with(path, ".svg")) return "image/svg+xml";
    return "application/octet-stream";
}

static_files static_files::load(const std::filesystem::path& dir) {
    static_files out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        const std::filesystem::path& file = entry.path();
        if (file.extension() == ".gz" &&
            std::filesystem::is_regular_file(file.parent_path() / file.stem())) {
            continue;  // a variant, read with the file it compresses
        }
        std::string body = read_file(file);
        std::string gzip;
        const std::filesystem::path variant = file.string() + ".gz";
        if (std::filesystem::is_regular_file(variant)) {
            gzip = read_file(variant);
            const auto plain = inflate_gzip(gzip, body.size() + 1);
            if (!plain || *plain != body) {
                throw std::runtime_error(variant.string() + " is not the gzip of " + file.string() +
                                         " (stale from an earlier build?): rebuild or delete it");
            }
        }
        out.add(std::filesystem::relative(file, dir).generic_string(), std::move(body),
                std::move(gzip));
    }
    return out;
}

void static_files::add(const std::string& path, std::string body, std::string gzip) {
    static_file f;
    f.content_type = std::string(mime_type(path));
    f.etag = etag_of(body);
    if (gzip.empty()) gzip = deflate_gzip(body);
    if (!gzip.empty() && gzip.size() < body.size()) {
        f.gzip_etag = etag_of(gzip);
        f.gzip_body = std::move(gzip);
    }
    f.body = std::move(body);
    files_[path] = std::move(f);
}

const static_file* static_files::find(std::string_view path) const noexcept {
    const auto it = files_.find(path);
    return it == files_.end() ? nullptr : &it->second;
}

}  // namespace clickstream::collector
