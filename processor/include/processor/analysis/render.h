// Tables for the command line: aligned text for people, CSV for programs.
#pragma once

#include <string>
#include <vector>

namespace clickstream::analysis {

struct table {
    std::string title;
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
    // Columns whose cells are numbers (right-aligned in text).
    std::vector<bool> numeric;
};

// Title line, header, a rule and the rows, columns padded; tables separated
// by a blank line.
std::string render_text(const std::vector<table>& tables);
// RFC 4180: a header line and the rows per table; with several tables each
// starts with a `# title` line and a blank line separates them.
std::string render_csv(const std::vector<table>& tables);

// Number formatting shared by the tables: integers as written, ratios as
// percentages with one decimal, durations as "1m 05s", money with 2 decimals.
std::string format_count(double v);
std::string format_percent(double ratio);
std::string format_duration_ms(double ms);
std::string format_decimal(double v, int places);

}  // namespace clickstream::analysis
