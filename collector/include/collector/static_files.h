// The files under /sdk/ (the wasm beacon and its loader), read into memory at
// start-up so that serving them is a lookup: body, MIME type, ETag.
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
};

// The MIME type for a file name's extension (application/wasm for .wasm).
std::string_view mime_type(std::string_view path) noexcept;

class static_files {
public:
    // Every regular file below `dir`, by its path relative to it ("beacon.wasm",
    // "v1/loader.js"). Start-up: throws std::runtime_error on a read error.
    static static_files load(const std::filesystem::path& dir);

    void add(const std::string& path, std::string body);
    const static_file* find(std::string_view path) const noexcept;
    std::size_t size() const noexcept { return files_.size(); }

private:
    std::map<std::string, static_file, std::less<>> files_;
};

}  // namespace clickstream::collector
