// The native SDK's HTTP transport, chosen at build time by
// CLICKSTREAM_TRANSPORT: curl (HTTPS, timeouts, gzip bodies, connection
// reuse), or none, where make_http_transport answers no_transport and the
// app passes a transport of its own.
//
// One transport serves any number of trackers on any threads: it keeps a
// small pool of connections and each tracker brings its own user agent and
// headers with each request.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "clickstream/environment.h"
#include "clickstream/result.h"
#include "clickstream/version.h"

namespace clickstream {

struct http_transport_options {
    long connect_timeout_ms = 5000;
    long timeout_ms = 10000;  // a whole request; a slow one is retried later
    bool gzip = false;        // Content-Encoding: gzip for bodies from gzip_min_bytes
    std::size_t gzip_min_bytes = 1024;
    bool verify_tls = true;
    std::string ca_file;  // empty: the system's certificates
    std::string user_agent = "clickstream-native/" CLICKSTREAM_SDK_VERSION;
    std::size_t max_idle_connections = 8;
};

result<std::shared_ptr<transport>, errc> make_http_transport(
    const http_transport_options& options = {});

}  // namespace clickstream
