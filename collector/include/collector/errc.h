// Errors of collector/: why a body could not be inflated or a batch could not
// be spooled, as values.
#pragma once

#include <system_error>

namespace clickstream::collector {

enum class errc {
    success = 0,
    bad_gzip,            // the body is not a valid gzip stream
    inflated_too_large,  // the inflated body passes the configured limit
    spool_full,          // the spool holds its maximum of unsent bytes
    spool_io,            // a spool file could not be written, synced or read
    spool_corrupt,       // a spool record failed its checksum
    spool_closed,        // the spool is closing and takes nothing new
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

}  // namespace clickstream::collector

template <>
struct std::is_error_code_enum<clickstream::collector::errc> : std::true_type {};
