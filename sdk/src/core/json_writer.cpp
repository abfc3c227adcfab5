#include "json_writer.h"

#include <locale.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace clickstream {
namespace {

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

// The C locale, so that printf and strtod use '.' whatever the app set.
locale_t c_locale() {
    static const locale_t loc = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    return loc;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
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
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// ECMAScript Number::toString: from the shortest digits d1..dk and the
// decimal exponent n (value = 0.d1..dk * 10^n), choose plain or exponent form.
void append_json_number(std::string& out, double v) {
    if (v == 0) {  // -0 too, as JSON.stringify writes it
        out += '0';
        return;
    }
    // The shortest precision that reads back to v, in the C locale (printf and
    // strtod are correctly rounded in glibc and in Emscripten's musl alike).
    char buf[40];
    const locale_t previous = uselocale(c_locale());
    for (int precision = 0; precision < 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*e", precision, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    uselocale(previous);

    // buf is [-]d[.ddd]e(+|-)xx
    const char* p = buf;
    if (*p == '-') {
        out += '-';
        ++p;
    }
    char digits[20];
    int k = 0;
    for (; *p != 'e'; ++p) {
        if (*p >= '0' && *p <= '9') digits[k++] = *p;
    }
    while (k > 1 && digits[k - 1] == '0') --k;
    const int n = std::atoi(p + 1) + 1;

    if (k <= n && n <= 21) {
        out.append(digits, static_cast<std::size_t>(k));
        out.append(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out.append(digits, static_cast<std::size_t>(n));
        out += '.';
        out.append(digits + n, static_cast<std::size_t>(k - n));
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out.append(digits, static_cast<std::size_t>(k));
    } else {
        out += digits[0];
        if (k > 1) {
            out += '.';
            out.append(digits + 1, static_cast<std::size_t>(k - 1));
        }
        out += 'e';
        out += n - 1 > 0 ? '+' : '-';
        append_json_integer(out, n - 1 > 0 ? n - 1 : 1 - n);
    }
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
