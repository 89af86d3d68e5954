// For the lessons whose point is timing: a stopwatch, and the verdict word their tests look for.
// Timing claims are checked with generous bounds, so a slow machine does not turn them false.
#pragma once

#include <chrono>

namespace lessons {

/// Measures wall time on the steady clock from its construction (or the last restart()).
class Stopwatch {
 public:
  /// Seconds since construction or the last restart().
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  /// Starts counting again from now.
  void restart() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// "OK" if a lesson's claim held on this run, else "NOT OK" (which fails the lesson's test).
inline const char* verdict(bool claim_holds) { return claim_holds ? "OK" : "NOT OK"; }

}  // namespace lessons
