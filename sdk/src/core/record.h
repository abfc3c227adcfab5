// The queue's stored record: who the event was for and the encoded event.
// The identity travels with each event, so a batch after reset() never
// mixes two anonymous ids.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace clickstream {

// Views into the record's bytes: valid as long as they are.
struct queued_record {
    std::string_view anonymous_id;
    std::string_view user_id;
    std::string_view event_json;
};

// "1 <anonymous id bytes> <user id bytes>\n<anonymous id><user id><event json>"
std::string encode_record(std::string_view anonymous_id, std::string_view user_id,
                          std::string_view event_json);
// nullopt for anything encode_record did not write.
std::optional<queued_record> decode_record(std::string_view record);

}  // namespace clickstream
