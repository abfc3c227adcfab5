// A blocking HTTP client for tests (libcurl): send a request, get the status,
// headers and body back. Transport failures come back as status 0 with the
// reason in `error`, so a test can assert on them.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace clickstream::test {

struct http_response {
    long status = 0;                                  // 0: no HTTP answer (see error)
    std::multimap<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string error;

    // First value of a header (name in lower case), or "".
    std::string header(const std::string& name) const;
};

struct http_request {
    std::string method = "GET";
    std::string url;
    std::string body;
    std::vector<std::string> headers;  // "Name: value"
    long timeout_ms = 10000;
    bool verify_tls = false;  // test certificates are self-signed
};

http_response send(const http_request& request);

inline http_response http_get(const std::string& url) {
    return send({"GET", url, {}, {}});
}
inline http_response http_post(const std::string& url, const std::string& body,
                               std::vector<std::string> headers = {}) {
    return send({"POST", url, body, std::move(headers)});
}

}  // namespace clickstream::test
