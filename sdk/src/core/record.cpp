#include "record.h"

#include <cstdint>

#include "json_writer.h"

namespace clickstream {

std::string encode_record(std::string_view anonymous_id, std::string_view user_id,
                          std::string_view event_json) {
    std::string r = "1 ";
    append_json_integer(r, static_cast<std::int64_t>(anonymous_id.size()));
    r += ' ';
    append_json_integer(r, static_cast<std::int64_t>(user_id.size()));
    r += '\n';
    r.reserve(r.size() + anonymous_id.size() + user_id.size() + event_json.size());
    r.append(anonymous_id).append(user_id).append(event_json);
    return r;
}

std::optional<queued_record> decode_record(std::string_view record) {
    if (record.size() < 2 || record.substr(0, 2) != "1 ") return std::nullopt;
    const char* p = record.data() + 2;
    const char* end = record.data() + record.size();
    std::uint64_t anon = 0;
    std::uint64_t user = 0;
    if (!parse_unsigned(p, end, anon) || p == end || *p != ' ') return std::nullopt;
    ++p;
    if (!parse_unsigned(p, end, user) || p == end || *p != '\n') return std::nullopt;
    const std::size_t body = static_cast<std::size_t>(p + 1 - record.data());
    const std::size_t rest = record.size() - body;
    if (anon > rest || user > rest || rest < anon + user + 2) return std::nullopt;  // at least "{}"
    const queued_record q{record.substr(body, anon), record.substr(body + anon, user),
                          record.substr(body + anon + user)};
    if (q.anonymous_id.empty() || q.event_json.front() != '{' || q.event_json.back() != '}') {
        return std::nullopt;
    }
    return q;
}

}  // namespace clickstream
