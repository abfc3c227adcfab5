// json_writer: the core's compact JSON output, written by hand (the wasm
// budget has no room for a JSON library). Keys come out in the order they
// are written; strings are escaped as JSON.stringify escapes them (see
// docs/contracts/README.md); invalid UTF-8 becomes U+FFFD, so a batch is
// always well-formed (but in a build with CLICKSTREAM_TRUSTED_UTF8, for a
// host whose strings are valid UTF-8 by construction: json_writer.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace clickstream {

// Appends s as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view s);
// Appends an integer: no fraction, no exponent.
void append_json_integer(std::string& out, std::int64_t v);
// Appends a finite double as JavaScript's Number#toString writes it: the
// shortest decimal that reads back to the same double. Defined in
// json_number.cpp, which the wasm beacon replaces with the host's own.
void append_json_number(std::string& out, double v);
// An integer in decimal ("-12"), as std::to_string writes it.
std::string decimal(std::int64_t v);

// Reads decimal digits at p (no sign, no spaces) as std::from_chars does, and
// moves p past them: false when there is no digit or the value overflows.
// Hand-written, like the rest: <charconv> costs the wasm beacon a kilobyte.
bool parse_unsigned(const char*& p, const char* end, std::uint64_t& v) noexcept;
// The same with an optional leading '-'.
bool parse_signed(const char*& p, const char* end, std::int64_t& v) noexcept;

class json_writer {
public:
    explicit json_writer(std::string& out) : out_(out) {}

    json_writer& begin_object() { return open('{'); }
    json_writer& begin_object(std::string_view key) { return key_then(key).open('{'); }
    json_writer& end_object() { return close('}'); }
    json_writer& begin_array(std::string_view key) { return key_then(key).open('['); }
    json_writer& end_array() { return close(']'); }

    json_writer& string_member(std::string_view key, std::string_view v);
    json_writer& integer_member(std::string_view key, std::int64_t v);
    json_writer& number_member(std::string_view key, double v);
    json_writer& bool_member(std::string_view key, bool v);
    // An already encoded JSON value, as the next array element.
    json_writer& raw_element(std::string_view json);

private:
    json_writer& open(char c);
    json_writer& close(char c);
    json_writer& key_then(std::string_view key);
    void separate();

    std::string& out_;
    // No stack needed: after a value (a container included) a comma follows.
    bool first_ = true;
};

}  // namespace clickstream
