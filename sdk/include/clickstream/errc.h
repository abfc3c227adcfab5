// The SDK's error codes. The numbers are stable: the C API's cs_err_t uses
// the same values, negated (clickstream.h).
#pragma once

namespace clickstream {

enum class errc : int {
    ok = 0,
    invalid_argument = 1,  // a value outside the contract (empty name, bad currency, depth > 100)
    too_large = 2,         // a string over its limit, or an event that cannot fit in a batch
    storage_failed = 3,    // the event_store could not write; the event is kept in memory only
    queue_full = 4,        // the bounded queue dropped its oldest events
    consent_denied = 5,    // discarded because the user denied consent
    rejected = 6,          // the collector refused a batch (a 4xx other than 408 and 429)
    shutting_down = 7,     // the tracker is stopping and takes no more events
    timed_out = 8,         // flush or shutdown ran out of time; what is left stays stored
    no_transport = 9,      // the SDK was built without a transport and none was given
    io_error = 10,         // a file or network call failed
    corrupt_record = 11,   // a stored record failed its checksum or could not be read
};

// A short, stable English description ("queue full").
const char* to_string(errc e) noexcept;

}  // namespace clickstream
