#include "clickstream/errc.h"

namespace clickstream {

const char* to_string(errc e) noexcept {
    switch (e) {
        case errc::ok:
            return "ok";
        case errc::invalid_argument:
            return "invalid argument";
        case errc::too_large:
            return "too large";
        case errc::storage_failed:
            return "storage failed";
        case errc::queue_full:
            return "queue full";
        case errc::consent_denied:
            return "consent denied";
        case errc::rejected:
            return "rejected by the collector";
        case errc::shutting_down:
            return "shutting down";
        case errc::timed_out:
            return "timed out";
        case errc::no_transport:
            return "no transport";
        case errc::io_error:
            return "i/o error";
        case errc::corrupt_record:
            return "corrupt record";
    }
    return "unknown error";
}

}  // namespace clickstream
