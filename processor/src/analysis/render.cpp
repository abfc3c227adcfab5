#include "processor/analysis/render.h"

#include <cmath>
#include <cstdio>

namespace clickstream::analysis {
namespace {

// Display width: UTF-8 continuation bytes take no column.
std::size_t width(const std::string& s) noexcept {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace

std::string render_text(const std::vector<table>& tables) {
    std::string out;
    for (std::size_t t = 0; t < tables.size(); ++t) {
        const auto& tb = tables[t];
        if (t > 0) out += '\n';
        if (!tb.title.empty()) out += tb.title + "\n";
        std::vector<std::size_t> w(tb.columns.size(), 0);
        for (std::size_t i = 0; i < tb.columns.size(); ++i) w[i] = width(tb.columns[i]);
        for (const auto& r : tb.rows) {
            for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) {
                w[i] = std::max(w[i], width(r[i]));
            }
        }
        auto line = [&](const std::vector<std::string>& cells) {
            std::string l;
            for (std::size_t i = 0; i < w.size(); ++i) {
                const std::string cell = i < cells.size() ? cells[i] : "";
                const std::string pad(w[i] - width(cell), ' ');
                const bool right = i < tb.numeric.size() && tb.numeric[i];
                if (i > 0) l += "  ";
                l += right ? pad + cell : cell + (i + 1 < w.size() ? pad : "");
            }
            while (!l.empty() && l.back() == ' ') l.pop_back();
            out += l + "\n";
        };
        line(tb.columns);
        std::string rule;
        for (std::size_t i = 0; i < w.size(); ++i) {
            if (i > 0) rule += "  ";
            rule += std::string(w[i], '-');
        }
        out += rule + "\n";
        for (const auto& r : tb.rows) line(r);
        if (tb.rows.empty()) out += "(no rows)\n";
    }
    return out;
}

std::string render_csv(const std::vector<table>& tables) {
    std::string out;
    for (std::size_t t = 0; t < tables.size(); ++t) {
        const auto& tb = tables[t];
        if (tables.size() > 1) {
            if (t > 0) out += '\n';
            out += "# " + tb.title + "\n";
        }
        auto line = [&](const std::vector<std::string>& cells) {
            for (std::size_t i = 0; i < cells.size(); ++i) {
                if (i > 0) out += ',';
                out += csv_cell(cells[i]);
            }
            out += "\r\n";
        };
        line(tb.columns);
        for (const auto& r : tb.rows) line(r);
    }
    return out;
}

std::string format_count(double v) {
    if (std::abs(v - std::round(v)) < 1e-9) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    return format_decimal(v, 2);
}

std::string format_percent(double ratio) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", ratio * 100);
    return buf;
}

std::string format_duration_ms(double ms) {
    char buf[48];
    const auto s = static_cast<long long>(std::llround(ms / 1000));
    if (s < 60) {
        std::snprintf(buf, sizeof buf, "%llds", s);
    } else if (s < 3600) {
        std::snprintf(buf, sizeof buf, "%lldm %02llds", s / 60, s % 60);
    } else if (s < 86400) {
        std::snprintf(buf, sizeof buf, "%lldh %02lldm", s / 3600, s % 3600 / 60);
    } else {
        std::snprintf(buf, sizeof buf, "%lldd %02lldh", s / 86400, s % 86400 / 3600);
    }
    return buf;
}

std::string format_decimal(double v, int places) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", places, v);
    return buf;
}

}  // namespace clickstream::analysis
