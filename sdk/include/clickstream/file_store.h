// file_store: the native event_store, one append-only log file per tracker
// (<dir>/queue.log) that survives a crash of the app.
//
// Every change (a queued event, a removal, a key's new value) is one record,
// [u32 length][u32 CRC-32][body], written to the file at once, so a killed
// process loses nothing it wrote. Opening replays the log; a record cut
// short or failing its checksum (a torn write at the end) ends the replay
// there, is cut off the file and reported, and never crashes the app. When
// most of the log is dead, it is rewritten to a new file and renamed into
// place. The directory is locked: one tracker per directory at a time.
// Not thread-safe: the tracker's sender thread is its only user.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "clickstream/environment.h"
#include "clickstream/result.h"

namespace clickstream {

struct file_store_options {
    std::string dir;  // created if missing
    // fdatasync after every write: survives power loss too, at a cost per
    // event. Off: data reaches the disk with the OS, and at sync().
    bool sync_every_write = false;
    // Rewrite the log when it is this large and mostly dead.
    std::uint64_t compact_at_bytes = 1 << 20;
};

class file_store final : public event_store {
public:
    static result<std::unique_ptr<file_store>, errc> open(file_store_options options);
    ~file_store() override;
    file_store(const file_store&) = delete;
    file_store& operator=(const file_store&) = delete;

    std::optional<std::string> get(std::string_view key) noexcept override;
    result<void, errc> put(std::string_view key, std::string_view value) noexcept override;
    result<std::uint64_t, errc> append(std::string_view record) noexcept override;
    result<void, errc> remove(std::span<const std::uint64_t> ids) noexcept override;
    result<void, errc> load(
        function_ref<void(std::uint64_t, std::string_view)> each) noexcept override;

    // Flushes the file to the disk (shutdown, after a delivered batch).
    result<void, errc> sync() noexcept;

    // What opening found: bytes cut off a torn or corrupt tail.
    std::uint64_t discarded_bytes() const noexcept { return discarded_bytes_; }
    std::uint64_t file_bytes() const noexcept { return file_bytes_; }
    std::size_t live_records() const noexcept { return live_.size(); }

private:
    struct location {
        std::uint64_t offset;  // of the record bytes in the file
        std::uint32_t size;
    };
    explicit file_store(file_store_options options);
    result<void, errc> replay();
    result<void, errc> write_record(const std::string& body) noexcept;
    result<void, errc> compact() noexcept;

    file_store_options options_;
    std::string path_;
    int fd_ = -1;
    int lock_fd_ = -1;
    std::uint64_t file_bytes_ = 0;
    std::uint64_t live_bytes_ = 0;
    std::uint64_t discarded_bytes_ = 0;
    std::uint64_t last_id_ = 0;
    std::map<std::uint64_t, location> live_;
    std::map<std::string, std::string, std::less<>> state_;
};

}  // namespace clickstream
