// json_tape: a parsed JSON document as one flat array of nodes plus one
// buffer of string bytes, both reused from document to document (internal
// to the enrich library).
//
// Why: nlohmann::json's DOM costs a heap allocation per object (a std::map),
// per member and per string, which was half the enrich stage's time; its SAX
// lexer, which filled the tape next, still copied every string byte by byte
// (a fifth of the stage). The tape is now read in one pass of its own that
// accepts exactly what nlohmann's lexer accepts (UTF-8, escapes, numbers, a
// leading BOM, number overflow, the end at a NUL byte) and reads the same
// numbers: json_tape_test.cpp holds the two together on edge cases, the
// fuzz corpus and mutations of it.
//
// Layout: a container node is followed by its children; `end` is the index
// after a node's subtree, so siblings are found by jumping. A child of an
// object carries its key. Duplicate keys are all kept; lookups answer the
// last one, as nlohmann's DOM does (a later member overwrites an earlier).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clickstream::enrich::detail {

enum class tape_kind : std::uint8_t {
    null,
    boolean,
    integer,    // negative integer (nlohmann: number_integer)
    unsigned_,  // non-negative integer (nlohmann: number_unsigned)
    floating,   // a number with a fraction or exponent (nlohmann: number_float)
    string,
    object,
    array,
};

struct tape_node {
    tape_kind kind = tape_kind::null;
    bool boolean = false;
    std::uint32_t end = 0;                   // index after this node's subtree
    std::uint32_t count = 0;                 // children of an object or array
    std::uint32_t key_at = 0, key_size = 0;  // in the arena, for object members
    std::uint32_t str_at = 0, str_size = 0;  // in the arena, for strings
    union {
        std::int64_t integer;
        std::uint64_t unsigned_;
        double floating;
    } number{0};
};

class json_tape {
public:
    // Parses `text`; false when it is not well-formed JSON (nothing else is
    // checked here). The previous document is discarded, its memory kept.
    bool parse(std::string_view text);

    enum class outcome { ok, malformed, too_deep };
    // The same, stopping at the first array or object nested deeper than
    // `max_depth` (too_deep: the text up to there was well-formed, so its
    // brackets nest that deep whatever follows). malformed says nothing of
    // the depth of what follows the error.
    outcome parse(std::string_view text, std::size_t max_depth);

    const std::vector<tape_node>& nodes() const noexcept { return nodes_; }
    std::string_view text(std::uint32_t at, std::uint32_t size) const noexcept {
        return {arena_.data() + at, size};
    }

    // Used by the SAX handler while parsing.
    std::vector<tape_node>& mutable_nodes() noexcept { return nodes_; }
    std::string& arena() noexcept { return arena_; }

private:
    std::vector<tape_node> nodes_;
    std::string arena_;
    std::vector<std::uint32_t> open_;  // indexes of the containers being filled
    friend class tape_builder;
};

// A node of a tape, or absent (a member that is not there).
class tape_ref {
public:
    tape_ref() = default;
    tape_ref(const json_tape* tape, std::uint32_t index) : tape_(tape), index_(index) {}

    explicit operator bool() const noexcept { return tape_ != nullptr; }

    tape_kind kind() const noexcept { return node().kind; }
    bool is_object() const noexcept { return kind() == tape_kind::object; }
    bool is_array() const noexcept { return kind() == tape_kind::array; }
    bool is_string() const noexcept { return kind() == tape_kind::string; }
    bool is_boolean() const noexcept { return kind() == tape_kind::boolean; }
    bool is_number() const noexcept {
        const auto k = kind();
        return k == tape_kind::integer || k == tape_kind::unsigned_ || k == tape_kind::floating;
    }

    std::string_view str() const noexcept { return tape_->text(node().str_at, node().str_size); }
    std::string_view key() const noexcept { return tape_->text(node().key_at, node().key_size); }
    bool boolean() const noexcept { return node().boolean; }
    std::int64_t integer() const noexcept { return node().number.integer; }
    std::uint64_t unsigned_integer() const noexcept { return node().number.unsigned_; }
    double floating() const noexcept { return node().number.floating; }
    // Any number as a double (as nlohmann's get<double>() converts).
    double as_double() const noexcept;
    std::uint32_t size() const noexcept { return node().count; }

    // The member `key` of an object (the last one of that name), or absent.
    tape_ref member(std::string_view key) const noexcept;
    // Children in document order: first() then next() until absent.
    tape_ref first_child() const noexcept;
    tape_ref next_sibling(const tape_ref& parent) const noexcept;

private:
    const tape_node& node() const noexcept { return tape_->nodes()[index_]; }
    const json_tape* tape_ = nullptr;
    std::uint32_t index_ = 0;
};

}  // namespace clickstream::enrich::detail
