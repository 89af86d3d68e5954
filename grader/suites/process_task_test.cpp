// Grades the task of lesson 14, a task and a Codec so that a worker process can run it
// (exercises/20-process-task/README.md). The last test starts a real cf::ProcessPoolExecutor:
// its workers are this grade binary started again, which main() hands to
// cf::run_worker_if_requested (the guard line), registered below.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cf/cf.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/process_workers.hpp"
#include "process_task.hpp"

namespace {

using exercises::Chunk;
using exercises::Tally;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;

[[maybe_unused]] const bool serves_workers = workbook::grader::serve_process_pool_workers(cf::run_worker_if_requested);

std::string describe(const Tally& tally) {
  return fmt::format("{{name \"{}\", words {}, longest \"{}\"}}", tally.name, tally.words, tally.longest);
}

struct Example {
  Chunk chunk;
  Tally tally;
};

const std::vector<Example> kExamples{
    {{"poem", "the quick  brown\tfox\njumps"}, {"poem", 5, "quick"}},
    {{"blank", " \n\t "}, {"blank", 0, ""}},
    {{"ties", "ab cd efg hij"}, {"ties", 4, "efg"}},
};

void expect_tally(const Tally& got, const Tally& expected, const std::string& what, const std::string& idea) {
  if (got != expected) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("{} {}", what, describe(expected)),
                              .got = describe(got),
                              .idea = idea};
  }
}

GRADED_TEST(ProcessTaskTest, CountsTheWordsOfAChunk, .points = 3, .step = 1, .tag = "task") {
  for (const auto& [chunk, expected] : kExamples) {
    const Tally got = call("count_words", [&] { return exercises::count_words(chunk); });
    expect_tally(got, expected, fmt::format("for the text \"{}\":", workbook::grader::repr(chunk.text)),
                 "a word is a run of non-whitespace (std::istringstream >> word); keep the first of the longest, and "
                 "copy the chunk's name");
  }
}

GRADED_TEST(ProcessTaskTest, ATallyTravelsWhole, .points = 3, .step = 2, .tag = "codec") {
  const Tally sent{"chapter 1", 1234, "extraordinary"};
  std::string bytes;
  cf::Encoder out(bytes);
  call("cf::Codec<Tally>::encode", [&] { out.write(sent); });
  cf::Decoder in(bytes);
  const Tally got = call("cf::Codec<Tally>::decode", [&] { return in.read<Tally>(); });
  if (in.remaining() != 0) {
    ADD_FAILURE() << Feedback{.expected = "decode() reads every byte encode() wrote",
                              .got = fmt::format("{} of {} bytes were left", in.remaining(), bytes.size()),
                              .idea = "read each field that encode() writes, with the same type"};
  }
  expect_tally(got, sent, "the decoded copy of", "write every field in encode() and read them back in decode(), in "
                                                 "the same order: a field your Codec dropped arrives empty");
}

GRADED_TEST(ProcessTaskTest, RunsInAWorkerProcess, .points = 4, .step = 3, .tag = "process pool") {
  // The task and its Codec must work here first: the worker runs the same code, with a less
  // direct message when it fails.
  call("count_words", [&] { return exercises::count_words(kExamples[0].chunk); });
  cf::ProcessPoolExecutor pool(2);
  std::vector<cf::Future<Tally>> futures;
  try {
    for (const auto& example : kExamples) futures.push_back(pool.submit(exercises::count_words, example.chunk));
  } catch (const std::invalid_argument& e) {
    FAIL() << Feedback{.expected = "pool.submit(count_words, chunk) sends the call to a worker process",
                       .got = fmt::format("submit() threw std::invalid_argument: {}", e.what()),
                       .idea = "a worker finds a task by its registered name: put CF_REGISTER_TASK(count_words); "
                               "next to the function's definition"};
  }
  for (std::size_t i = 0; i < futures.size(); ++i) {
    try {
      expect_tally(futures[i].result(), kExamples[i].tally, "from the worker process:",
                   "the worker's Tally reaches this process through your Codec: encode every field, and decode them "
                   "in the same order; a field your Codec dropped arrives empty");
    } catch (...) {
      ADD_FAILURE() << Feedback{
          .expected = fmt::format("the tally of chunk \"{}\" from the worker process", kExamples[i].chunk.name),
          .got = fmt::format("result() threw {}", workbook::grader::describe_current_exception()),
          .idea = "count_words and both halves of the Codec run in the worker too: make them work here first"};
    }
  }
}

}  // namespace
