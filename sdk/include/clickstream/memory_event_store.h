// memory_event_store: an event_store that keeps everything in memory, for
// trackers that need no persistence (server-side use, the traffic
// generator's thousands of visitors). Nothing survives the process.
// Not thread-safe: one tracker's thread uses it.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "clickstream/environment.h"

namespace clickstream {

class memory_event_store final : public event_store {
public:
    std::optional<std::string> get(std::string_view key) noexcept override;
    result<void, errc> put(std::string_view key, std::string_view value) noexcept override;
    result<std::uint64_t, errc> append(std::string_view record) noexcept override;
    result<void, errc> remove(std::span<const std::uint64_t> ids) noexcept override;
    result<void, errc> load(
        function_ref<void(std::uint64_t, std::string_view)> each) noexcept override;

private:
    std::map<std::string, std::string, std::less<>> state_;
    std::map<std::uint64_t, std::string> records_;
    std::uint64_t last_id_ = 0;
};

}  // namespace clickstream
