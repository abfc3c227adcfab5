// Batch v1 (docs/contracts/batch-v1.schema.json) as the enrich stage reads
// it: a raw message's body → a parsed, validated batch, or the first
// violation as a reason code and a JSON Pointer, exactly as
// docs/contracts/batch-v1/cases.json lists them.
//
// Hostile input is normal here (anything on the internet can POST): every
// malformed shape — not JSON, invalid UTF-8, nesting or arrays past the
// limits, wrong types — comes back as a batch_error value, never an
// exception, a crash or unbounded work. Nesting is checked by a linear scan
// before the JSON parser runs, so a body of 100,000 '[' costs one pass.
//
// The pixel (GET /v1/p.gif?…) carries one event in short query parameters;
// parse_pixel() maps them onto a batch of one event and validates that the
// same way (paths then name the batch field the parameter fills).
#pragma once

#include <clickstream/result.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clickstream::enrich {

// The reasons of docs/contracts/README.md ("Validation reasons").
enum class batch_reason {
    not_json,             // not well-formed JSON, or not UTF-8
    wrong_type,           // a value of the wrong JSON type
    missing_field,        // a required field is absent
    unsupported_version,  // `v` is not 1
    bad_value,            // right type, value not allowed
    too_large,            // body bytes, events, string length, nesting depth
};

std::string_view to_string(batch_reason r) noexcept;

struct batch_error {
    batch_reason reason = batch_reason::not_json;
    std::string path;    // JSON Pointer of the first violation ("" is the document)
    std::string detail;  // for people: what was expected
};

struct batch_limits {
    // Bodies past this are refused before parsing. The SDKs never send more
    // than 64 KiB (what sendBeacon carries); the collector inflates up to its
    // own limit, so this only guards against a misconfigured collector.
    std::size_t max_body_bytes = 1024 * 1024;
    // Batch v1's deepest value is 4 levels down (/events/0/props/x); 16
    // leaves room for fields added later.
    std::size_t max_depth = 16;
};

struct batch_element {
    std::string selector, text, href;
    std::optional<bool> outbound;
};

struct batch_event {
    std::string id;
    std::string type;
    std::int64_t ts = 0;
    std::optional<std::int64_t> true_ts;
    std::string session_id;
    std::int64_t session_index = 0;
    std::int64_t seq = 0;
    std::string url, referrer, title, name;
    std::string props;  // the props object as compact JSON ("" when absent)
    std::optional<double> value;
    std::string currency;
    std::optional<batch_element> element;
    std::optional<int> depth;
};

struct batch_size {
    std::int64_t w = 0, h = 0;
};

struct batch_context {
    std::string anonymous_id, user_id, platform;
    std::string app_name, app_version;
    std::optional<batch_size> screen, viewport;
    std::string language, time_zone;
    std::int64_t session_timeout_s = 0;
    std::string tab_id;
    bool webdriver = false;
};

struct batch_dropped {
    std::int64_t queue_full = 0, consent_denied = 0, rejected = 0;
};

struct batch {
    int v = 1;
    std::string site;
    std::int64_t sent_at = 0;
    std::string sdk_name, sdk_version;
    batch_context context;
    batch_dropped dropped;
    std::vector<batch_event> events;
};

using batch_result = clickstream::result<batch, batch_error>;

// Parses and validates a batch v1 body (UTF-8 JSON).
batch_result parse_batch(std::string_view body, const batch_limits& limits = {});

// The same, into a batch the caller keeps from one body to the next: its
// strings and events keep their storage, so a stage parsing batch after batch
// stops allocating for them. On success `into` is exactly what parse_batch
// returns; on failure it holds an unspecified partial batch.
clickstream::result<void, batch_error> parse_batch(std::string_view body, batch& into,
                                                   const batch_limits& limits = {});

// The pixel's query string (what the collector puts in the body with the
// content type application/x-www-form-urlencoded), mapped onto a batch of
// one event:
//   s site · aid anonymous_id · uid user_id · p platform (web)
//   to session_timeout_s (1800) · tab tab_id · wd webdriver ("1"/"true")
//   id event id · e type (page_view) · ts device ms · tts true_ts
//   sat sent_at (= ts) · sid session_id · si session_index (1) · q seq (1)
//   u url · r referrer · t title · n name · v value · c currency
// Unknown parameters are ignored; numbers that do not parse are bad_value.
batch_result parse_pixel(std::string_view query, const batch_limits& limits = {});

}  // namespace clickstream::enrich
