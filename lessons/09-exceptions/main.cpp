// Lesson 9: an exception thrown by a call does not crash the pool or vanish: it is stored in the
// future. result() rethrows it, exception() hands it over without throwing. map() rethrows it at
// the failing position and ends there, so the results after it are lost.
//
// Checked by ctest, in this order:
// expect: the pool survived; done() = true
// expect: exception() returned std::invalid_argument: not a number: "12x"
// expect: result() rethrew std::invalid_argument: not a number: "12x"
// expect: map: 1 2, then std::invalid_argument at item 3; got 2 of 5 results
// expect: submit: 4 of 5 results, 1 failure
//
// The README's experiments:
// try: --bad 1
// expect: map: std::invalid_argument at item 1, before any result; got 0 of 5 results
// expect: submit: 4 of 5 results, 1 failure
// try: --bad 0
// expect: map: 1 2 3 4 5, no failure; got 5 of 5 results
// expect: submit: 5 of 5 results, 0 failures
#include <cf/cf.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/knobs.hpp"

int parse(const std::string& text) {
  std::size_t used = 0;
  const int value = std::stoi(text, &used);
  if (used != text.size()) throw std::invalid_argument("not a number: \"" + text + "\"");
  return value;
}

int main(int argc, char** argv) {
  lessons::Knobs knobs(argc, argv);
  const int bad = knobs.integer("bad", 3, 0, 5, "which of the 5 inputs is malformed (0: none)");
  knobs.done();

  cf::ThreadPoolExecutor pool(2);
  auto future = pool.submit(parse, std::string("12x"));  // 1. the call throws in a worker...
  const std::exception_ptr error = future.exception();   // 2. ...and the future keeps it
  std::printf("the pool survived; done() = %s\n", future.done() ? "true" : "false");
  try {
    std::rethrow_exception(error);
  } catch (const std::invalid_argument& e) {
    std::printf("exception() returned std::invalid_argument: %s\n", e.what());
  }
  try {
    future.result();  // 3. the usual way: the exception comes out where you ask for the value
  } catch (const std::invalid_argument& e) {
    std::printf("result() rethrew std::invalid_argument: %s\n", e.what());
  }

  std::vector<std::string> inputs{"1", "2", "3", "4", "5"};
  if (bad > 0) inputs[bad - 1] += "x";
  std::string received;  // the values map delivered before it stopped
  int count = 0;
  std::string ending = ", no failure";
  try {
    for (int value : pool.map(parse, inputs)) {  // 4. map rethrows at the failing position and stops
      received += " " + std::to_string(value);
      ++count;
    }
  } catch (const std::invalid_argument&) {
    ending = (count == 0 ? " std::invalid_argument at item 1, before any result"
                         : ", then std::invalid_argument at item " + std::to_string(count + 1));
  }
  std::printf("map:%s%s; got %d of 5 results\n", received.c_str(), ending.c_str(), count);

  std::vector<cf::Future<int>> futures;  // 5. with submit, every future has its own outcome
  for (const auto& text : inputs) futures.push_back(pool.submit(parse, text));
  int results = 0;
  int failures = 0;
  for (const auto& f : futures) (f.exception() ? failures : results) += 1;
  std::printf("submit: %d of 5 results, %d failure%s\n", results, failures, failures == 1 ? "" : "s");
}
