// The files under /sdk/ (the wasm beacon and its loader), read into memory at
// start-up so that serving them is a lookup: body, MIME type, ETag, and a
// gzip variant for clients that accept it (what a page downloads is then
// the compressed size, without compressing per request).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace clickstream::collector {

struct static_file {
    std::string body;
    std::string content_type;
    std::string etag;  // quoted, from the content
    // The same content gzipped, with its own ETag (a different
    // representation); empty where gzip would not be smaller (images).
    std::string gzip_body;
    std::string gzip_etag;
};

// The MIME type for a file name's extension (application/wasm for .wasm).
std::string_view mime_type(std::string_view path) noexcept;

class static_files {
public:
    // Every regular file below `dir`, by its path relative to it ("beacon.wasm",
    // "v1/loader.js"). A file `X.gz` beside a file `X` is X's gzip variant,
    // compressed ahead (the build's stronger encoder) and not a path of its
    // own; it must inflate to exactly X. Other files are gzipped here.
    // Start-up: throws std::runtime_error on a read error or a stale `X.gz`.
    static static_files load(const std::filesystem::path& dir);

    // Adds a file; `gzip` is its gzip variant, or empty to compress `body`
    // here. The variant is kept only if it is smaller than `body`.
    void add(const std::string& path, std::string body, std::string gzip = {});
    const static_file* find(std::string_view path) const noexcept;
    std::size_t size() const noexcept { return files_.size(); }

private:
    std::map<std::string, static_file, std::less<>> files_;
};

}  // namespace clickstream::collector
