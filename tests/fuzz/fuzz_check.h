// What the fuzz targets share: an invariant check that crashes (so libFuzzer
// and the replay binary both report it) with the broken condition named, and
// where the enrich data packages are.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#define FUZZ_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                     \
        }                                                                                     \
    } while (false)

namespace clickstream::fuzz {

// CLICKSTREAM_ROOT when set (CTest sets it), else this source tree.
inline std::filesystem::path project_root() {
    if (const char* root = std::getenv("CLICKSTREAM_ROOT"); root != nullptr && *root != '\0') {
        return root;
    }
    return CLICKSTREAM_FUZZ_DEFAULT_ROOT;
}

}  // namespace clickstream::fuzz
