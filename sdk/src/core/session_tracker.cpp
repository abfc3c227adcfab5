#include "session_tracker.h"

#include "json_writer.h"
#include "uuid.h"

namespace clickstream {
namespace {

constexpr std::string_view session_key = "session";

// Reads "<word> <int> [<int>]" as written by save().
bool parse_fields(std::string_view s, std::string& word, std::int64_t& a, std::int64_t* b) {
    const auto sp = s.find(' ');
    if (sp == std::string_view::npos || sp == 0) return false;
    word.assign(s.substr(0, sp));
    const char* p = s.data() + sp + 1;
    const char* end = s.data() + s.size();
    if (!parse_signed(p, end, a)) return false;
    if (b == nullptr) return p == end;
    if (p == end || *p != ' ') return false;
    ++p;
    return parse_signed(p, end, *b) && p == end;
}

std::string join(std::string_view word, std::int64_t a) {
    std::string s(word);
    s += ' ';
    append_json_integer(s, a);
    return s;
}

}  // namespace

session_tracker::session_tracker(event_store& store, random_source& random, std::int64_t timeout_ms,
                                 std::string tab_id)
    : store_(store),
      random_(random),
      timeout_ms_(timeout_ms),
      seq_key_(tab_id.empty() ? std::string("seq") : "seq." + tab_id) {}

void session_tracker::load() {
    // The store is the cookie: another tab may have moved the session on.
    // An empty value is a reset; an unreadable one leaves memory in charge.
    if (auto s = store_.get(session_key)) {
        state loaded;
        if (s->empty())
            session_ = {};
        else if (parse_fields(*s, loaded.id, loaded.index, &loaded.last_ms))
            session_ = std::move(loaded);
    }
    if (auto s = store_.get(seq_key_)) {
        std::string id;
        std::int64_t seq = 0;
        if (s->empty()) {
            seq_session_.clear();
            seq_ = 0;
        } else if (parse_fields(*s, id, seq, nullptr)) {
            seq_session_ = std::move(id);
            seq_ = seq;
        }
    }
}

void session_tracker::save() {
    std::string s = join(session_.id, session_.index);
    s += ' ';
    append_json_integer(s, session_.last_ms);
    const bool a = static_cast<bool>(store_.put(session_key, s));
    const bool b = static_cast<bool>(store_.put(seq_key_, join(seq_session_, seq_)));
    stored_ = a && b;
}

session_tracker::assignment session_tracker::on_event(std::int64_t t) {
    load();
    const bool expired = session_.index == 0 || t - session_.last_ms >= timeout_ms_;
    if (expired) {
        session_.id = make_uuid_v4(random_);
        session_.index += 1;
        session_.last_ms = t;
    } else if (t > session_.last_ms) {
        session_.last_ms = t;
    }
    if (std::string_view(seq_session_) != session_.id) {
        // assign(data, size), not operator=: the wasm beacon then needs no
        // std::string copy assignment (see tracker_core::start).
        seq_session_.assign(session_.id.data(), session_.id.size());
        seq_ = 0;
    }
    ++seq_;
    save();
    return {session_.id, session_.index, seq_};
}

void session_tracker::skip_seq(std::int64_t n) {
    load();
    if (session_.index == 0 || seq_session_ != session_.id) return;  // no session to skip in
    seq_ += n;
    save();
}

void session_tracker::reset() {
    session_ = {};
    seq_session_.clear();
    seq_ = 0;
    // An empty id is read back as "no session".
    stored_ = static_cast<bool>(store_.put(session_key, "")) &&
              static_cast<bool>(store_.put(seq_key_, ""));
}

}  // namespace clickstream
