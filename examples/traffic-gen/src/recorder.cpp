#include "traffic_gen/recorder.h"

#include <nlohmann/json.hpp>

#include "json_fields.h"

namespace clickstream::traffic_gen {

using json = nlohmann::json;

recording_transport::recording_transport(std::shared_ptr<clickstream::transport> inner)
    : inner_(std::move(inner)) {}

send_result recording_transport::send(const send_request& request) noexcept {
    try {
        const auto batch = json::parse(request.body, nullptr, false);
        std::lock_guard lock(mutex_);
        ++counts_.batches;
        const auto ctx = batch.is_object() ? batch.find("context") : batch.end();
        const auto events = batch.is_object() ? batch.find("events") : batch.end();
        if (ctx == batch.end() || events == batch.end() || !events->is_array()) {
            ++counts_.unreadable;
        } else {
            const std::string anonymous_id = string_field(*ctx, "anonymous_id");
            const std::string user_id = string_field(*ctx, "user_id");
            auto& list = seen_[anonymous_id];
            for (const auto& e : *events) {
                recorded_event r;
                r.id = string_field(e, "id");
                if (!ids_.insert(r.id).second) continue;  // a retry of a batch seen before
                r.type = string_field(e, "type");
                r.session_id = string_field(e, "session_id");
                r.session_index = int_field(e, "session_index");
                r.seq = int_field(e, "seq");
                r.ts = int_field(e, "ts");
                if (e.contains("true_ts")) r.true_ts = int_field(e, "true_ts");
                r.user_id = user_id;
                list.push_back(std::move(r));
            }
        }
    } catch (const std::exception&) {
        std::lock_guard lock(mutex_);
        ++counts_.unreadable;
    }
    send_result answer = inner_->send(request);
    std::lock_guard lock(mutex_);
    switch (answer.what) {
        case send_result::outcome::sent:
            ++counts_.batches_sent;
            break;
        case send_result::outcome::retry:
            ++counts_.batches_retried;
            counts_.last_problem = answer.reason;
            break;
        case send_result::outcome::drop:
            ++counts_.batches_dropped;
            counts_.last_problem = answer.reason;
            break;
    }
    return answer;
}

result<std::string, errc> recording_transport::fetch(std::string_view url) noexcept {
    return inner_->fetch(url);
}

std::vector<recorded_event> recording_transport::take(const std::string& anonymous_id) {
    std::lock_guard lock(mutex_);
    const auto it = seen_.find(anonymous_id);
    if (it == seen_.end()) return {};
    std::vector<recorded_event> out = std::move(it->second);
    seen_.erase(it);
    for (const auto& e : out) ids_.erase(e.id);
    return out;
}

delivery_counts recording_transport::counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
}

}  // namespace clickstream::traffic_gen
