#include "json_tape.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "enrich/text.h"

namespace clickstream::enrich::detail {

namespace {

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

using text::hex_value;
using text::is_digit;

// Four hex digits at p (p moves past them), or -1.
long read_hex4(const char*& p, const char* end) noexcept {
    if (end - p < 4) return -1;
    long v = 0;
    for (int i = 0; i < 4; ++i) {
        const int h = hex_value(p[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    p += 4;
    return v;
}

void append_utf8(std::string& out, unsigned long cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// The string literal at p (its opening quote), decoded and appended to
// `out`; p moves past the closing quote. False when it is not a valid JSON
// string.
bool read_string(const char*& p, const char* end, std::string& out) {
    ++p;
    while (true) {
        // Most bytes need nothing: copy each run of them in one append.
        const char* run = p;
        while (p != end) {
            const auto c = static_cast<unsigned char>(*p);
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
            ++p;
        }
        out.append(run, static_cast<std::size_t>(p - run));
        if (p == end) return false;
        const auto c = static_cast<unsigned char>(*p);
        if (c == '"') {
            ++p;
            return true;
        }
        if (c < 0x20) return false;  // control characters must be escaped
        if (c >= 0x80) {
            const std::size_t n = text::utf8_sequence_length(
                std::string_view(p, static_cast<std::size_t>(end - p)), 0);
            if (n == 0) return false;
            out.append(p, n);
            p += n;
            continue;
        }
        // An escape.
        if (++p == end) return false;
        switch (*p++) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                const long first = read_hex4(p, end);
                if (first < 0) return false;
                unsigned long cp = static_cast<unsigned long>(first);
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    // A high surrogate: a low one must follow at once.
                    if (end - p < 2 || p[0] != '\\' || p[1] != 'u') return false;
                    p += 2;
                    const long second = read_hex4(p, end);
                    if (second < 0xDC00 || second > 0xDFFF) return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) +
                         (static_cast<unsigned long>(second) - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return false;  // a low surrogate alone
                }
                append_utf8(out, cp);
                break;
            }
            default:
                return false;
        }
    }
}

}  // namespace

// The tape is built by one pass over the text, without recursion: open_
// holds the containers being filled. What it accepts, and the numbers it
// reads, are nlohmann::json's (the library the rest of the project parses
// with): RFC 8259 strictly, a UTF-8 byte order mark allowed at the start,
// well-formed UTF-8 only (RFC 3629), surrogate escapes only in pairs, an
// integer that does not fit 64 bits read as a double, a double that
// overflows refused, nothing but whitespace after the value (up to a NUL)
// (tests/unit/processor/enrich/json_tape_test.cpp holds the two together).
class tape_builder {
public:
    explicit tape_builder(json_tape& t) : t_(t) {}

    json_tape::outcome parse(std::string_view text, std::size_t max_depth) {
        using outcome = json_tape::outcome;
        const outcome malformed = outcome::malformed;
        const char* p = text.data();
        const char* const end = p + text.size();
        if (p != end && static_cast<unsigned char>(*p) == 0xEF) {
            if (end - p < 3 || static_cast<unsigned char>(p[1]) != 0xBB ||
                static_cast<unsigned char>(p[2]) != 0xBF) {
                return malformed;
            }
            p += 3;
        }
        // Expecting a value.
    value:
        while (p != end && is_space(*p)) ++p;
        if (p == end) return malformed;
        switch (*p) {
            case '{':
                if (t_.open_.size() >= max_depth) return outcome::too_deep;
                open(tape_kind::object);
                ++p;
                while (p != end && is_space(*p)) ++p;
                if (p != end && *p == '}') {
                    ++p;
                    close();
                    goto after_value;
                }
                goto member;
            case '[':
                if (t_.open_.size() >= max_depth) return outcome::too_deep;
                open(tape_kind::array);
                ++p;
                while (p != end && is_space(*p)) ++p;
                if (p != end && *p == ']') {
                    ++p;
                    close();
                    goto after_value;
                }
                goto value;
            case '"': {
                const auto at = static_cast<std::uint32_t>(t_.arena_.size());
                if (!read_string(p, end, t_.arena_)) return malformed;
                tape_node& n = scalar(tape_kind::string);
                n.str_at = at;
                n.str_size = static_cast<std::uint32_t>(t_.arena_.size() - at);
                goto after_value;
            }
            case 't':
                if (!literal(p, end, "true")) return malformed;
                scalar(tape_kind::boolean).boolean = true;
                goto after_value;
            case 'f':
                if (!literal(p, end, "false")) return malformed;
                scalar(tape_kind::boolean).boolean = false;
                goto after_value;
            case 'n':
                if (!literal(p, end, "null")) return malformed;
                scalar(tape_kind::null);
                goto after_value;
            default:
                if (*p == '-' || is_digit(*p)) {
                    if (!number(p, end)) return malformed;
                    goto after_value;
                }
                return malformed;
        }
        // Expecting a member's key (after '{' or ',' in an object).
    member:
        while (p != end && is_space(*p)) ++p;
        if (p == end || *p != '"') return malformed;
        key_at_ = static_cast<std::uint32_t>(t_.arena_.size());
        if (!read_string(p, end, t_.arena_)) return malformed;
        key_size_ = static_cast<std::uint32_t>(t_.arena_.size() - key_at_);
        while (p != end && is_space(*p)) ++p;
        if (p == end || *p != ':') return malformed;
        ++p;
        goto value;
        // After a value: the end, or a comma or the close of its container.
    after_value:
        while (p != end && is_space(*p)) ++p;
        // nlohmann's lexer takes a NUL byte for the end of the input (as in
        // a C string): what follows one after the value is never read.
        if (t_.open_.empty()) return p == end || *p == '\0' ? outcome::ok : malformed;
        if (p == end) return malformed;
        {
            const bool in_object = t_.nodes_[t_.open_.back()].kind == tape_kind::object;
            const char c = *p++;
            if (c == ',') {
                if (in_object) goto member;
                goto value;
            }
            if (c != (in_object ? '}' : ']')) return malformed;
            close();
            goto after_value;
        }
    }

private:
    // A new node as the next child of the open container.
    tape_node& add(tape_kind kind) {
        tape_node n;
        n.kind = kind;
        if (!t_.open_.empty()) {
            tape_node& parent = t_.nodes_[t_.open_.back()];
            ++parent.count;
            if (parent.kind == tape_kind::object) {
                n.key_at = key_at_;
                n.key_size = key_size_;
            }
        }
        t_.nodes_.push_back(n);
        return t_.nodes_.back();
    }
    tape_node& scalar(tape_kind kind) {
        // Two statements: in `add(kind).end = size()` the size is read first
        // (C++17 sequences an assignment's right side before its left), which
        // made a scalar its own next sibling.
        tape_node& n = add(kind);
        n.end = static_cast<std::uint32_t>(t_.nodes_.size());
        return n;
    }
    void open(tape_kind kind) {
        add(kind);
        t_.open_.push_back(static_cast<std::uint32_t>(t_.nodes_.size() - 1));
    }
    void close() {
        t_.nodes_[t_.open_.back()].end = static_cast<std::uint32_t>(t_.nodes_.size());
        t_.open_.pop_back();
    }

    static bool literal(const char*& p, const char* end, std::string_view word) noexcept {
        if (static_cast<std::size_t>(end - p) < word.size() ||
            std::string_view(p, word.size()) != word) {
            return false;
        }
        p += word.size();
        return true;
    }

    // A number at p: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?. Without
    // fraction or exponent it is an integer (negative: integer, else
    // unsigned_) when it fits 64 bits, else a double, as nlohmann reads it.
    bool number(const char*& p, const char* end) {
        const char* const start = p;
        const bool negative = *p == '-';
        if (negative) ++p;
        if (p == end) return false;
        if (*p == '0') {
            ++p;
        } else if (is_digit(*p)) {
            while (p != end && is_digit(*p)) ++p;
        } else {
            return false;
        }
        bool integral = true;
        if (p != end && *p == '.') {
            integral = false;
            ++p;
            if (p == end || !is_digit(*p)) return false;
            while (p != end && is_digit(*p)) ++p;
        }
        if (p != end && (*p == 'e' || *p == 'E')) {
            integral = false;
            ++p;
            if (p != end && (*p == '+' || *p == '-')) ++p;
            if (p == end || !is_digit(*p)) return false;
            while (p != end && is_digit(*p)) ++p;
        }
        if (integral) {
            std::uint64_t magnitude = 0;
            bool fits = true;
            for (const char* d = start + (negative ? 1 : 0); d != p; ++d) {
                const auto digit = static_cast<std::uint64_t>(*d - '0');
                if (magnitude > (UINT64_MAX - digit) / 10) {
                    fits = false;
                    break;
                }
                magnitude = magnitude * 10 + digit;
            }
            if (fits && !negative) {
                scalar(tape_kind::unsigned_).number.unsigned_ = magnitude;
                return true;
            }
            if (fits && magnitude <= static_cast<std::uint64_t>(INT64_MAX) + 1) {
                scalar(tape_kind::integer).number.integer =
                    static_cast<std::int64_t>(0 - magnitude);
                return true;
            }
        }
        // strtod reads up to a NUL: the token is copied out first.
        const std::string token(start, p);
        const double v = std::strtod(token.c_str(), nullptr);
        if (!std::isfinite(v)) return false;  // nlohmann: "number overflow"
        scalar(tape_kind::floating).number.floating = v;
        return true;
    }

    json_tape& t_;
    std::uint32_t key_at_ = 0, key_size_ = 0;
};

json_tape::outcome json_tape::parse(std::string_view text, std::size_t max_depth) {
    nodes_.clear();
    arena_.clear();
    open_.clear();
    // The arena holds every string once, decoded: never more bytes than the
    // text.
    arena_.reserve(text.size());
    tape_builder builder(*this);
    const outcome o = builder.parse(text, max_depth);
    return o == outcome::ok && nodes_.empty() ? outcome::malformed : o;
}

bool json_tape::parse(std::string_view text) {
    return parse(text, static_cast<std::size_t>(-1)) == outcome::ok;
}

double tape_ref::as_double() const noexcept {
    switch (kind()) {
        case tape_kind::integer:
            return static_cast<double>(integer());
        case tape_kind::unsigned_:
            return static_cast<double>(unsigned_integer());
        case tape_kind::floating:
            return floating();
        default:
            return 0;
    }
}

tape_ref tape_ref::member(std::string_view key) const noexcept {
    tape_ref found;
    for (tape_ref c = first_child(); c; c = c.next_sibling(*this)) {
        if (c.key() == key) found = c;
    }
    return found;
}

tape_ref tape_ref::first_child() const noexcept {
    if (node().count == 0) return {};
    return {tape_, index_ + 1};
}

tape_ref tape_ref::next_sibling(const tape_ref& parent) const noexcept {
    const std::uint32_t next = node().end;
    if (next >= parent.node().end) return {};
    return {tape_, next};
}

}  // namespace clickstream::enrich::detail
