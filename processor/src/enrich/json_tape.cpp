#include "json_tape.h"

#include <nlohmann/json.hpp>

namespace clickstream::enrich::detail {

// nlohmann's SAX events → tape nodes. Each handler returns true to go on.
class tape_builder {
public:
    using json = nlohmann::json;
    explicit tape_builder(json_tape& t) : t_(t) {}

    bool null() { return scalar(tape_kind::null); }
    bool boolean(bool v) {
        scalar(tape_kind::boolean);
        t_.nodes_.back().boolean = v;
        return true;
    }
    bool number_integer(json::number_integer_t v) {
        scalar(tape_kind::integer);
        t_.nodes_.back().number.integer = v;
        return true;
    }
    bool number_unsigned(json::number_unsigned_t v) {
        scalar(tape_kind::unsigned_);
        t_.nodes_.back().number.unsigned_ = v;
        return true;
    }
    bool number_float(json::number_float_t v, const json::string_t& /*text*/) {
        scalar(tape_kind::floating);
        t_.nodes_.back().number.floating = v;
        return true;
    }
    bool string(json::string_t& v) {
        scalar(tape_kind::string);
        auto& n = t_.nodes_.back();
        n.str_at = static_cast<std::uint32_t>(t_.arena_.size());
        n.str_size = static_cast<std::uint32_t>(v.size());
        t_.arena_.append(v);
        return true;
    }
    bool binary(json::binary_t& /*v*/) { return false; }  // not in JSON text
    bool start_object(std::size_t /*elements*/) { return open(tape_kind::object); }
    bool key(json::string_t& k) {
        key_at_ = static_cast<std::uint32_t>(t_.arena_.size());
        key_size_ = static_cast<std::uint32_t>(k.size());
        t_.arena_.append(k);
        return true;
    }
    bool end_object() { return close(); }
    bool start_array(std::size_t /*elements*/) { return open(tape_kind::array); }
    bool end_array() { return close(); }
    bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                     const nlohmann::detail::exception& /*e*/) {
        return false;
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
    bool scalar(tape_kind kind) {
        // Two statements: in `add(kind).end = size()` the size is read first
        // (C++17 sequences an assignment's right side before its left), which
        // made a scalar its own next sibling.
        tape_node& n = add(kind);
        n.end = static_cast<std::uint32_t>(t_.nodes_.size());
        return true;
    }
    bool open(tape_kind kind) {
        add(kind);
        t_.open_.push_back(static_cast<std::uint32_t>(t_.nodes_.size() - 1));
        return true;
    }
    bool close() {
        t_.nodes_[t_.open_.back()].end = static_cast<std::uint32_t>(t_.nodes_.size());
        t_.open_.pop_back();
        return true;
    }

    json_tape& t_;
    std::uint32_t key_at_ = 0, key_size_ = 0;
};

bool json_tape::parse(std::string_view text) {
    nodes_.clear();
    arena_.clear();
    open_.clear();
    // The arena holds every string once: never more bytes than the text.
    arena_.reserve(text.size());
    tape_builder builder(*this);
    // strict: nothing but whitespace may follow the value.
    return nlohmann::json::sax_parse(text.begin(), text.end(), &builder,
                                     nlohmann::json::input_format_t::json, true) &&
           !nodes_.empty();
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
