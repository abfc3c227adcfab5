#include "common/metrics.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace clickstream::common::metrics {
namespace {

std::string format_number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    std::array<char, 64> buf{};
    auto [end, ec] =
        std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::general);
    if (ec != std::errc()) return "NaN";
    return std::string(buf.data(), end);
}

std::string escape_label(const std::string& v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escape_help(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

// {a="x",b="y"} with an optional extra label (histogram `le`); "" if none.
std::string label_text(const std::vector<std::string>& names,
                       const std::vector<std::string>& values, const std::string& extra_name = {},
                       const std::string& extra_value = {}) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
        out += out.empty() ? "{" : ",";
        out += names[i] + "=\"" + escape_label(values[i]) + "\"";
    }
    if (!extra_name.empty()) {
        out += out.empty() ? "{" : ",";
        out += extra_name + "=\"" + extra_value + "\"";
    }
    if (!out.empty()) out += "}";
    return out;
}

const char* type_name(kind k) {
    switch (k) {
        case kind::counter:
            return "counter";
        case kind::gauge:
            return "gauge";
        case kind::histogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end())) {
        throw std::invalid_argument("histogram bounds must ascend");
    }
}

void histogram::observe(double v) noexcept {
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1,
                                                                       std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram::bucket_counts() const {
    std::vector<std::uint64_t> out(bounds_.size() + 1);
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = buckets_[i].load(std::memory_order_relaxed);
    return out;
}

std::vector<double> latency_buckets() {
    return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

registry::entry& registry::add(const std::string& name, const std::string& help, kind type) {
    std::lock_guard lock(mutex_);
    for (const auto& e : entries_) {
        if (e->name == name) throw std::invalid_argument("metric declared twice: " + name);
    }
    entries_.push_back(std::make_unique<entry>(entry{name, help, type, {}, {}, {}, {}}));
    return *entries_.back();
}

family<counter>& registry::counters(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names) {
    auto& e = add(name, help, kind::counter);
    e.counters = std::make_unique<family<counter>>(std::move(label_names),
                                                   [] { return std::make_unique<counter>(); });
    return *e.counters;
}

family<gauge>& registry::gauges(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names) {
    auto& e = add(name, help, kind::gauge);
    e.gauges = std::make_unique<family<gauge>>(std::move(label_names),
                                               [] { return std::make_unique<gauge>(); });
    return *e.gauges;
}

family<histogram>& registry::histograms(const std::string& name, const std::string& help,
                                        std::vector<double> bounds,
                                        std::vector<std::string> label_names) {
    auto& e = add(name, help, kind::histogram);
    e.histograms = std::make_unique<family<histogram>>(
        std::move(label_names), [b = std::move(bounds)] { return std::make_unique<histogram>(b); });
    return *e.histograms;
}

void registry::gauge_callback(const std::string& name, const std::string& help,
                              std::function<double()> read) {
    add(name, help, kind::gauge).read = std::move(read);
}

std::string registry::expose() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& e : entries_) {
        out += "# HELP " + e->name + " " + escape_help(e->help) + "\n";
        out += "# TYPE " + e->name + " " + type_name(e->type) + "\n";
        if (e->read) {
            out += e->name + " " + format_number(e->read()) + "\n";
        } else if (e->counters) {
            e->counters->for_each([&](const auto& labels, const counter& c) {
                out += e->name + label_text(e->counters->label_names(), labels) + " " +
                       format_number(c.value()) + "\n";
            });
        } else if (e->gauges) {
            e->gauges->for_each([&](const auto& labels, const gauge& g) {
                out += e->name + label_text(e->gauges->label_names(), labels) + " " +
                       format_number(g.value()) + "\n";
            });
        } else if (e->histograms) {
            const auto& names = e->histograms->label_names();
            e->histograms->for_each([&](const auto& labels, const histogram& h) {
                const auto counts = h.bucket_counts();
                std::uint64_t cumulative = 0;
                for (std::size_t i = 0; i < counts.size(); ++i) {
                    cumulative += counts[i];
                    const std::string le =
                        i < h.bounds().size() ? format_number(h.bounds()[i]) : "+Inf";
                    out += e->name + "_bucket" + label_text(names, labels, "le", le) + " " +
                           std::to_string(cumulative) + "\n";
                }
                out += e->name + "_sum" + label_text(names, labels) + " " + format_number(h.sum()) +
                       "\n";
                out += e->name + "_count" + label_text(names, labels) + " " +
                       std::to_string(cumulative) + "\n";  // equals the +Inf bucket
            });
        }
    }
    return out;
}

}  // namespace clickstream::common::metrics
