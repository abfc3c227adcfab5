// session_tracker: the session cookie's rules. A session rolls: every event
// extends it, and an event at least `timeout` after the previous one opens a
// new session (a cookie set with that max-age is gone at exactly that
// moment). The session index counts sessions per anonymous id; seq counts
// events per (session, tab). State lives in the event_store, so tabs sharing
// a store share the session, and a restarted app continues it.
#pragma once

#include <cstdint>
#include <string>

#include "clickstream/environment.h"

namespace clickstream {

class session_tracker {
public:
    session_tracker(event_store& store, random_source& random, std::int64_t timeout_ms,
                    std::string tab_id);

    struct assignment {
        std::string session_id;
        std::int64_t index = 0;
        std::int64_t seq = 0;
    };

    // The session and seq for an event whose time is t (ms). Times that go
    // backwards (imports) extend nothing and never rotate.
    assignment on_event(std::int64_t t);
    // Consumes n seq numbers of the current session (events lost before they
    // were stamped), so seq gaps and dropped counts still agree.
    void skip_seq(std::int64_t n);
    // A new anonymous id: no session until the next event, which gets index 1.
    void reset();

    void set_timeout_ms(std::int64_t ms) noexcept { timeout_ms_ = ms; }
    std::int64_t timeout_ms() const noexcept { return timeout_ms_; }
    // False if the store refused the last write (the session goes on in memory).
    bool stored() const noexcept { return stored_; }

private:
    struct state {
        std::string id;
        std::int64_t index = 0;  // 0: no session yet
        std::int64_t last_ms = 0;
    };
    void load();
    void save();

    event_store& store_;
    random_source& random_;
    std::int64_t timeout_ms_;
    std::string seq_key_;
    state session_;
    std::string seq_session_;  // the session seq_ counts for
    std::int64_t seq_ = 0;
    bool stored_ = true;
};

}  // namespace clickstream
