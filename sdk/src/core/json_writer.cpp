#include "json_writer.h"

#include <limits>

namespace clickstream {
namespace {

// Defined for a host whose strings are valid UTF-8 by construction (the wasm
// beacon: every string it hands the core was written by the browser's
// TextEncoder, which writes nothing else, or is ASCII): their bytes are
// copied as they are, and the module carries no UTF-8 check (-0.13 KB
// gzipped).
#ifdef CLICKSTREAM_TRUSTED_UTF8
constexpr bool trusted_utf8 = true;
#else
constexpr bool trusted_utf8 = false;
#endif

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one
// (overlong forms, surrogates and values above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        const unsigned char min = k == 1 ? lo : 0x80;
        const unsigned char max = k == 1 ? hi : 0xBF;
        if (b < min || b > max) return 0;
    }
    return n;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
#ifndef __EMSCRIPTEN__
        // Most of a string needs no escape: copy each such run in one append
        // rather than byte by byte (the processor writes ~70 strings per
        // clean event). The beacon keeps the byte loop: a page writes few
        // strings, and there every byte of code is downloaded.
        std::size_t plain = i;
        while (plain < s.size()) {
            const auto p = static_cast<unsigned char>(s[plain]);
            if (p < 0x20 || p >= 0x80 || p == '"' || p == '\\') break;
            ++plain;
        }
        if (plain != i) {
            out.append(s.data() + i, plain - i);
            i = plain;
            continue;
        }
#endif
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80 && trusted_utf8) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence_length(s, i);
            if (n == 0) {
                out += "\xEF\xBF\xBD";  // U+FFFD for a byte that starts no valid sequence
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xF];
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
}

void append_json_integer(std::string& out, std::int64_t v) {
    char buf[20];
    int i = sizeof buf;
    std::uint64_t m = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    do {
        buf[--i] = static_cast<char>('0' + m % 10);
        m /= 10;
    } while (m != 0);
    if (v < 0) out += '-';
    out.append(buf + i, sizeof buf - static_cast<std::size_t>(i));
}

std::string decimal(std::int64_t v) {
    std::string s;
    append_json_integer(s, v);
    return s;
}

bool parse_unsigned(const char*& p, const char* end, std::uint64_t& v) noexcept {
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    const char* q = p;
    std::uint64_t r = 0;
    for (; q != end && *q >= '0' && *q <= '9'; ++q) {
        const auto d = static_cast<std::uint64_t>(*q - '0');
        if (r > (max - d) / 10) return false;
        r = r * 10 + d;
    }
    if (q == p) return false;
    p = q;
    v = r;
    return true;
}

bool parse_signed(const char*& p, const char* end, std::int64_t& v) noexcept {
    const bool negative = p != end && *p == '-';
    const char* q = p + (negative ? 1 : 0);
    std::uint64_t m = 0;
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!parse_unsigned(q, end, m) || m > max + (negative ? 1 : 0)) return false;
    v = negative ? static_cast<std::int64_t>(0 - m) : static_cast<std::int64_t>(m);
    p = q;
    return true;
}

json_writer& json_writer::string_member(std::string_view key, std::string_view v) {
    key_then(key);
    append_json_string(out_, v);
    first_ = false;
    return *this;
}

json_writer& json_writer::integer_member(std::string_view key, std::int64_t v) {
    key_then(key);
    append_json_integer(out_, v);
    first_ = false;
    return *this;
}

json_writer& json_writer::number_member(std::string_view key, double v) {
    key_then(key);
    append_json_number(out_, v);
    first_ = false;
    return *this;
}

json_writer& json_writer::bool_member(std::string_view key, bool v) {
    key_then(key);
    out_ += v ? "true" : "false";
    first_ = false;
    return *this;
}

json_writer& json_writer::raw_element(std::string_view json) {
    separate();
    out_.append(json);
    first_ = false;
    return *this;
}

json_writer& json_writer::open(char c) {
    separate();
    out_ += c;
    first_ = true;
    return *this;
}

json_writer& json_writer::close(char c) {
    out_ += c;
    first_ = false;
    return *this;
}

json_writer& json_writer::key_then(std::string_view key) {
    separate();
    append_json_string(out_, key);
    out_ += ':';
    // The value that follows must not be preceded by a comma.
    first_ = true;
    return *this;
}

void json_writer::separate() {
    if (!first_) out_ += ',';
}

}  // namespace clickstream
