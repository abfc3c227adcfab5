// A bounded map from strings to values that forgets the least recently used
// entry when full. Not thread-safe: one per worker.
#pragma once

#include <algorithm>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace clickstream::enrich {

template <class V>
class lru_map {
public:
    explicit lru_map(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {
        index_.reserve(capacity_);
    }

    // The value for `key`, now the most recently used; nullptr if absent.
    V* find(std::string_view key) {
        const auto it = index_.find(key);
        if (it == index_.end()) return nullptr;
        order_.splice(order_.begin(), order_, it->second);
        return &it->second->second;
    }

    // Stores `value` under `key` (which must be absent), evicting the least
    // recently used entry when full. The reference is valid until the entry
    // is evicted.
    V& insert(std::string_view key, V value) {
        if (index_.size() >= capacity_) {
            index_.erase(order_.back().first);
            order_.pop_back();
            ++evictions_;
        }
        order_.emplace_front(std::string(key), std::move(value));
        index_.emplace(order_.front().first, order_.begin());
        return order_.front().second;
    }

    std::size_t size() const noexcept { return index_.size(); }
    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t evictions() const noexcept { return evictions_; }

private:
    using entry = std::pair<std::string, V>;
    std::size_t capacity_;
    std::list<entry> order_;  // most recently used first
    std::unordered_map<std::string_view, typename std::list<entry>::iterator>
        index_;  // into order_
    std::size_t evictions_ = 0;
};

}  // namespace clickstream::enrich
