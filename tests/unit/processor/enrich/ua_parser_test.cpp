#include "processor/enrich/ua_parser.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <stdexcept>
#include <string>
#include <tuple>

#include "enrich_test_data.h"

namespace clickstream::enrich {
namespace {

struct expected {
    const char* ua;
    std::tuple<const char*, const char*, const char*, const char*>
        browser;  // family major minor patch
    std::tuple<const char*, const char*, const char*, const char*> os;
    std::tuple<const char*, const char*, const char*> device;  // family brand model
    device_type type;
};

// Real user agents. The browser, OS and device answers are what the
// reference port (uap-python 1.0) gives on the same regexes.yaml; the type
// is ours.
const expected real_world[] = {
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36",
     {"Chrome", "120", "0", "0"},
     {"Windows", "10", "", ""},
     {"Other", "", ""},
     device_type::desktop},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.1 Safari/605.1.15",
     {"Safari", "17", "1", ""},
     {"Mac OS X", "10", "15", "7"},
     {"Mac", "Apple", "Mac"},
     device_type::desktop},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
     {"Firefox", "121", "0", ""},
     {"Ubuntu", "", "", ""},
     {"Other", "", ""},
     device_type::desktop},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
     {"Edge", "120", "0", "2210"},
     {"Windows", "10", "", ""},
     {"Other", "", ""},
     device_type::desktop},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
     {"Mobile Safari", "17", "1", "2"},
     {"iOS", "17", "1", "2"},
     {"iPhone", "Apple", "iPhone"},
     device_type::mobile},
    {"Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.6099.144 Mobile Safari/537.36",
     {"Chrome Mobile", "120", "0", "6099"},
     {"Android", "13", "", ""},
     {"Samsung SM-S918B", "Samsung", "SM-S918B"},
     device_type::mobile},
    {"Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
     {"Samsung Internet", "23", "0", ""},
     {"Android", "13", "", ""},
     {"Samsung SM-A536B", "Samsung", "SM-A536B"},
     device_type::mobile},
    {"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/16.6 Mobile/15E148 Safari/604.1",
     {"Mobile Safari", "16", "6", ""},
     {"iOS", "16", "6", ""},
     {"iPad", "Apple", "iPad"},
     device_type::tablet},
    {"Mozilla/5.0 (Linux; Android 12; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.6099.144 Safari/537.36",
     {"Chrome", "120", "0", "6099"},
     {"Android", "12", "", ""},
     {"SM-X700", "Generic_Android_Tablet", "SM-X700"},
     device_type::tablet},
    // Facebook's in-app browser on iOS.
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/21B101 [FBAN/FBIOS;FBAV/444.0.0.41.110;FBBV/540236371;FBDV/iPhone14,5;FBMD/"
     "iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/542079126]",
     {"Facebook", "444", "0", "0"},
     {"iOS", "17", "1", "2"},
     {"iPhone", "Apple", "iPhone14,5"},
     device_type::mobile},
    // Instagram's in-app browser on Android.
    {"Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 Instagram "
     "309.1.0.41.113 Android (33/13; 420dpi; 1080x2400; Google/google; Pixel 7; panther; "
     "panther; en_US; 541635890)",
     {"Instagram", "309", "1", "0"},
     {"Android", "13", "", ""},
     {"Pixel 7", "Google", "Pixel 7"},
     device_type::mobile},
    {"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
     "Gecko) Chrome/119.0.6045.199 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
     "+http://www.google.com/bot.html)",
     {"Googlebot", "2", "1", ""},
     {"Android", "6", "0", "1"},
     {"Spider", "Spider", "Smartphone"},
     device_type::bot},
    {"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
     {"bingbot", "2", "0", ""},
     {"Other", "", "", ""},
     {"Spider", "Spider", "Desktop"},
     device_type::bot},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "HeadlessChrome/120.0.6099.28 Safari/537.36",
     {"HeadlessChrome", "120", "0", "6099"},
     {"Linux", "", "", ""},
     {"Other", "", ""},
     device_type::desktop},
    {"Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
     "76.0.3809.146/6.0 TV Safari/537.36",
     {"Safari", "", "", ""},
     {"Tizen", "6", "0", ""},
     {"Samsung SMART-TV", "Samsung", "SMART-TV"},
     device_type::tv},
    {"Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/91.0.4472.120 Safari/537.36 CrKey/1.56.500000 DeviceType/Chromecast",
     {"Chrome", "91", "0", "4472"},
     {"Chromecast", "1", "56", "500000"},
     {"Other", "", ""},
     device_type::tv},
    {"Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/13.0 Safari/605.1.15",
     {"Safari", "13", "0", ""},
     {"Other", "", "", ""},
     {"PlayStation 5", "Sony", "PlayStation 5"},
     device_type::console},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like "
     "Gecko) Chrome/120.0.0.0 Safari/537.36 Edge/44.18363.8131",
     {"Edge", "44", "18363", "8131"},
     {"Windows", "10", "", ""},
     {"Other", "", ""},
     device_type::console},
    {"curl/8.4.0",
     {"curl", "8", "4", "0"},
     {"Other", "", "", ""},
     {"Other", "", ""},
     device_type::unknown},
};

TEST(enrich_ua_parser, real_world_user_agents) {
    for (const auto& e : real_world) {
        SCOPED_TRACE(e.ua);
        const auto info = test_data::uap().parse(e.ua);
        const auto& [bf, bmaj, bmin, bpatch] = e.browser;
        EXPECT_EQ(info.browser.family, bf);
        EXPECT_EQ(info.browser.major, bmaj);
        EXPECT_EQ(info.browser.minor, bmin);
        EXPECT_EQ(info.browser.patch, bpatch);
        const auto& [of, omaj, omin, opatch] = e.os;
        EXPECT_EQ(info.os.family, of);
        EXPECT_EQ(info.os.major, omaj);
        EXPECT_EQ(info.os.minor, omin);
        EXPECT_EQ(info.os.patch, opatch);
        const auto& [df, brand, model] = e.device;
        EXPECT_EQ(info.device.family, df);
        EXPECT_EQ(info.device.brand, brand);
        EXPECT_EQ(info.device.model, model);
        EXPECT_EQ(to_string(info.type), to_string(e.type));
    }
}

TEST(enrich_ua_parser, empty_and_unknown_user_agents_are_other) {
    for (const char* ua : {"", "\xff\xfe garbage \x01", "x"}) {
        const auto info = test_data::uap().parse(ua);
        EXPECT_EQ(info.browser.family, "Other") << ua;
        EXPECT_EQ(info.browser.major, "") << ua;
        EXPECT_EQ(info.os.family, "Other") << ua;
        EXPECT_EQ(info.device.family, "Other") << ua;
        EXPECT_EQ(info.device.brand, "") << ua;
        EXPECT_EQ(info.type, device_type::unknown) << ua;
    }
}

// The device type against the label the user-agents package gives each of
// its 10,000 real user agents.
TEST(enrich_ua_parser, device_type_agrees_with_the_user_agents_package) {
    std::size_t agree = 0;
    const auto& all = test_data::browser_user_agents();
    for (const auto& [ua, category] : all) {
        const auto type = to_string(test_data::uap().parse(ua).type);
        if (type == category) {
            ++agree;
        } else {
            ADD_FAILURE() << "expected " << category << ", got " << type << ": " << ua;
        }
    }
    std::cout << "device type agrees on " << agree << " of " << all.size() << " user agents\n";
    EXPECT_GT(all.size(), 1000U);
}

TEST(enrich_ua_parser, every_pattern_of_the_file_is_loaded) {
    const auto root = YAML::LoadFile(test_data::paths().uap_regexes.string());
    const auto counts = test_data::uap().pattern_counts();
    EXPECT_EQ(counts.browser, root["user_agent_parsers"].size());
    EXPECT_EQ(counts.os, root["os_parsers"].size());
    EXPECT_EQ(counts.device, root["device_parsers"].size());
    EXPECT_GT(counts.browser + counts.os + counts.device, 1000U);
}

TEST(enrich_ua_parser, no_set_fallbacks_on_real_traffic) {
    const ua_parser parser({test_data::paths().uap_regexes});
    for (const auto& [ua, category] : test_data::browser_user_agents()) (void)parser.parse(ua);
    for (const auto& ua : test_data::crawler_user_agents()) (void)parser.parse(ua);
    EXPECT_EQ(parser.set_fallbacks(), 0U);
}

// The specification's rules, each on a regexes file made for it.
ua_parser parser_of(const std::string& name, const std::string& yaml) {
    return ua_parser({test_data::write_temp_file(name, yaml)});
}

TEST(enrich_ua_parser, spec_first_match_in_file_order_wins) {
    const auto p = parser_of("order.yaml", R"(user_agent_parsers:
  - regex: '(Second)Browser'
  - regex: '(First)Browser/(\d+)'
  - regex: '(First)Browser/(\d+)\.(\d+)'
os_parsers: []
device_parsers: []
)");
    // Both later regexes match; the earlier one in the file wins even though
    // the later one captures more.
    const auto b = p.parse_browser("FirstBrowser/3.4");
    EXPECT_EQ(b.family, "First");
    EXPECT_EQ(b.major, "3");
    EXPECT_EQ(b.minor, "");
    EXPECT_EQ(p.parse_browser("SecondBrowser FirstBrowser/9").family, "Second");
}

TEST(enrich_ua_parser, spec_browser_replacements) {
    const auto p = parser_of("browser.yaml", R"(user_agent_parsers:
  - regex: '(Namoroka|Shiretoko|Minefield)/(\d+)\.(\d+)\.(\d+(?:pre)?)'
    family_replacement: 'Firefox ($1)'
  - regex: 'Lit/(\d+)'
    family_replacement: 'Literal $2'
    v1_replacement: 'v$1'
  - regex: '(Opt)(?:/(\d+))?'
os_parsers: []
device_parsers: []
)");
    // The specification's own example.
    const auto ff = p.parse_browser(
        "Mozilla/5.0 (Windows; Windows NT 5.1; rv:2.0b3pre) Gecko/20100727 Minefield/4.0.1pre");
    EXPECT_EQ(ff.family, "Firefox (Minefield)");
    EXPECT_EQ(ff.major, "4");
    EXPECT_EQ(ff.minor, "0");
    EXPECT_EQ(ff.patch, "1pre");
    // family_replacement substitutes $1 only; v1_replacement is literal.
    const auto lit = p.parse_browser("Lit/7");
    EXPECT_EQ(lit.family, "Literal $2");
    EXPECT_EQ(lit.major, "v$1");
    // An optional group that did not take part is absent.
    const auto opt = p.parse_browser("Opt");
    EXPECT_EQ(opt.family, "Opt");
    EXPECT_EQ(opt.major, "");
}

TEST(enrich_ua_parser, spec_os_replacements_are_templates) {
    const auto p = parser_of("os.yaml", R"(user_agent_parsers: []
os_parsers:
  - regex: 'Win(95|98|3.1|NT|ME|2000)'
    os_replacement: 'Windows $1'
  - regex: 'Thing (\d+)_(\d+)(?:_(\d+))?'
    os_replacement: 'Thing'
    os_v1_replacement: '$1'
    os_v2_replacement: '$2.$3'
    os_v3_replacement: ' $3 '
device_parsers: []
)");
    EXPECT_EQ(p.parse_os("Mozilla/5.0 (Windows; U; Win95; en-US; rv:1.1) Gecko/20020826").family,
              "Windows 95");
    const auto t = p.parse_os("Thing 4_2");
    EXPECT_EQ(t.family, "Thing");
    EXPECT_EQ(t.major, "4");
    EXPECT_EQ(t.minor, "2.");  // $3 did not match: ""
    EXPECT_EQ(t.patch, "");    // " " trimmed to "": absent
    EXPECT_EQ(t.patch_minor, "");
}

TEST(enrich_ua_parser, spec_device_replacements_flags_and_trimming) {
    const auto p = parser_of("device.yaml", R"(user_agent_parsers: []
os_parsers: []
device_parsers:
  - regex: '; *(PEDI)_(PLUS)_(W) Build'
    device_replacement: 'Odys $1 $2 $3'
    brand_replacement: 'Odys'
    model_replacement: '$1 $2 $3'
  - regex: 'feature ?phone ?(\w*)'
    regex_flag: 'i'
    device_replacement: ' Generic Feature Phone $1 '
    brand_replacement: 'Generic'
  - regex: 'Model-(\w+)'
)");
    // The specification's own example.
    const auto odys = p.parse_device(
        "Mozilla/5.0 (Linux; U; Android 4.2.2; de-de; PEDI_PLUS_W Build/JDQ39) AppleWebKit/534.30 "
        "(KHTML, like Gecko) Version/4.0 Safari/534.30");
    EXPECT_EQ(odys.family, "Odys PEDI PLUS W");
    EXPECT_EQ(odys.brand, "Odys");
    EXPECT_EQ(odys.model, "PEDI PLUS W");
    // regex_flag 'i' makes that regex (only) case-insensitive; results are
    // trimmed; with no model_replacement the model is group 1.
    const auto phone = p.parse_device("FEATUREPHONE");
    EXPECT_EQ(phone.family, "Generic Feature Phone");
    EXPECT_EQ(phone.brand, "Generic");
    EXPECT_EQ(phone.model, "");
    EXPECT_EQ(p.parse_device("MODEL-x1").family, "Other");  // case-sensitive by default
    // No replacements: family and model are group 1, no brand.
    const auto plain = p.parse_device("Model-X1");
    EXPECT_EQ(plain.family, "X1");
    EXPECT_EQ(plain.model, "X1");
    EXPECT_EQ(plain.brand, "");
}

TEST(enrich_ua_parser, loading_fails_loudly_and_names_the_pattern) {
    const auto expect_error = [](const std::string& yaml, const std::string& part) {
        test_data::expect_load_error([&] { (void)parser_of("bad.yaml", yaml); }, part);
    };
    const std::string tail = "os_parsers: []\ndevice_parsers: []\n";
    // Lookbehind and backreferences are not RE2: never dropped silently.
    expect_error("user_agent_parsers:\n  - regex: '(?<=x)Browser'\n" + tail, "(?<=x)Browser");
    expect_error("user_agent_parsers:\n  - regex: '(a)\\1'\n" + tail, "(a)\\1");
    expect_error("user_agent_parsers:\n  - regex: 'x'\n    v9_replacement: 'y'\n" + tail,
                 "unknown key v9_replacement");
    expect_error("user_agent_parsers:\n  - regex: 'x'\n    regex_flag: 'm'\n" + tail,
                 "unknown regex_flag m");
    expect_error("user_agent_parsers: []\n", "no os_parsers list");
    test_data::expect_load_error([] { const ua_parser p({"/nonexistent/regexes.yaml"}); },
                                 "/nonexistent/regexes.yaml");
}

TEST(enrich_ua_parser, long_user_agents_are_parsed_on_their_head) {
    const ua_parser p({test_data::paths().uap_regexes, 64});
    const std::string chrome = real_world[0].ua;
    // The Chrome token lies past byte 64: unseen.
    EXPECT_EQ(p.parse_browser(chrome).family, "Other");
    EXPECT_EQ(p.parse_os(chrome).family, "Windows");
}

TEST(enrich_ua_cache, answers_as_the_parser_does_and_evicts_the_least_recent) {
    ua_cache cache(test_data::uap(), 2);
    const std::string a = real_world[0].ua, b = real_world[4].ua, c = real_world[7].ua;
    EXPECT_EQ(cache.parse(a).browser.family, "Chrome");
    EXPECT_EQ(cache.parse(b).os.family, "iOS");
    EXPECT_EQ(cache.parse(a).browser.family, "Chrome");  // hit; b is now the oldest
    EXPECT_EQ(cache.hits(), 1U);
    EXPECT_EQ(cache.parse(c).device.family, "iPad");  // evicts b
    EXPECT_EQ(cache.size(), 2U);
    EXPECT_EQ(cache.parse(a).browser.family, "Chrome");  // still there
    EXPECT_EQ(cache.hits(), 2U);
    EXPECT_EQ(cache.parse(b).device.family, "iPhone");  // parsed again
    EXPECT_EQ(cache.misses(), 4U);
}

}  // namespace
}  // namespace clickstream::enrich
