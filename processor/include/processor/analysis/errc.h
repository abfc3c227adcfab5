// Errors of the analysis queries, as values. A bad request (step syntax, a
// date, an unknown option) carries a message meant for the person who typed
// it; a database error says the query could not run (ClickHouse's own message
// is in the log, written by the one client that talks to it).
#pragma once

#include <clickstream/result.h>

#include <string>
#include <string_view>

namespace clickstream::analysis {

enum class errc {
    bad_request = 1,  // the caller's input: fix it and ask again (HTTP 400, exit 2)
    not_found,        // no such route or subcommand (HTTP 404, exit 2)
    database,         // ClickHouse unreachable or refusing the query (HTTP 502, exit 1)
    bad_answer,       // an answer whose shape we cannot read (HTTP 502, exit 1)
};

std::string_view to_string(errc e) noexcept;

struct error {
    errc code = errc::bad_request;
    std::string message;
};

template <class T>
using result = clickstream::result<T, error>;

inline failure<error> bad_request(std::string message) {
    return failure<error>{error{errc::bad_request, std::move(message)}};
}

}  // namespace clickstream::analysis
