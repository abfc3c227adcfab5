// The derived fields as JSON, under the names the clean event uses (the
// enrich stage and the command line write the same objects). Absent values
// ("" in the structs) are null.
#pragma once

#include <nlohmann/json.hpp>

#include "processor/enrich/bot_filter.h"
#include "processor/enrich/campaign.h"
#include "processor/enrich/event_time.h"
#include "processor/enrich/referrer_parser.h"
#include "processor/enrich/ua_parser.h"
#include "processor/enrich/url.h"

namespace clickstream::enrich {

// {"scheme","host","port","path","normalized_path","query","params":{name:value},"fragment"}
// params keeps the first value of a repeated name.
void to_json(nlohmann::json& j, const parsed_url& u);
// {"source","medium","name","term","content","id","gclid",...}
void to_json(nlohmann::json& j, const campaign& c);
// {"medium","host","source","term"}
void to_json(nlohmann::json& j, const referrer_info& r);
// {"browser":{family,major,minor,patch,patch_minor},"os":{...},"device":{family,brand,model,type}}
void to_json(nlohmann::json& j, const user_agent_info& ua);
// {"is_bot","rule","detail"}
void to_json(nlohmann::json& j, const bot_verdict& v);
// {"event_ms","source","clock_skew_ms","flags":[...]}
void to_json(nlohmann::json& j, const event_time& t);

// One line of JSON: invalid UTF-8 in any string becomes U+FFFD instead of
// throwing, so garbage input still gives a line.
std::string dump_line(const nlohmann::json& j);

}  // namespace clickstream::enrich
