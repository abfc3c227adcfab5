#include "clickstream/memory_event_store.h"

namespace clickstream {

std::optional<std::string> memory_event_store::get(std::string_view key) noexcept {
    const auto it = state_.find(key);
    if (it == state_.end()) return std::nullopt;
    return it->second;
}

result<void, errc> memory_event_store::put(std::string_view key, std::string_view value) noexcept {
    state_.insert_or_assign(std::string(key), std::string(value));
    return {};
}

result<std::uint64_t, errc> memory_event_store::append(std::string_view record) noexcept {
    records_.emplace(++last_id_, std::string(record));
    return last_id_;
}

result<void, errc> memory_event_store::remove(std::span<const std::uint64_t> ids) noexcept {
    for (const auto id : ids) records_.erase(id);
    return {};
}

result<void, errc> memory_event_store::load(
    function_ref<void(std::uint64_t, std::string_view)> each) noexcept {
    for (const auto& [id, record] : records_) each(id, record);
    return {};
}

}  // namespace clickstream
