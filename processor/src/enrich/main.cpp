// clickstream-enrich: the enrich derivations on the command line. See cli.h.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "processor/enrich/cli.h"

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    const char* root = std::getenv("CLICKSTREAM_ROOT");
    const std::vector<std::string> args(argv + 1, argv + argc);
    return clickstream::enrich::run_cli(
        args, std::cin, std::cout, std::cerr,
        root != nullptr && *root != '\0' ? root : CLICKSTREAM_DEFAULT_ROOT);
}
