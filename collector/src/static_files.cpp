#include "collector/static_files.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

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
        std::ifstream in(entry.path(), std::ios::binary);
        if (!in) throw std::runtime_error("cannot read " + entry.path().string());
        std::ostringstream body;
        body << in.rdbuf();
        out.add(std::filesystem::relative(entry.path(), dir).generic_string(), body.str());
    }
    return out;
}

void static_files::add(const std::string& path, std::string body) {
    static_file f;
    f.content_type = std::string(mime_type(path));
    f.etag = etag_of(body);
    f.body = std::move(body);
    files_[path] = std::move(f);
}

const static_file* static_files::find(std::string_view path) const noexcept {
    const auto it = files_.find(path);
    return it == files_.end() ? nullptr : &it->second;
}

}  // namespace clickstream::collector
