#include "batch_v1_rules.h"

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

namespace clickstream::test {
namespace {

using json = nlohmann::json;

// Thrown inside the checker only, to stop at the first violation.
struct stop {
    violation v;
};

[[noreturn]] void fail(const std::string& reason, const std::string& path) {
    throw stop{{reason, path}};
}

std::size_t characters(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) {
        if ((c & 0xC0) != 0x80) ++n;
    }
    return n;
}

void require(const json& o, std::initializer_list<const char*> keys, const std::string& at) {
    for (const char* k : keys) {
        if (!o.contains(k)) fail("missing_field", at + "/" + k);
    }
}

const json& object(const json& v, const std::string& at) {
    if (!v.is_object()) fail("wrong_type", at);
    return v;
}

void string(const json& v, const std::string& at, std::size_t min, std::size_t max,
            const char* pattern = nullptr) {
    if (!v.is_string()) fail("wrong_type", at);
    const auto& s = v.get_ref<const std::string&>();
    const std::size_t n = characters(s);
    if (n > max) fail("too_large", at);
    if (n < min) fail("bad_value", at);
    if (pattern != nullptr && !std::regex_match(s, std::regex(pattern))) fail("bad_value", at);
}

void integer(const json& v, const std::string& at, long long min, long long max) {
    if (!v.is_number_integer()) fail("wrong_type", at);
    const long long x = v.is_number_unsigned() ? static_cast<long long>(v.get<unsigned long long>())
                                               : v.get<long long>();
    if (x < min || x > max) fail("bad_value", at);
}

void enumeration(const json& v, const std::string& at, const std::set<std::string>& allowed) {
    if (!v.is_string()) fail("wrong_type", at);
    if (allowed.count(v.get<std::string>()) == 0) fail("bad_value", at);
}

constexpr long long max_epoch = 9007199254740991LL;
constexpr long long big = 1LL << 62;
const char* const uuid_v4 = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

void size(const json& v, const std::string& at) {
    object(v, at);
    require(v, {"w", "h"}, at);
    integer(v["w"], at + "/w", 0, 100000);
    integer(v["h"], at + "/h", 0, 100000);
}

void context(const json& c, const std::string& at) {
    object(c, at);
    require(c, {"anonymous_id", "platform", "session_timeout_s"}, at);
    string(c["anonymous_id"], at + "/anonymous_id", 1, 128);
    if (c.contains("user_id")) string(c["user_id"], at + "/user_id", 1, 256);
    enumeration(c["platform"], at + "/platform", {"web", "ios", "android", "desktop", "server"});
    if (c.contains("app")) {
        object(c["app"], at + "/app");
        if (c["app"].contains("name")) string(c["app"]["name"], at + "/app/name", 0, 128);
        if (c["app"].contains("version")) string(c["app"]["version"], at + "/app/version", 0, 64);
    }
    if (c.contains("screen")) size(c["screen"], at + "/screen");
    if (c.contains("viewport")) size(c["viewport"], at + "/viewport");
    if (c.contains("language")) string(c["language"], at + "/language", 0, 35);
    if (c.contains("time_zone")) string(c["time_zone"], at + "/time_zone", 0, 64);
    integer(c["session_timeout_s"], at + "/session_timeout_s", 1, 86400);
    if (c.contains("tab_id")) string(c["tab_id"], at + "/tab_id", 1, 64);
    if (c.contains("webdriver") && !c["webdriver"].is_boolean())
        fail("wrong_type", at + "/webdriver");
}

void event(const json& e, const std::string& at) {
    object(e, at);
    require(e, {"id", "type", "ts", "session_id", "session_index", "seq"}, at);
    string(e["id"], at + "/id", 0, 64, uuid_v4);
    enumeration(e["type"], at + "/type",
                {"page_view", "screen_view", "click", "scroll", "hover", "custom", "identify",
                 "conversion"});
    integer(e["ts"], at + "/ts", 0, max_epoch);
    if (e.contains("true_ts")) integer(e["true_ts"], at + "/true_ts", 0, max_epoch);
    string(e["session_id"], at + "/session_id", 1, 64);
    integer(e["session_index"], at + "/session_index", 1, big);
    integer(e["seq"], at + "/seq", 1, big);
    if (e.contains("url")) string(e["url"], at + "/url", 0, 8192);
    if (e.contains("referrer")) string(e["referrer"], at + "/referrer", 0, 8192);
    if (e.contains("title")) string(e["title"], at + "/title", 0, 1024);
    if (e.contains("name")) string(e["name"], at + "/name", 1, 256);
    if (e.contains("props")) {
        const auto& p = object(e["props"], at + "/props");
        if (p.size() > 64) fail("too_large", at + "/props");
        for (const auto& [k, v] : p.items()) {
            const std::string kp = at + "/props/" + k;
            if (characters(k) > 128) fail("too_large", kp);
            if (v.is_string())
                string(v, kp, 0, 1024);
            else if (!v.is_number() && !v.is_boolean())
                fail("wrong_type", kp);
        }
    }
    if (e.contains("value") && !e["value"].is_number()) fail("wrong_type", at + "/value");
    if (e.contains("currency")) string(e["currency"], at + "/currency", 0, 1 << 20, "^[A-Z]{3}$");
    if (e.contains("element")) {
        const auto& el = object(e["element"], at + "/element");
        if (el.contains("selector")) string(el["selector"], at + "/element/selector", 0, 512);
        if (el.contains("text")) string(el["text"], at + "/element/text", 0, 256);
        if (el.contains("href")) string(el["href"], at + "/element/href", 0, 8192);
        if (el.contains("outbound") && !el["outbound"].is_boolean()) {
            fail("wrong_type", at + "/element/outbound");
        }
    }
    if (e.contains("depth")) integer(e["depth"], at + "/depth", 0, 100);
    const auto type = e["type"].get<std::string>();
    if ((type == "custom" || type == "conversion" || type == "screen_view") &&
        !e.contains("name")) {
        fail("missing_field", at + "/name");
    }
    if (type == "scroll" && !e.contains("depth")) fail("missing_field", at + "/depth");
    if ((type == "click" || type == "hover") && !e.contains("element")) {
        fail("missing_field", at + "/element");
    }
    if (e.contains("value") && !e.contains("currency")) fail("missing_field", at + "/currency");
}

void batch(const json& b) {
    object(b, "");
    require(b, {"v", "site", "sent_at", "sdk", "context", "events"}, "");
    if (!b["v"].is_number_integer()) fail("wrong_type", "/v");
    if (b["v"].get<long long>() != 1) fail("unsupported_version", "/v");
    string(b["site"], "/site", 1, 64, "^[A-Za-z0-9_.-]{1,64}$");
    integer(b["sent_at"], "/sent_at", 0, max_epoch);
    object(b["sdk"], "/sdk");
    require(b["sdk"], {"name", "version"}, "/sdk");
    string(b["sdk"]["name"], "/sdk/name", 1, 64);
    string(b["sdk"]["version"], "/sdk/version", 1, 32);
    context(b["context"], "/context");
    if (b.contains("dropped")) {
        const auto& d = object(b["dropped"], "/dropped");
        for (const char* k : {"queue_full", "consent_denied", "rejected"}) {
            if (d.contains(k)) integer(d[k], std::string("/dropped/") + k, 0, big);
        }
    }
    if (!b["events"].is_array()) fail("wrong_type", "/events");
    if (b["events"].empty()) fail("bad_value", "/events");
    if (b["events"].size() > 1000) fail("too_large", "/events");
    for (std::size_t i = 0; i < b["events"].size(); ++i) {
        event(b["events"][i], "/events/" + std::to_string(i));
    }
}

}  // namespace

std::optional<violation> check_batch_v1(std::string_view body) {
    const json b = json::parse(body, nullptr, false);
    if (b.is_discarded()) return violation{"not_json", ""};
    try {
        batch(b);
    } catch (const stop& s) {
        return s.v;
    }
    return std::nullopt;
}

}  // namespace clickstream::test
