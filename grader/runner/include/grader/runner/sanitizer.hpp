// Reading sanitizer output: a ThreadSanitizer data-race report summarised to its two conflicting
// accesses, and the signs that TSan could not run at all (so a race check is "skipped", never
// "passed").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace workbook::grader {

/// The first data race in `output`, e.g. "data race on a 4-byte variable:\n  written by thread T2
/// in CircuitBreaker::record_failure() at circuit_breaker.cpp:42\n  read earlier by thread T1 in
/// CircuitBreaker::allow() at circuit_breaker.cpp:30", naming for each access the innermost frame
/// outside the standard library and the sanitizer; "(and N more races)" follows "variable" when
/// other, different races were reported too. nullopt if there is none.
std::optional<std::string> summarize_race(std::string_view output);

/// Why ThreadSanitizer could not run the program whose output this is, or nullopt if it ran.
std::optional<std::string> tsan_unavailable(std::string_view output);

}  // namespace workbook::grader
