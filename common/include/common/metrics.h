// A Prometheus metrics registry: counters, gauges and histograms, each a
// family of series told apart by label values, exposed in the text format
// (version 0.0.4) by `registry::expose()`.
//
// Families are declared once at start-up (a service's probe.cpp names them
// all); `family.with({"batch", "200"})` finds or makes a series. A series'
// address never changes, so hot paths may keep the reference. Updates are
// lock-free atomics; `with` and `expose` take a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace clickstream::common::metrics {

class counter {
public:
    void inc(double by = 1) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

class gauge {
public:
    void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void inc(double by = 1) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }
    void dec(double by = 1) noexcept { value_.fetch_sub(by, std::memory_order_relaxed); }
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

class histogram {
public:
    // `bounds` are the buckets' upper bounds, ascending; +Inf is implied.
    explicit histogram(std::vector<double> bounds);
    void observe(double v) noexcept;

    const std::vector<double>& bounds() const noexcept { return bounds_; }
    // Per bucket, not cumulative; the last one is +Inf.
    std::vector<std::uint64_t> bucket_counts() const;
    std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
    double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
    std::atomic<std::uint64_t> count_{0};
    std::atomic<double> sum_{0};
};

// Buckets from 0.5 ms to 10 s, for latencies measured in seconds.
std::vector<double> latency_buckets();

enum class kind { counter, gauge, histogram };

template <class Metric>
class family {
public:
    family(std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
        : label_names_(std::move(label_names)), make_(std::move(make)) {}

    // The series with these label values (as many as the family has names).
    Metric& with(const std::vector<std::string>& label_values) {
        std::lock_guard lock(mutex_);
        auto& slot = series_[label_values];
        if (!slot) slot = make_();
        return *slot;
    }

    const std::vector<std::string>& label_names() const noexcept { return label_names_; }

    template <class Visit>
    void for_each(Visit&& visit) const {
        std::lock_guard lock(mutex_);
        for (const auto& [labels, metric] : series_) visit(labels, *metric);
    }

private:
    std::vector<std::string> label_names_;
    std::function<std::unique_ptr<Metric>()> make_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_;
};

class registry {
public:
    family<counter>& counters(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});
    family<gauge>& gauges(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names = {});
    family<histogram>& histograms(const std::string& name, const std::string& help,
                                  std::vector<double> bounds,
                                  std::vector<std::string> label_names = {});
    // A gauge read when exposed (queue depths, connection counts).
    void gauge_callback(const std::string& name, const std::string& help,
                        std::function<double()> read);

    // The text exposition format, families in declaration order.
    std::string expose() const;

private:
    struct entry {
        std::string name;
        std::string help;
        kind type;
        std::unique_ptr<family<counter>> counters;
        std::unique_ptr<family<gauge>> gauges;
        std::unique_ptr<family<histogram>> histograms;
        std::function<double()> read;
    };
    entry& add(const std::string& name, const std::string& help, kind type);

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<entry>> entries_;
};

}  // namespace clickstream::common::metrics
