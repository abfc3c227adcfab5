#include "processor/analysis/key_split.h"

#include <algorithm>
#include <cstdint>

namespace clickstream::analysis {

std::string split_point_sql(const std::string& sessions_where) {
    // The first 8 bytes of each id as a big-endian number (zero-padded), so
    // that numbers order as the ids do; their median, sampled (a split needs
    // no more), with the sample chosen by the id so that a split repeats.
    // Without rows the median is NaN, which toUInt64 makes 2^63: no point.
    // A user with readonly = 1 may not set max_threads in a query: 0.
    return "SELECT if(count() = 0, '', hex(toUInt64(quantileDeterministic(0.5)("
           "reinterpretAsUInt64(reverse(substring(concat(session_id, "
           "'\\0\\0\\0\\0\\0\\0\\0\\0'), 1, 8))), cityHash64(session_id))))), "
           "(SELECT if(anyIf(value, name = 'readonly') = '1', 0, toUInt64OrZero(anyIf(value, "
           "name = 'max_threads'))) FROM system.settings WHERE name IN ('readonly', "
           "'max_threads')) FROM sessions WHERE " +
           sessions_where;
}

std::string split_point_hex(std::string_view median_hex) {
    std::string hex(median_hex);
    // Trailing zero bytes are padding, not part of an id.
    while (hex.size() >= 2 && hex.compare(hex.size() - 2, 2, "00") == 0) hex.resize(hex.size() - 2);
    const bool valid =
        hex.size() % 2 == 0 && hex.find_first_not_of("0123456789ABCDEFabcdef") == std::string::npos;
    return valid ? hex : std::string();
}

result<key_split> find_split_point(query_runner& db, const std::string& sessions_where) {
    auto answer = db.run(split_point_sql(sessions_where));
    if (!answer) return failure<error>{answer.error()};
    key_split out;
    if (answer->data.empty() || !answer->data[0].is_array()) return out;
    const auto& row = answer->data[0];
    if (!row.empty()) out.point = split_point_hex(as_string(row[0]));
    if (row.size() > 1)
        out.threads = static_cast<unsigned>(std::max<std::int64_t>(0, as_int(row[1])));
    return out;
}

std::string below_split(std::string_view split_hex) {
    return "session_id < unhex('" + std::string(split_hex) + "')";
}

std::string from_split(std::string_view split_hex) {
    return "session_id >= unhex('" + std::string(split_hex) + "')";
}

}  // namespace clickstream::analysis
