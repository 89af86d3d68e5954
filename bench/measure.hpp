// Timing helpers shared by the benchmarks. Results go out as Google Benchmark counters, so they
// appear in the console table and in --benchmark_format=json next to the usual columns:
//   us_per_item          wall-clock microseconds per item of a batch workload
//   median_us, p99_us    percentiles of individually timed operations (latency)
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

/// A duration in microseconds, with fractions.
inline double to_us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

/// Times `body()` once per benchmark iteration, and reports `items_per_iteration * iterations`
/// items and "us_per_item". Only the body is timed, on the wall clock: the work happens on other
/// threads, so the calling thread's CPU time would say little.
template <class Body>
void time_per_item(benchmark::State& state, std::int64_t items_per_iteration, Body body) {
  Clock::duration total{};
  for (auto _ : state) {
    const auto start = Clock::now();
    body();
    total += Clock::now() - start;
  }
  const std::int64_t items = state.iterations() * items_per_iteration;
  state.SetItemsProcessed(items);
  state.counters["us_per_item"] = to_us(total) / static_cast<double>(items);
}

/// Durations of single operations, summarised as a median and a 99th percentile.
class LatencySamples {
 public:
  explicit LatencySamples(std::size_t expected_count) { samples_.reserve(expected_count); }

  /// Times one call of `operation()` and keeps the sample.
  template <class Operation>
  void time(Operation&& operation) {
    const auto start = Clock::now();
    operation();
    samples_.push_back(Clock::now() - start);
  }

  /// Sets the counters "median_us", "p99_us" and "samples", each name after `prefix` (for
  /// benchmarks that time several things in turn).
  void report(benchmark::State& state, const std::string& prefix = {}) {
    state.counters[prefix + "median_us"] = to_us(percentile(0.50));
    state.counters[prefix + "p99_us"] = to_us(percentile(0.99));
    state.counters[prefix + "samples"] = static_cast<double>(samples_.size());
  }

 private:
  /// The sample below which a fraction `p` of the samples lie (nearest rank).
  Clock::duration percentile(double p) {
    if (samples_.empty()) return {};
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(samples_.size())));
    const auto nth = samples_.begin() + static_cast<std::ptrdiff_t>(std::max<std::size_t>(rank, 1) - 1);
    std::nth_element(samples_.begin(), nth, samples_.end());
    return *nth;
  }

  std::vector<Clock::duration> samples_;
};

}  // namespace bench
