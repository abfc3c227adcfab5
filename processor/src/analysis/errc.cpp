#include "processor/analysis/errc.h"

namespace clickstream::analysis {

std::string_view to_string(errc e) noexcept {
    switch (e) {
        case errc::bad_request:
            return "bad request";
        case errc::not_found:
            return "not found";
        case errc::database:
            return "the database could not run the query";
        case errc::bad_answer:
            return "the database's answer could not be read";
    }
    return "unknown error";
}

}  // namespace clickstream::analysis
