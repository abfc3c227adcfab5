// A bounded map from strings to values that forgets the least recently used
// entry when full. Not thread-safe: one per worker. A caller that looks a key
// up in more than one map hashes it once (hash()) and passes the hash along.
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

    // The hash every lookup of `key` uses.
    static std::size_t hash(std::string_view key) noexcept {
        return std::hash<std::string_view>{}(key);
    }

    // The value for `key`, now the most recently used; nullptr if absent.
    V* find(std::string_view key) { return find(key, hash(key)); }
    // The same with `key_hash` == hash(key).
    V* find(std::string_view key, std::size_t key_hash) {
        const auto it = index_.find(hashed_key{key, key_hash});
        if (it == index_.end()) return nullptr;
        order_.splice(order_.begin(), order_, it->second);
        return &it->second->value;
    }

    // Stores `value` under `key` (which must be absent), evicting the least
    // recently used entry when full. The reference is valid until the entry
    // is evicted.
    V& insert(std::string_view key, V value) { return insert(key, hash(key), std::move(value)); }
    // The same with `key_hash` == hash(key).
    V& insert(std::string_view key, std::size_t key_hash, V value) {
        if (index_.size() >= capacity_) {
            index_.erase(hashed_key{order_.back().key, order_.back().hash});
            order_.pop_back();
            ++evictions_;
        }
        order_.push_front(entry{std::string(key), key_hash, std::move(value)});
        index_.emplace(hashed_key{order_.front().key, key_hash}, order_.begin());
        return order_.front().value;
    }

    std::size_t size() const noexcept { return index_.size(); }
    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t evictions() const noexcept { return evictions_; }

private:
    struct entry {
        std::string key;
        std::size_t hash;  // hash(key)
        V value;
    };
    // A key with its hash, computed once by the caller.
    struct hashed_key {
        std::string_view text;
        std::size_t hash;
        bool operator==(const hashed_key& other) const noexcept { return text == other.text; }
    };
    struct stored_hash {
        std::size_t operator()(const hashed_key& k) const noexcept { return k.hash; }
    };
    std::size_t capacity_;
    std::list<entry> order_;  // most recently used first
    std::unordered_map<hashed_key, typename std::list<entry>::iterator, stored_hash>
        index_;  // into order_
    std::size_t evictions_ = 0;
};

}  // namespace clickstream::enrich
