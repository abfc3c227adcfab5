#include "record.h"

#include <charconv>

namespace clickstream {

std::string encode_record(std::string_view anonymous_id, std::string_view user_id,
                          std::string_view event_json) {
    std::string r =
        "1 " + std::to_string(anonymous_id.size()) + ' ' + std::to_string(user_id.size()) + '\n';
    r.reserve(r.size() + anonymous_id.size() + user_id.size() + event_json.size());
    r.append(anonymous_id).append(user_id).append(event_json);
    return r;
}

std::optional<queued_record> decode_record(std::string_view record) {
    if (record.size() < 2 || record.substr(0, 2) != "1 ") return std::nullopt;
    const char* p = record.data() + 2;
    const char* end = record.data() + record.size();
    std::size_t anon = 0;
    std::size_t user = 0;
    auto r = std::from_chars(p, end, anon);
    if (r.ec != std::errc{} || r.ptr == end || *r.ptr != ' ') return std::nullopt;
    r = std::from_chars(r.ptr + 1, end, user);
    if (r.ec != std::errc{} || r.ptr == end || *r.ptr != '\n') return std::nullopt;
    const std::size_t body = static_cast<std::size_t>(r.ptr + 1 - record.data());
    if (record.size() - body < anon + user + 2) return std::nullopt;  // at least "{}"
    queued_record q;
    q.anonymous_id.assign(record.substr(body, anon));
    q.user_id.assign(record.substr(body + anon, user));
    q.event_json.assign(record.substr(body + anon + user));
    if (q.anonymous_id.empty() || q.event_json.front() != '{' || q.event_json.back() != '}') {
        return std::nullopt;
    }
    return q;
}

}  // namespace clickstream
