// The disk spool: where batches wait while Kafka is unreachable or slow.
//
// - append() writes a record and fsyncs before it reports success, so a 2xx
//   after it survives a crash. Appends that arrive together share one fsync
//   (a writer thread does the I/O, in arrival order).
// - Records are read back in the order they were appended; ack() marks a
//   prefix delivered. The position is kept in a small file, so a restart
//   resumes where delivery stopped (after a crash, the last few delivered
//   records may be sent again: at least once).
// - `max_bytes` bounds the records not yet delivered; past it append() says
//   errc::spool_full. Delivered data is deleted a segment at a time, so the
//   disk holds at most one segment more.
// - Each record carries a checksum; a torn record at the end (a crash during
//   a write, never acknowledged) is cut off when the spool is opened.
//
// Layout in `dir`: segments `<sequence>.seg`, each a run of records
// [magic u32][length u32][crc32 u32][payload], and `ack` ("<segment> <offset>").
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <system_error>
#include <vector>

#include "clickstream/result.h"
#include "common/kafka/message.h"
#include "common/log.h"

namespace clickstream::collector {

struct spool_options {
    std::filesystem::path dir;
    std::uint64_t max_bytes = 1024ULL * 1024 * 1024;
    std::uint64_t segment_bytes = 16 * 1024 * 1024;
};

struct spool_position {
    std::uint64_t segment = 0;
    std::uint64_t offset = 0;
    auto operator<=>(const spool_position&) const = default;
};

struct spooled_record {
    spool_position at;
    spool_position next;  // ack(next) marks this record and all before it delivered
    common::kafka::message msg;
};

// The payload of a record: the message without its topic.
std::string encode_record(const common::kafka::message& msg);
result<common::kafka::message> decode_record(std::string_view payload);

class spool {
public:
    // Start-up: creates `dir` if needed, checks what is there. Records read
    // back get `topic`.
    static result<std::unique_ptr<spool>> open(spool_options options, std::string topic,
                                               common::logger& log);
    ~spool();

    spool(const spool&) = delete;
    spool& operator=(const spool&) = delete;

    using append_handler = std::function<void(std::error_code)>;
    // `done` is called exactly once: from the writer thread once the record is
    // on disk (or failed), or before append returns when full or closed.
    void append(const common::kafka::message& msg, append_handler done) noexcept;

    // Up to `max_records` of the oldest records not yet acked, oldest first.
    // Only the reader thread (one at a time) calls read and ack.
    result<std::vector<spooled_record>> read(std::size_t max_records) noexcept;
    void ack(spool_position next, std::uint64_t records) noexcept;

    // Waits up to `timeout` for a record to be there; true if there is one.
    bool wait_for_records(std::chrono::milliseconds timeout) noexcept;

    std::uint64_t bytes() const noexcept;    // not yet delivered
    std::uint64_t records() const noexcept;  // not yet delivered

    // Finishes the queued appends, persists the delivered position; later
    // appends get errc::spool_closed.
    void close() noexcept;

    struct state;

private:
    explicit spool(std::unique_ptr<state> s);
    std::unique_ptr<state> state_;
};

}  // namespace clickstream::collector
