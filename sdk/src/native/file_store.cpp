#include "clickstream/file_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace clickstream {
namespace {

constexpr char kind_append = 'A';
constexpr char kind_remove = 'R';
constexpr char kind_put = 'P';
constexpr std::size_t header_bytes = 8;       // u32 length, u32 CRC-32
constexpr std::uint32_t max_body = 16 << 20;  // larger lengths are corruption
constexpr std::uint64_t small_dead_log = 64 << 10;

void put_u32(std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put_u64(std::string& s, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
std::uint32_t get_u32(const char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}
std::uint64_t get_u64(const char* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}
std::uint32_t checksum(std::string_view body) {
    return static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
}

bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

bool read_at(int fd, std::uint64_t offset, char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= static_cast<std::size_t>(r);
        offset += static_cast<std::uint64_t>(r);
    }
    return true;
}

std::string framed(const std::string& body) {
    std::string out;
    out.reserve(header_bytes + body.size());
    put_u32(out, static_cast<std::uint32_t>(body.size()));
    put_u32(out, checksum(body));
    out += body;
    return out;
}

std::string append_body(std::uint64_t id, std::string_view record) {
    std::string body(1, kind_append);
    put_u64(body, id);
    body.append(record);
    return body;
}

std::string put_body(std::string_view key, std::string_view value) {
    std::string body(1, kind_put);
    put_u32(body, static_cast<std::uint32_t>(key.size()));
    body.append(key).append(value);
    return body;
}

// Where an append record's payload starts, from the start of its frame.
constexpr std::uint64_t append_payload_offset = header_bytes + 1 + 8;

}  // namespace

file_store::file_store(file_store_options options)
    : options_(std::move(options)), path_(options_.dir + "/queue.log") {}

file_store::~file_store() {
    if (fd_ >= 0) ::close(fd_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

result<std::unique_ptr<file_store>, errc> file_store::open(file_store_options options) {
    std::error_code ec;
    std::filesystem::create_directories(options.dir, ec);
    if (ec) return failure{errc::io_error};
    std::unique_ptr<file_store> s(new file_store(std::move(options)));
    const std::string lock_path = s->options_.dir + "/lock";
    s->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd_ < 0) return failure{errc::io_error};
    if (::flock(s->lock_fd_, LOCK_EX | LOCK_NB) != 0) return failure{errc::storage_failed};
    s->fd_ = ::open(s->path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (s->fd_ < 0) return failure{errc::io_error};
    if (auto r = s->replay(); !r) return failure{r.error()};
    return s;
}

result<void, errc> file_store::replay() {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return failure{errc::io_error};
    const auto size = static_cast<std::uint64_t>(st.st_size);
    std::vector<char> data(size);
    if (size > 0 && !read_at(fd_, 0, data.data(), size)) return failure{errc::io_error};
    std::uint64_t pos = 0;
    while (pos + header_bytes <= size) {
        const std::uint32_t len = get_u32(data.data() + pos);
        const std::uint32_t crc = get_u32(data.data() + pos + 4);
        if (len == 0 || len > max_body || pos + header_bytes + len > size) break;
        const std::string_view body(data.data() + pos + header_bytes, len);
        if (checksum(body) != crc) break;
        const char kind = body[0];
        if (kind == kind_append && len >= 9) {
            const std::uint64_t id = get_u64(body.data() + 1);
            live_[id] = {pos + append_payload_offset, len - 9};
            live_bytes_ += len - 9;
            if (id > last_id_) last_id_ = id;
        } else if (kind == kind_remove && (len - 1) % 8 == 0) {
            for (std::uint32_t i = 1; i < len; i += 8) {
                const auto it = live_.find(get_u64(body.data() + i));
                if (it == live_.end()) continue;
                live_bytes_ -= it->second.size;
                live_.erase(it);
            }
        } else if (kind == kind_put && len >= 5) {
            const std::uint32_t key_len = get_u32(body.data() + 1);
            if (5 + static_cast<std::uint64_t>(key_len) > len) break;
            state_.insert_or_assign(std::string(body.substr(5, key_len)),
                                    std::string(body.substr(5 + key_len)));
        } else {
            break;  // a kind this version does not know: treat as corruption
        }
        pos += header_bytes + len;
    }
    // A torn or corrupt tail: cut it off, so new records follow good ones.
    discarded_bytes_ = size - pos;
    if (discarded_bytes_ > 0 && ::ftruncate(fd_, static_cast<off_t>(pos)) != 0) {
        return failure{errc::io_error};
    }
    file_bytes_ = pos;
    return {};
}

result<void, errc> file_store::write_record(const std::string& body) noexcept {
    const std::string frame = framed(body);
    if (!write_all(fd_, frame.data(), frame.size())) {
        // Never leave half a record for later ones to follow.
        (void)::ftruncate(fd_, static_cast<off_t>(file_bytes_));
        return failure{errc::storage_failed};
    }
    file_bytes_ += frame.size();
    if (options_.sync_every_write && ::fdatasync(fd_) != 0) return failure{errc::storage_failed};
    return {};
}

std::optional<std::string> file_store::get(std::string_view key) noexcept {
    const auto it = state_.find(key);
    if (it == state_.end()) return std::nullopt;
    return it->second;
}

result<void, errc> file_store::put(std::string_view key, std::string_view value) noexcept {
    if (auto r = write_record(put_body(key, value)); !r) return r;
    state_.insert_or_assign(std::string(key), std::string(value));
    return {};
}

result<std::uint64_t, errc> file_store::append(std::string_view record) noexcept {
    const std::uint64_t id = last_id_ + 1;
    const std::uint64_t at = file_bytes_;
    if (auto r = write_record(append_body(id, record)); !r) return failure{r.error()};
    last_id_ = id;
    live_[id] = {at + append_payload_offset, static_cast<std::uint32_t>(record.size())};
    live_bytes_ += record.size();
    return id;
}

result<void, errc> file_store::remove(std::span<const std::uint64_t> ids) noexcept {
    std::string body(1, kind_remove);
    for (const auto id : ids) {
        if (live_.count(id) != 0) put_u64(body, id);
    }
    if (body.size() == 1) return {};
    if (auto r = write_record(body); !r) return r;
    for (std::size_t i = 1; i < body.size(); i += 8) {
        const auto it = live_.find(get_u64(body.data() + i));
        live_bytes_ -= it->second.size;
        live_.erase(it);
    }
    const bool mostly_dead =
        file_bytes_ > options_.compact_at_bytes && live_bytes_ * 2 < file_bytes_;
    const bool all_dead = live_.empty() && file_bytes_ > small_dead_log;
    if (mostly_dead || all_dead) return compact();
    return {};
}

result<void, errc> file_store::load(
    function_ref<void(std::uint64_t, std::string_view)> each) noexcept {
    std::string bytes;
    for (const auto& [id, where] : live_) {
        bytes.resize(where.size);
        if (!read_at(fd_, where.offset, bytes.data(), where.size)) return failure{errc::io_error};
        each(id, bytes);
    }
    return {};
}

result<void, errc> file_store::sync() noexcept {
    if (::fdatasync(fd_) != 0) return failure{errc::io_error};
    return {};
}

result<void, errc> file_store::compact() noexcept {
    const std::string tmp = path_ + ".tmp";
    const int out = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (out < 0) return failure{errc::io_error};
    std::string log;
    for (const auto& [key, value] : state_) log += framed(put_body(key, value));
    std::map<std::uint64_t, location> moved;
    std::string bytes;
    for (const auto& [id, where] : live_) {
        bytes.resize(where.size);
        if (!read_at(fd_, where.offset, bytes.data(), where.size)) {
            ::close(out);
            return failure{errc::io_error};
        }
        moved[id] = {log.size() + append_payload_offset, where.size};
        log += framed(append_body(id, bytes));
    }
    // The new log is complete and on disk before it replaces the old one.
    const bool ok = write_all(out, log.data(), log.size()) && ::fsync(out) == 0 &&
                    ::rename(tmp.c_str(), path_.c_str()) == 0;
    if (!ok) {
        ::close(out);
        ::unlink(tmp.c_str());
        return failure{errc::io_error};
    }
    const int dir = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        (void)::fsync(dir);
        ::close(dir);
    }
    ::close(fd_);
    fd_ = out;
    file_bytes_ = log.size();
    live_ = std::move(moved);
    return {};
}

}  // namespace clickstream
