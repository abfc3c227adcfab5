#include "collector/inflate.h"

#include <zlib.h>

#include "collector/errc.h"

namespace clickstream::collector {

result<std::string> inflate_gzip(std::string_view compressed, std::size_t limit) noexcept {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {  // 16: gzip wrapper only
        return failure{make_error_code(errc::bad_gzip)};
    }
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    zs.avail_in = static_cast<uInt>(compressed.size());
    std::string out;
    char chunk[16 * 1024];
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(chunk);
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        const std::size_t produced = sizeof chunk - zs.avail_out;
        if (out.size() + produced > limit) {
            inflateEnd(&zs);
            return failure{make_error_code(errc::inflated_too_large)};
        }
        out.append(chunk, produced);
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // input ended early
    }
    const bool whole = rc == Z_STREAM_END && zs.avail_in == 0;
    inflateEnd(&zs);
    if (!whole) return failure{make_error_code(errc::bad_gzip)};
    return out;
}

std::string deflate_gzip(std::string_view plain) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        return {};
    }
    std::string out(deflateBound(&zs, static_cast<uLong>(plain.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
    zs.avail_in = static_cast<uInt>(plain.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return {};
    return out;
}

}  // namespace clickstream::collector
