// Batch v1 parsing and validation: every golden file of
// docs/contracts/batch-v1/cases.json gives the verdict, reason and JSON
// Pointer it lists; hostile shapes give a clear reason and never a crash.
#include "processor/enrich/batch.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "support/stack.h"

namespace clickstream::enrich {
namespace {

using json = nlohmann::json;

std::string golden(const std::string& file) {
    return test::read_file(test::contracts_dir() / "batch-v1" / file);
}

std::string valid_body() {
    return golden("valid/web_session.json");
}

// `body` is invalid with this reason at this path.
void expect_invalid(const std::string& body, batch_reason reason, const std::string& path) {
    const auto r = parse_batch(body);
    ASSERT_FALSE(r) << "accepted: " << body.substr(0, 200);
    EXPECT_EQ(to_string(r.error().reason), to_string(reason)) << r.error().detail;
    EXPECT_EQ(r.error().path, path) << r.error().detail;
}

TEST(enrich_batch, every_golden_case_gets_its_verdict_reason_and_path) {
    const json cases = json::parse(golden("cases.json"))["cases"];
    ASSERT_GE(cases.size(), 21U);
    for (const auto& c : cases) {
        SCOPED_TRACE(c["file"].get<std::string>());
        const auto r = parse_batch(golden(c["file"].get<std::string>()));
        if (c["valid"].get<bool>()) {
            ASSERT_TRUE(r) << to_string(r.error().reason) << " at " << r.error().path << ": "
                           << r.error().detail;
            EXPECT_EQ(r->events.size(), c["events"].get<std::size_t>());
        } else {
            ASSERT_FALSE(r);
            EXPECT_EQ(to_string(r.error().reason), c["reason"].get<std::string>());
            EXPECT_EQ(r.error().path, c["path"].get<std::string>());
        }
    }
}

TEST(enrich_batch, reads_every_field_of_a_valid_batch) {
    const auto r = parse_batch(valid_body());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->site, "demo-shop");
    EXPECT_EQ(r->sent_at, 1764100003200);
    EXPECT_EQ(r->sdk_name, "clickstream-web");
    EXPECT_EQ(r->context.anonymous_id, "5f0c2b8e-3a1d-4c6b-9e2f-7a8b9c0d1e2f");
    EXPECT_EQ(r->context.platform, "web");
    ASSERT_TRUE(r->context.screen);
    EXPECT_EQ(r->context.screen->w, 1920);
    EXPECT_EQ(r->context.session_timeout_s, 1800);
    EXPECT_EQ(r->context.tab_id, "t-3f9a");
    EXPECT_FALSE(r->context.webdriver);
    ASSERT_EQ(r->events.size(), 4U);
    EXPECT_EQ(r->events[0].type, "page_view");
    EXPECT_EQ(r->events[0].referrer, "https://www.google.com/");
    EXPECT_EQ(r->events[1].element->selector, "button#add-to-cart");
    EXPECT_EQ(r->events[2].depth, 50);
    EXPECT_EQ(r->events[3].element->outbound, true);
    const auto app = parse_batch(golden("valid/app_purchase.json"));
    ASSERT_TRUE(app);
    bool has_value = false;
    for (const auto& e : app->events) {
        if (e.value) {
            has_value = true;
            EXPECT_EQ(e.currency.size(), 3U);
        }
    }
    EXPECT_TRUE(has_value);
    const auto import = parse_batch(golden("valid/server_import.json"));
    ASSERT_TRUE(import);
    EXPECT_EQ(import->events[0].true_ts, 1761400000000);
}

// Every field of a batch, for comparing two.
json fields(const batch& b) {
    const auto size = [](const std::optional<batch_size>& s) {
        return s ? json{s->w, s->h} : json();
    };
    json j = {{"v", b.v},
              {"site", b.site},
              {"sent_at", b.sent_at},
              {"sdk", {b.sdk_name, b.sdk_version}},
              {"context",
               {b.context.anonymous_id, b.context.user_id, b.context.platform, b.context.app_name,
                b.context.app_version, size(b.context.screen), size(b.context.viewport),
                b.context.language, b.context.time_zone, b.context.session_timeout_s,
                b.context.tab_id, b.context.webdriver}},
              {"dropped", {b.dropped.queue_full, b.dropped.consent_denied, b.dropped.rejected}},
              {"events", json::array()}};
    for (const auto& e : b.events) {
        json element;
        if (e.element) {
            element = {e.element->selector, e.element->text, e.element->href,
                       e.element->outbound ? json(*e.element->outbound) : json()};
        }
        j["events"].push_back({e.id, e.type, e.ts, e.true_ts ? json(*e.true_ts) : json(),
                               e.session_id, e.session_index, e.seq, e.url, e.referrer, e.title,
                               e.name, e.props, e.value ? json(*e.value) : json(), e.currency,
                               element, e.depth ? json(*e.depth) : json()});
    }
    return j;
}

TEST(enrich_batch, a_reused_batch_holds_exactly_what_a_fresh_parse_gives) {
    // The full web session with every optional field and fewer events: what
    // the previous body left must not show through.
    json sparse = json::parse(valid_body());
    for (const char* k : {"screen", "viewport", "language", "time_zone", "tab_id", "webdriver"}) {
        sparse["context"].erase(k);
    }
    sparse.erase("dropped");
    sparse["events"] = json::array({sparse["events"][0]});
    for (const char* k : {"url", "referrer", "title"}) sparse["events"][0].erase(k);
    json full = json::parse(valid_body());
    full["context"]["user_id"] = "u-1";
    full["events"][0]["props"] = {{"plan", "pro"}, {"n", 2}};
    full["events"][0]["name"] = "landing";
    full["events"][0]["true_ts"] = 1764100003000;
    full["dropped"] = {{"queue_full", 1}, {"consent_denied", 2}, {"rejected", 3}};
    std::vector<std::string> bodies = {full.dump(), sparse.dump(), valid_body()};
    for (const char* f : {"valid/app_purchase.json", "valid/server_import.json"}) {
        bodies.push_back(golden(f));
    }
    bodies.push_back(sparse.dump());
    batch reused;
    for (const auto& first : bodies) {
        for (const auto& second : bodies) {
            ASSERT_TRUE(parse_batch(first, reused));
            ASSERT_TRUE(parse_batch(second, reused));
            const auto fresh = parse_batch(second);
            ASSERT_TRUE(fresh);
            EXPECT_EQ(fields(reused).dump(), fields(*fresh).dump());
        }
    }
    // A refused body between two good ones leaves nothing behind either.
    ASSERT_TRUE(parse_batch(full.dump(), reused));
    EXPECT_FALSE(parse_batch(R"({"v":1,"site":"demo-shop"})", reused));
    ASSERT_TRUE(parse_batch(sparse.dump(), reused));
    EXPECT_EQ(fields(reused).dump(), fields(*parse_batch(sparse.dump())).dump());
    EXPECT_NE(fields(reused).dump(), fields(*parse_batch(full.dump())).dump());
}

TEST(enrich_batch, not_json_and_not_utf8) {
    expect_invalid("", batch_reason::not_json, "");
    expect_invalid("{", batch_reason::not_json, "");
    expect_invalid("\x1f\x8b\x08\x00 gzip bytes", batch_reason::not_json, "");
    std::string bad_utf8 = valid_body();
    bad_utf8.replace(bad_utf8.find("Blue mug"), 4, "Bl\xff\xfe");
    expect_invalid(bad_utf8, batch_reason::not_json, "");
    // An overlong encoding of '/' is not UTF-8 either.
    std::string overlong = valid_body();
    overlong.replace(overlong.find("Blue mug"), 4, "\xc0\xaf\xc0\xaf");
    expect_invalid(overlong, batch_reason::not_json, "");
    expect_invalid(valid_body() + "{}", batch_reason::not_json, "");
}

// The reason is too_large whether or not the body is JSON: the parse stops
// at the first bracket too deep, and a body it refuses earlier, or that
// ends at a NUL byte, is scanned for depth as well.
TEST(enrich_batch, deep_nesting_is_refused_before_parsing) {
    expect_invalid(std::string(100000, '['), batch_reason::too_large, "");
    expect_invalid("{\"v\":x," + std::string(40, '['), batch_reason::too_large, "");
    expect_invalid(valid_body() + std::string(1, '\0') + std::string(40, '['),
                   batch_reason::too_large, "");
    expect_invalid("{\"v\":x," + std::string(10, '['), batch_reason::not_json, "");
    std::string deep = valid_body();
    deep.insert(deep.find("\"events\""),
                "\"x\":" + std::string(20, '[') + std::string(20, ']') + ",");
    expect_invalid(deep, batch_reason::too_large, "");
    // Brackets inside strings are text, not nesting.
    std::string text = valid_body();
    text.replace(text.find("Blue mug"), 8, std::string(40, '['));
    EXPECT_TRUE(parse_batch(text));
}

TEST(enrich_batch, size_limits) {
    batch_limits small;
    small.max_body_bytes = 100;
    const auto r = parse_batch(valid_body(), small);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, batch_reason::too_large);

    json b = json::parse(valid_body());
    const json one = b["events"][0];
    b["events"] = json::array();
    for (int i = 0; i < 1001; ++i) b["events"].push_back(one);
    expect_invalid(b.dump(), batch_reason::too_large, "/events");

    b = json::parse(valid_body());
    b["events"][0]["url"] = "https://x.example/" + std::string(9000, 'a');
    expect_invalid(b.dump(), batch_reason::too_large, "/events/0/url");
    b = json::parse(valid_body());
    b["events"][1]["props"] = json::object();
    for (int i = 0; i < 65; ++i) b["events"][1]["props"]["k" + std::to_string(i)] = i;
    expect_invalid(b.dump(), batch_reason::too_large, "/events/1/props");
    // Multi-byte characters count once, as JSON Schema counts them.
    b = json::parse(valid_body());
    std::string title;
    for (int i = 0; i < 1024; ++i) title += "é";
    b["events"][0]["title"] = title;
    EXPECT_TRUE(parse_batch(b.dump()));
}

TEST(enrich_batch, wrong_types_name_the_field) {
    const auto with = [](const std::string& pointer, const json& value) {
        json b = json::parse(valid_body());
        b[json::json_pointer(pointer)] = value;
        return b.dump();
    };
    expect_invalid(with("/events", json::object()), batch_reason::wrong_type, "/events");
    expect_invalid(with("/events/0", "page_view"), batch_reason::wrong_type, "/events/0");
    expect_invalid(with("/events/0/ts", 1.5), batch_reason::wrong_type, "/events/0/ts");
    expect_invalid(with("/events/0/ts", "1764100000000"), batch_reason::wrong_type, "/events/0/ts");
    expect_invalid(with("/events/0/seq", true), batch_reason::wrong_type, "/events/0/seq");
    expect_invalid(with("/context", json::array()), batch_reason::wrong_type, "/context");
    expect_invalid(with("/context/webdriver", "yes"), batch_reason::wrong_type,
                   "/context/webdriver");
    expect_invalid(with("/context/screen/w", "1920"), batch_reason::wrong_type,
                   "/context/screen/w");
    expect_invalid(with("/site", 7), batch_reason::wrong_type, "/site");
    expect_invalid(with("/sdk", "web"), batch_reason::wrong_type, "/sdk");
    expect_invalid(with("/events/1/element", "button"), batch_reason::wrong_type,
                   "/events/1/element");
    expect_invalid(with("/events/1/props", json::object({{"a/b", json::array()}})),
                   batch_reason::wrong_type, "/events/1/props/a~1b");
    expect_invalid(with("/v", "1"), batch_reason::unsupported_version, "/v");
    // A number with a zero fraction is an integer, as JSON Schema says.
    EXPECT_TRUE(parse_batch(with("/events/0/seq", 1.0)));
}

TEST(enrich_batch, bad_values_and_missing_fields) {
    const auto with = [](const std::string& pointer, const json& value) {
        json b = json::parse(valid_body());
        b[json::json_pointer(pointer)] = value;
        return b.dump();
    };
    const auto without = [](const std::string& parent, const std::string& key) {
        json b = json::parse(valid_body());
        b[json::json_pointer(parent)].erase(key);
        return b.dump();
    };
    expect_invalid(with("/site", "no spaces allowed"), batch_reason::bad_value, "/site");
    expect_invalid(with("/sent_at", 9007199254740992ULL), batch_reason::bad_value, "/sent_at");
    expect_invalid(with("/events/0/id", "0B7E4C1A-9F2D-4E8B-A1C3-5D6E7F8A9B0C"),
                   batch_reason::bad_value, "/events/0/id");
    expect_invalid(with("/events/0/session_id", ""), batch_reason::bad_value,
                   "/events/0/session_id");
    expect_invalid(with("/context/session_timeout_s", 0), batch_reason::bad_value,
                   "/context/session_timeout_s");
    expect_invalid(without("/events/2", "depth"), batch_reason::missing_field, "/events/2/depth");
    expect_invalid(without("/events/1", "element"), batch_reason::missing_field,
                   "/events/1/element");
    expect_invalid(without("", "sdk"), batch_reason::missing_field, "/sdk");
    expect_invalid(without("/events/3", "session_index"), batch_reason::missing_field,
                   "/events/3/session_index");
}

// Random damage to valid batches never crashes or throws, and every verdict
// is either valid or names a reason.
TEST(enrich_batch, random_damage_never_crashes) {
    const unsigned seed = std::random_device{}();
    std::printf("seed %u\n", seed);
    std::mt19937 rng(seed);
    const std::string base = valid_body();
    std::size_t invalid = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string body = base;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % body.size();
            switch (rng() % 3) {
                case 0:
                    body[at] = static_cast<char>(rng() % 256);
                    break;
                case 1:
                    body.erase(at, 1 + rng() % 8);
                    break;
                default:
                    body.insert(at, 1, "{}[]\",:0a\\"[rng() % 10]);
                    break;
            }
            if (body.empty()) body = "x";
        }
        const auto r = parse_batch(body);
        if (!r) {
            ++invalid;
            EXPECT_NE(to_string(r.error().reason), "unknown");
        }
    }
    EXPECT_GT(invalid, 2000U) << "seed " << seed;
}

// The body is read through nlohmann's SAX lexer into a flat tape, not its
// DOM: these pin what the DOM decided, so the two cannot drift. Whether a
// body is JSON at all is json::accept's answer, for every damaged body.
TEST(enrich_batch, not_json_exactly_when_nlohmann_refuses_it) {
    const unsigned seed = std::random_device{}();
    std::printf("seed %u\n", seed);
    std::mt19937 rng(seed);
    const std::string base = valid_body();
    std::size_t refused = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string body = base;
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % body.size();
            switch (rng() % 3) {
                case 0:
                    body[at] = static_cast<char>(rng() % 256);
                    break;
                case 1:
                    body.erase(at, 1 + rng() % 4);
                    break;
                default:
                    body.insert(at, 1, "{}[]\",:0-.eE\\u"[rng() % 15]);
                    break;
            }
            if (body.empty()) body = "x";
        }
        const auto r = parse_batch(body);
        const bool not_json = !r && r.error().reason == batch_reason::not_json;
        const bool too_deep =
            !r && r.error().reason == batch_reason::too_large && r.error().path.empty();
        if (too_deep) continue;
        refused += not_json;
        ASSERT_EQ(not_json, !json::accept(body)) << "seed " << seed << " body " << body;
    }
    EXPECT_GT(refused, 500U) << "seed " << seed;
}

TEST(enrich_batch, reads_strings_numbers_and_repeats_as_the_dom_does) {
    json b = json::parse(valid_body());
    // Escapes, a surrogate pair, NUL, and non-ASCII text decode to the same bytes.
    b["events"][0]["title"] =
        std::string("tab\t \"quoted\" \\ / \xF0\x9F\x98\x80 caf\xC3\xA9 nul") +
        std::string(1, '\0') + "end";
    b["events"][1]["props"] = {
        {"zeta", 1.5},    {"alpha", "x\"y"}, {"big", 18446744073709551615ULL},
        {"neg", -42},     {"flag", false},   {"sci", 1e-7},
        {"whole", 100.0}, {"/", "slash"}};
    std::string body = b.dump(-1, ' ', true);  // \uXXXX escapes for everything non-ASCII
    // A repeated key: the last one counts, as in the DOM (an object member
    // written again replaces the first).
    const std::string ts = "\"ts\":" + std::to_string(b["events"][2]["ts"].get<std::int64_t>());
    body.replace(body.find(ts), ts.size(), "\"ts\":1," + ts);
    // A byte order mark is skipped, as nlohmann's lexer skips it.
    body = "\xEF\xBB\xBF" + body;
    const auto r = parse_batch(body);
    ASSERT_TRUE(r) << to_string(r.error().reason) << " at " << r.error().path;
    EXPECT_EQ(r->events[0].title, b["events"][0]["title"].get<std::string>());
    EXPECT_EQ(r->events[2].ts, b["events"][2]["ts"].get<std::int64_t>());
    // Props come back as one compact object, keys in byte order, each value
    // the same JSON value (numbers as JSON.stringify writes them).
    EXPECT_EQ(r->events[1].props,
              R"({"/":"slash","alpha":"x\"y","big":18446744073709551615,"flag":false,)"
              R"("neg":-42,"sci":1e-7,"whole":100,"zeta":1.5})");
    EXPECT_EQ(json::parse(r->events[1].props), b["events"][1]["props"]);
    // A repeated props key counts once, with its last value.
    json with_props = json::parse(valid_body());
    with_props["events"][1]["props"] = {{"k", 0}};
    std::string twice = with_props.dump();
    const std::string once = R"("props":{"k":0})";
    twice.replace(twice.find(once), once.size(), R"("props":{"k":1,"k":"two"})");
    const auto t = parse_batch(twice);
    ASSERT_TRUE(t);
    EXPECT_EQ(json::parse(t->events[1].props)["k"], "two");
    // And in the context: the last anonymous_id counts.
    std::string ids_twice = valid_body();
    ids_twice.insert(ids_twice.find("\"anonymous_id\":"), "\"anonymous_id\":\"not kept\",");
    const auto u = parse_batch(ids_twice);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->context.anonymous_id, json::parse(valid_body())["context"]["anonymous_id"]);
    // A number past a double's range is not JSON to nlohmann either.
    std::string huge = valid_body();
    huge.replace(huge.find("\"seq\":1"), 7, "\"seq\":1e400");
    expect_invalid(huge, batch_reason::not_json, "");
    // A whole-number double reads as an integer; v must be an integer 1.
    std::string v_float = valid_body();
    v_float.replace(v_float.find("\"v\":1"), 5, "\"v\":1.0");
    expect_invalid(v_float, batch_reason::unsupported_version, "/v");
}

TEST(enrich_batch, pixel_query_is_one_event) {
    const auto r = parse_pixel(
        "s=demo-shop&aid=a1&sid=s1&id=0b7e4c1a-9f2d-4e8b-a1c3-5d6e7f8a9b0c&ts=1764100000000"
        "&u=https%3A%2F%2Fshop.example%2F%3Futm_source%3Dmail&r=https%3A%2F%2Fwww.bing.com%2F"
        "&t=Home+page&extra=ignored");
    ASSERT_TRUE(r) << to_string(r.error().reason) << " " << r.error().path;
    EXPECT_EQ(r->site, "demo-shop");
    EXPECT_EQ(r->sdk_name, "pixel");
    EXPECT_EQ(r->sent_at, 1764100000000);
    ASSERT_EQ(r->events.size(), 1U);
    EXPECT_EQ(r->events[0].type, "page_view");
    EXPECT_EQ(r->events[0].url, "https://shop.example/?utm_source=mail");
    EXPECT_EQ(r->events[0].title, "Home page");
    EXPECT_EQ(r->context.platform, "web");
}

TEST(enrich_batch, pixel_errors_name_the_batch_field) {
    const std::string base =
        "s=demo-shop&aid=a1&sid=s1&id=0b7e4c1a-9f2d-4e8b-a1c3-5d6e7f8a9b0c&ts=1764100000000";
    const auto missing = parse_pixel("s=demo-shop&aid=a1");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().reason, batch_reason::missing_field);
    const auto ts = parse_pixel(base + "&q=abc");
    ASSERT_FALSE(ts);
    EXPECT_EQ(ts.error().reason, batch_reason::wrong_type);
    EXPECT_EQ(ts.error().path, "/events/0/seq");
    const auto type = parse_pixel(base + "&e=teleport");
    ASSERT_FALSE(type);
    EXPECT_EQ(type.error().path, "/events/0/type");
    const auto utf8 = parse_pixel(base + "&t=\xff");
    ASSERT_FALSE(utf8);
    EXPECT_EQ(utf8.error().reason, batch_reason::not_json);
}

}  // namespace
}  // namespace clickstream::enrich
