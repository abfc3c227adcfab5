// CLICKSTREAM_TRANSPORT=none: no HTTP in this build. Apps (and tests) pass a
// transport of their own to the tracker.
#include "clickstream/http_transport.h"

namespace clickstream {

result<std::shared_ptr<transport>, errc> make_http_transport(const http_transport_options&) {
    return failure{errc::no_transport};
}

}  // namespace clickstream
