#include "collector/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "collector/errc.h"

namespace clickstream::collector {
namespace {

constexpr std::uint32_t record_magic = 0x31505343;  // "CSP1"
constexpr std::size_t frame_header = 12;            // magic, length, crc

void put_u32(std::string& out, std::uint32_t v) {
    char b[4];
    std::memcpy(b, &v, 4);
    out.append(b, 4);
}

// Reads a u32-length-prefixed field; false when the input is too short.
struct reader {
    std::string_view in;
    bool u32(std::uint32_t& v) {
        if (in.size() < 4) return false;
        std::memcpy(&v, in.data(), 4);
        in.remove_prefix(4);
        return true;
    }
    bool bytes(std::string& out) {
        std::uint32_t n = 0;
        if (!u32(n) || in.size() < n) return false;
        out.assign(in.data(), n);
        in.remove_prefix(n);
        return true;
    }
};

std::uint32_t crc_of(std::string_view payload) {
    return static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(payload.data()),
                                            static_cast<uInt>(payload.size())));
}

std::string frame(const std::string& payload) {
    std::string out;
    out.reserve(frame_header + payload.size());
    put_u32(out, record_magic);
    put_u32(out, static_cast<std::uint32_t>(payload.size()));
    put_u32(out, crc_of(payload));
    out += payload;
    return out;
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool read_at(int fd, std::uint64_t offset, std::size_t size, std::string& out) {
    out.resize(size);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n =
            ::pread(fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// One framed record at `offset` of `fd` whose file holds `end` bytes: the
// payload, or nullopt when it is torn or fails its checksum.
std::optional<std::string> read_frame(int fd, std::uint64_t offset, std::uint64_t end) {
    if (end - offset < frame_header) return std::nullopt;
    std::string head;
    if (!read_at(fd, offset, frame_header, head)) return std::nullopt;
    std::uint32_t magic = 0, length = 0, crc = 0;
    std::memcpy(&magic, head.data(), 4);
    std::memcpy(&length, head.data() + 4, 4);
    std::memcpy(&crc, head.data() + 8, 4);
    if (magic != record_magic || end - offset - frame_header < length) return std::nullopt;
    std::string payload;
    if (!read_at(fd, offset + frame_header, length, payload) || crc_of(payload) != crc) {
        return std::nullopt;
    }
    return payload;
}

std::string segment_name(std::uint64_t seq) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%020llu.seg", static_cast<unsigned long long>(seq));
    return buf;
}

void sync_dir(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

std::string encode_record(const common::kafka::message& msg) {
    std::string out;
    put_u32(out, static_cast<std::uint32_t>(msg.headers.size()));
    for (const auto& h : msg.headers) {
        put_u32(out, static_cast<std::uint32_t>(h.name.size()));
        out += h.name;
        put_u32(out, static_cast<std::uint32_t>(h.value.size()));
        out += h.value;
    }
    put_u32(out, msg.key ? 1 : 0);
    if (msg.key) {
        put_u32(out, static_cast<std::uint32_t>(msg.key->size()));
        out += *msg.key;
    }
    put_u32(out, static_cast<std::uint32_t>(msg.value.size()));
    out += msg.value;
    return out;
}

result<common::kafka::message> decode_record(std::string_view payload) {
    reader r{payload};
    common::kafka::message m;
    std::uint32_t headers = 0, has_key = 0;
    if (!r.u32(headers)) return failure{make_error_code(errc::spool_corrupt)};
    for (std::uint32_t i = 0; i < headers; ++i) {
        common::kafka::header h;
        if (!r.bytes(h.name) || !r.bytes(h.value))
            return failure{make_error_code(errc::spool_corrupt)};
        m.headers.push_back(std::move(h));
    }
    if (!r.u32(has_key)) return failure{make_error_code(errc::spool_corrupt)};
    if (has_key != 0) {
        std::string key;
        if (!r.bytes(key)) return failure{make_error_code(errc::spool_corrupt)};
        m.key = std::move(key);
    }
    if (!r.bytes(m.value) || !r.in.empty()) return failure{make_error_code(errc::spool_corrupt)};
    return m;
}

struct spool::state {
    spool_options options;
    std::string topic;
    common::logger& log;

    mutable std::mutex mutex;
    std::condition_variable work;                     // appends queued, or closing
    std::condition_variable has_data;                 // records became readable
    std::map<std::uint64_t, std::uint64_t> segments;  // sequence → durable size
    std::uint64_t active = 0;
    int active_fd = -1;
    spool_position head;
    std::uint64_t unacked_bytes = 0;
    std::uint64_t unacked_records = 0;
    std::uint64_t reserved = 0;  // queued, not yet written
    bool closing = false;

    struct item {
        std::string bytes;
        append_handler done;
    };
    std::deque<item> queue;
    std::thread writer;
    int ack_fd = -1;

    state(spool_options o, std::string t, common::logger& l)
        : options(std::move(o)), topic(std::move(t)), log(l) {}

    std::filesystem::path path_of(std::uint64_t seq) const {
        return options.dir / segment_name(seq);
    }

    bool open_active(std::uint64_t seq) {
        const int fd =
            ::open(path_of(seq).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            log.error("spool_open_failed",
                      {{"file", path_of(seq).string()}, {"error", std::strerror(errno)}});
            return false;
        }
        sync_dir(options.dir);
        int previous = -1;
        {
            std::lock_guard lock(mutex);
            previous = active_fd;
            active_fd = fd;
            active = seq;
        }
        if (previous >= 0) ::close(previous);
        return true;
    }

    // Starts a new segment when the active one is full or fully delivered;
    // deletes the old one when nothing in it is left to deliver. Writer thread.
    void maybe_rotate() {
        std::uint64_t old = 0, size = 0;
        {
            std::lock_guard lock(mutex);
            old = active;
            size = segments[active];
            const bool delivered = head == spool_position{active, size};
            if (size == 0 || (size < options.segment_bytes && !delivered)) return;
        }
        if (!open_active(old + 1)) return;
        std::lock_guard lock(mutex);
        segments[old + 1] = 0;
        if (head == spool_position{old, size}) {
            head = {old + 1, 0};
            segments.erase(old);
            std::filesystem::remove(path_of(old));
        }
    }

    void write_batch(std::deque<item>& batch) {
        maybe_rotate();
        std::string bytes;
        for (const auto& i : batch) bytes += i.bytes;
        std::uint64_t before = 0;
        {
            std::lock_guard lock(mutex);
            before = segments[active];
        }
        const bool ok = write_all(active_fd, bytes) && ::fdatasync(active_fd) == 0;
        if (!ok) {
            log.error("spool_write_failed", {{"error", std::strerror(errno)}});
            if (::ftruncate(active_fd, static_cast<off_t>(before)) != 0) {
                log.error("spool_truncate_failed", {{"error", std::strerror(errno)}});
            }
        }
        {
            std::lock_guard lock(mutex);
            reserved -= bytes.size();
            if (ok) {
                segments[active] = before + bytes.size();
                unacked_bytes += bytes.size();
                unacked_records += batch.size();
            }
        }
        if (ok) has_data.notify_all();
        for (auto& i : batch) i.done(ok ? std::error_code{} : make_error_code(errc::spool_io));
    }

    void writer_loop() {
        while (true) {
            std::deque<item> batch;
            {
                std::unique_lock lock(mutex);
                work.wait(lock, [this] { return closing || !queue.empty(); });
                if (queue.empty()) return;  // closing, and nothing left
                batch.swap(queue);
            }
            write_batch(batch);
        }
    }

    void save_head() {
        char buf[64];
        const int n = std::snprintf(buf, sizeof buf, "%020llu %020llu\n",
                                    static_cast<unsigned long long>(head.segment),
                                    static_cast<unsigned long long>(head.offset));
        if (::pwrite(ack_fd, buf, static_cast<std::size_t>(n), 0) != n) {
            log.warn("spool_ack_write_failed", {{"error", std::strerror(errno)}});
        }
    }

    // Reads the directory: segments, their valid length, the delivered position.
    bool recover();
};

bool spool::state::recover() {
    std::error_code ec;
    std::filesystem::create_directories(options.dir, ec);
    if (ec) {
        log.error("spool_dir_failed", {{"dir", options.dir.string()}, {"error", ec.message()}});
        return false;
    }
    for (const auto& entry : std::filesystem::directory_iterator(options.dir, ec)) {
        const auto name = entry.path().filename().string();
        if (entry.path().extension() != ".seg") continue;
        segments[std::stoull(name.substr(0, name.size() - 4))] = 0;
    }
    ack_fd = ::open((options.dir / "ack").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (ack_fd < 0) {
        log.error("spool_open_failed", {{"file", "ack"}, {"error", std::strerror(errno)}});
        return false;
    }
    std::string text;
    if (read_at(ack_fd, 0, 42, text)) {
        unsigned long long seg = 0, off = 0;
        if (std::sscanf(text.c_str(), "%llu %llu", &seg, &off) == 2) head = {seg, off};
    }
    // Segments before the delivered position are done.
    for (auto it = segments.begin(); it != segments.end() && it->first < head.segment;) {
        std::filesystem::remove(path_of(it->first));
        it = segments.erase(it);
    }
    if (segments.empty() || segments.begin()->first > head.segment) {
        head = {segments.empty() ? head.segment + 1 : segments.begin()->first, 0};
    }
    // Valid length of each segment; count what is left to deliver.
    for (auto it = segments.begin(); it != segments.end(); ++it) {
        const int fd = ::open(path_of(it->first).c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) return false;
        struct stat st {};
        ::fstat(fd, &st);
        const auto end = static_cast<std::uint64_t>(st.st_size);
        std::uint64_t offset = 0;
        while (offset < end) {
            const auto payload = read_frame(fd, offset, end);
            if (!payload) break;
            const std::uint64_t next = offset + frame_header + payload->size();
            if (spool_position{it->first, offset} >= head) {
                unacked_bytes += next - offset;
                ++unacked_records;
            }
            offset = next;
        }
        if (offset < end) {
            const bool last = std::next(it) == segments.end();
            log.write(last ? common::log_level::warn : common::log_level::error, "spool_cut",
                      {{"segment", it->first},
                       {"valid_bytes", offset},
                       {"lost_bytes", end - offset},
                       {"reason", last ? "torn final record" : "corrupt record"}});
            if (last && ::ftruncate(fd, static_cast<off_t>(offset)) != 0) {
                ::close(fd);
                return false;
            }
        }
        ::close(fd);
        it->second = offset;
    }
    if (segments.empty()) segments[head.segment] = 0;
    if (head.segment == segments.begin()->first && head.offset > segments.begin()->second) {
        head.offset = segments.begin()->second;  // the tail it pointed into was cut
    }
    const auto last = segments.rbegin()->first;
    if (!open_active(last)) return false;
    log.info(
        "spool_opened",
        {{"dir", options.dir.string()}, {"records", unacked_records}, {"bytes", unacked_bytes}});
    return true;
}

result<std::unique_ptr<spool>> spool::open(spool_options options, std::string topic,
                                           common::logger& log) {
    auto s = std::make_unique<state>(std::move(options), std::move(topic), log);
    if (!s->recover()) return failure{make_error_code(errc::spool_io)};
    state* raw = s.get();
    s->writer = std::thread([raw] { raw->writer_loop(); });
    return std::unique_ptr<spool>(new spool(std::move(s)));
}

spool::spool(std::unique_ptr<state> s) : state_(std::move(s)) {}

spool::~spool() {
    close();
    if (state_->active_fd >= 0) ::close(state_->active_fd);
    if (state_->ack_fd >= 0) ::close(state_->ack_fd);
}

void spool::append(const common::kafka::message& msg, append_handler done) noexcept {
    std::string bytes = frame(encode_record(msg));
    std::error_code refused;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->closing) {
            refused = errc::spool_closed;
        } else if (state_->unacked_bytes + state_->reserved + bytes.size() >
                   state_->options.max_bytes) {
            refused = errc::spool_full;
        } else {
            state_->reserved += bytes.size();
            state_->queue.push_back({std::move(bytes), std::move(done)});
        }
    }
    if (refused) {
        done(refused);
        return;
    }
    state_->work.notify_one();
}

result<std::vector<spooled_record>> spool::read(std::size_t max_records) noexcept {
    std::map<std::uint64_t, std::uint64_t> segments;
    spool_position at;
    {
        std::lock_guard lock(state_->mutex);
        segments = state_->segments;
        at = state_->head;
    }
    std::vector<spooled_record> out;
    for (auto it = segments.lower_bound(at.segment);
         it != segments.end() && out.size() < max_records; ++it) {
        if (it->first > at.segment) at = {it->first, 0};
        if (at.offset >= it->second) continue;
        const int fd = ::open(state_->path_of(it->first).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return failure{make_error_code(errc::spool_io)};
        while (at.offset < it->second && out.size() < max_records) {
            const auto payload = read_frame(fd, at.offset, it->second);
            if (!payload) {
                ::close(fd);
                return failure{make_error_code(errc::spool_corrupt)};
            }
            auto msg = decode_record(*payload);
            if (!msg) {
                ::close(fd);
                return failure{msg.error()};
            }
            msg->topic = state_->topic;
            const spool_position next{it->first, at.offset + frame_header + payload->size()};
            out.push_back({at, next, std::move(*msg)});
            at = next;
        }
        ::close(fd);
    }
    return out;
}

void spool::ack(spool_position next, std::uint64_t records) noexcept {
    std::lock_guard lock(state_->mutex);
    auto& s = *state_;
    std::uint64_t bytes = 0;
    spool_position at = s.head;
    while (at < next) {
        if (at.segment == next.segment) {
            bytes += next.offset - at.offset;
            at = next;
        } else {
            bytes += s.segments[at.segment] - at.offset;
            // Finished and not being written: delete it.
            if (at.segment != s.active) {
                s.segments.erase(at.segment);
                std::filesystem::remove(s.path_of(at.segment));
            }
            const auto later = s.segments.upper_bound(at.segment);
            if (later == s.segments.end()) break;
            at = {later->first, 0};
        }
    }
    s.head = next;
    s.unacked_bytes -= std::min(bytes, s.unacked_bytes);
    s.unacked_records -= std::min(records, s.unacked_records);
    s.save_head();
}

bool spool::wait_for_records(std::chrono::milliseconds timeout) noexcept {
    std::unique_lock lock(state_->mutex);
    return state_->has_data.wait_for(lock, timeout, [this] {
        return state_->unacked_records > 0 || state_->closing;
    }) && state_->unacked_records > 0;
}

std::uint64_t spool::bytes() const noexcept {
    std::lock_guard lock(state_->mutex);
    return state_->unacked_bytes;
}

std::uint64_t spool::records() const noexcept {
    std::lock_guard lock(state_->mutex);
    return state_->unacked_records;
}

void spool::close() noexcept {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->closing) return;
        state_->closing = true;
    }
    state_->work.notify_all();
    state_->has_data.notify_all();
    if (state_->writer.joinable()) state_->writer.join();
    if (state_->ack_fd >= 0) ::fsync(state_->ack_fd);
}

}  // namespace clickstream::collector
