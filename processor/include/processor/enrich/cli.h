// The command line front end of the enrich derivations (no Kafka): one input
// a line on stdin, one JSON object a line on stdout. See `--help`.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace clickstream::enrich {

// Runs it with `args` (without the program name); returns the exit status:
// 0 done, 1 a data file failed to load, 2 bad arguments. Data paths default
// to default_data_paths(default_root).
int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
            std::ostream& err, const std::filesystem::path& default_root);

}  // namespace clickstream::enrich
