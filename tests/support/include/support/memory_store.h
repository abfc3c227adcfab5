// memory_store: the sdk's event_store in memory, shared by two tracker
// instances to play "the app crashed and started again". Faults can be
// injected: refuse the next n writes.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "clickstream/environment.h"

namespace clickstream::test {

class memory_store final : public clickstream::event_store {
public:
    std::optional<std::string> get(std::string_view key) noexcept override {
        std::lock_guard lock(mutex_);
        const auto it = state_.find(std::string(key));
        if (it == state_.end()) return std::nullopt;
        return it->second;
    }
    result<void, errc> put(std::string_view key, std::string_view value) noexcept override {
        std::lock_guard lock(mutex_);
        if (fail_writes_ > 0) {
            --fail_writes_;
            return failure{errc::storage_failed};
        }
        state_[std::string(key)] = std::string(value);
        return {};
    }
    result<std::uint64_t, errc> append(std::string_view record) noexcept override {
        std::lock_guard lock(mutex_);
        if (fail_writes_ > 0) {
            --fail_writes_;
            return failure{errc::storage_failed};
        }
        records_[++last_id_] = std::string(record);
        return last_id_;
    }
    result<void, errc> remove(std::span<const std::uint64_t> ids) noexcept override {
        std::lock_guard lock(mutex_);
        for (auto id : ids) records_.erase(id);
        return {};
    }
    result<void, errc> load(
        function_ref<void(std::uint64_t, std::string_view)> each) noexcept override {
        std::map<std::uint64_t, std::string> copy;
        {
            std::lock_guard lock(mutex_);
            copy = records_;
        }
        for (const auto& [id, r] : copy) each(id, r);
        return {};
    }

    void fail_next_writes(int n) {
        std::lock_guard lock(mutex_);
        fail_writes_ = n;
    }
    std::size_t record_count() {
        std::lock_guard lock(mutex_);
        return records_.size();
    }
    // Overwrites a stored record, to play a corrupted one.
    void corrupt(std::uint64_t id, std::string bytes) {
        std::lock_guard lock(mutex_);
        records_[id] = std::move(bytes);
    }

private:
    std::mutex mutex_;
    std::map<std::string, std::string> state_;
    std::map<std::uint64_t, std::string> records_;
    std::uint64_t last_id_ = 0;
    int fail_writes_ = 0;
};

}  // namespace clickstream::test
