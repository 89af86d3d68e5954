// Grades exercise 1, the parallel file reader (exercises/01-file-reader/README.md).
// Concurrency is observed with named pipes (grader/fifo_files.hpp): a reader that opens the files
// one after another never has two open at once.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "file_reader.hpp"
#include "grader/feedback.hpp"
#include "grader/fifo_files.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/temporary_directory.hpp"
#include "grader/timeline.hpp"

namespace {

using exercises::FileContents;
using exercises::read_file;
using exercises::read_files;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::FifoFiles;
using workbook::grader::mismatch;
using workbook::grader::Mismatch;
using workbook::grader::Monitor;
using workbook::grader::repr;
using workbook::grader::TemporaryDirectory;
using workbook::grader::timeline_report;

/// Checks that `contents` maps exactly `paths` to `expected` (nullopt: unreadable).
void expect_contents(const FileContents& contents, const std::vector<std::string>& paths,
                     const std::vector<std::optional<std::string>>& expected) {
  for (std::size_t i = 0; i < paths.size(); ++i) {
    auto it = contents.find(paths[i]);
    if (it == contents.end()) {
      ADD_FAILURE() << Feedback{.expected = "an entry for " + repr(paths[i]),
                                .got = fmt::format("no such key among the {} entries returned", contents.size()),
                                .idea = "store every path's result under the exact path string you were given"};
    } else if (it->second != expected[i]) {
      const bool both = it->second && expected[i];
      const auto shown = both ? mismatch(*expected[i], *it->second) : Mismatch{repr(expected[i]), repr(it->second)};
      ADD_FAILURE() << Feedback{.expected = repr(paths[i]) + " -> " + shown.expected,
                                .got = shown.got,
                                .idea = expected[i] ? "the map holds read_file(path) of each path, whole and unchanged"
                                                    : "a file that cannot be read maps to std::nullopt"};
    }
  }
  if (contents.size() != paths.size()) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("{} entries, one per path", paths.size()),
                              .got = fmt::format("{} entries", contents.size()),
                              .idea = "return one entry per path, nothing else"};
  }
}

GRADED_TEST(FileReaderTest, ReadFileReturnsTheWholeContent, .points = 3, .step = 1, .tag = "reading a file") {
  TemporaryDirectory directory;
  const std::string poem = "first line\nsecond line\n\n  indented line\r\nlast line, no newline";
  const auto poem_path = directory.write("poem.txt", poem);
  const auto empty_path = directory.write("empty.txt", "");

  // Bigger than any one buffer a stream reads at a time: numbered lines, so a cut shows where.
  std::string big;
  for (int line = 1; big.size() < 3 * 4096 + 5; ++line) big += fmt::format("line {:05}\n", line);
  const auto big_path = directory.write("big.bin", big);

  const auto content = call("read_file", [&] { return read_file(poem_path); });
  if (content != poem) {
    const bool shorter = content && content->size() < poem.size();
    const auto shown = content ? mismatch(poem, *content) : Mismatch{repr(poem), repr(content)};
    ADD_FAILURE() << Feedback{.expected = "read_file(\"poem.txt\") == " + shown.expected,
                              .got = shown.got,
                              .idea = shorter ? "read the whole file, not one line or one word: copy every byte, "
                                                "e.g. with std::istreambuf_iterator"
                                              : "return the file's bytes unchanged (open it in binary mode)"};
  }
  const auto big_content = call("read_file", [&] { return read_file(big_path); });
  if (big_content != big) {
    const auto shown = big_content ? mismatch(big, *big_content) : Mismatch{repr(big), repr(big_content)};
    ADD_FAILURE() << Feedback{.expected = "read_file(\"big.bin\") == " + shown.expected,
                              .got = shown.got,
                              .idea =
                                  "read until the end of the file, not one buffer's worth: copy every byte, e.g. "
                                  "with std::istreambuf_iterator, in binary mode"};
  }
  const auto empty = call("read_file", [&] { return read_file(empty_path); });
  if (empty != std::optional<std::string>("")) {
    ADD_FAILURE() << Feedback{.expected = "read_file(\"empty.txt\") == \"\" (an empty file is readable)",
                              .got = repr(empty),
                              .idea = "std::nullopt means \"could not read\", not \"nothing in it\""};
  }
}

GRADED_TEST(FileReaderTest, ReadFileOfMissingPathIsNullopt, .points = 3, .step = 1, .tag = "missing file") {
  TemporaryDirectory directory;
  const auto missing = directory.path_of("no-such-file.txt");
  const auto content = call("read_file", [&] { return read_file(missing); });
  if (content) {
    ADD_FAILURE() << Feedback{.expected = "read_file(\"no-such-file.txt\") == std::nullopt",
                              .got = repr(content),
                              .idea = "check whether the std::ifstream opened (if (!in)) and return std::nullopt"};
  }
}

GRADED_TEST(FileReaderTest, ReadFileOfDirectoryIsNullopt, .points = 3, .step = 1, .tag = "unreadable file") {
  TemporaryDirectory directory;
  const auto folder = directory.make_directory("a-directory");
  const std::string idea =
      "a directory opens without error but cannot be read: catch std::ios_base::failure around the read and "
      "return std::nullopt";
  try {
    const auto content = call("read_file", [&] { return read_file(folder); });
    if (content) {
      ADD_FAILURE() << Feedback{
          .expected = "read_file(<a directory>) == std::nullopt", .got = repr(content), .idea = idea};
    }
  } catch (const workbook::grader::LearnerError& error) {
    ADD_FAILURE() << Feedback{.expected = "read_file(<a directory>) == std::nullopt (read_file never throws)",
                              .got = error.what(),
                              .idea = idea};
  }
}

/// Whether `most_open` files at once shows reads running on futures; a failure says why not.
void expect_reads_at_once(int most_open, int wanted, const std::string& what) {
  if (most_open >= wanted) return;
  ADD_FAILURE() << Feedback{.expected = fmt::format("{} files open at the same time while {}", wanted, what),
                            .got = most_open <= 1
                                       ? "the files were read one after another: never more than one was open"
                                       : fmt::format("at most {} files were open at once", most_open),
                            .idea =
                                "submit a read for every path to the pool first, then call result() on the "
                                "futures: this step is about reading concurrently, not one file after another",
                            .timeline = timeline_report("reads")};
}

GRADED_TEST(FileReaderTest, ReadFilesMapsEveryPathToItsContent, .points = 4, .step = 2, .tag = "futures") {
  Monitor monitor;
  std::vector<std::optional<std::string>> expected;
  std::vector<std::string> texts;
  for (int i = 1; i <= 5; ++i) {
    texts.push_back(fmt::format("file {}\nsecond line\n", i));
    expected.emplace_back(texts.back());
  }
  // The files are served once 3 are open at once: a pool of 3 reading futures does that at once.
  FifoFiles files(monitor, texts);
  Background<FileContents> reading(monitor, "read_files", [&] { return read_files(files.paths(), 3); });
  monitor.wait_until([&] { return files.open_now() == 3 || reading.done(); }, "3 files to be open at once");
  const int most_open = files.max_open_at_once();
  files.release_all();
  const auto contents = reading.get();
  expect_reads_at_once(most_open, 3, "mapping 5 paths with max_workers = 3");
  expect_contents(contents, files.paths(), expected);

  TemporaryDirectory directory;
  std::vector<std::string> paths;
  for (int i = 0; i < 2; ++i) paths.push_back(directory.write(fmt::format("file{}.txt", i), *expected[i]));

  // A path listed twice is one entry of the map, with its content.
  const auto twice = call("read_files", [&] { return read_files({paths[0], paths[1], paths[0]}, 2); });
  expect_contents(twice, paths, {expected[0], expected[1]});
}

GRADED_TEST(FileReaderTest, ReadFilesOfEmptyListIsEmpty, .points = 3, .step = 2, .tag = "edge cases") {
  try {
    const auto contents = call("read_files", [] { return read_files({}, 4); });
    if (!contents.empty()) {
      ADD_FAILURE() << Feedback{.expected = "read_files({}, 4) returns an empty map",
                                .got = fmt::format("{} entries", contents.size()),
                                .idea = "no paths, no entries"};
    }
  } catch (const workbook::grader::LearnerError& error) {
    ADD_FAILURE() << Feedback{.expected = "read_files({}, 4) returns an empty map",
                              .got = error.what(),
                              .idea =
                                  "return early for an empty list: cf::ThreadPoolExecutor(0) throws "
                                  "std::invalid_argument, like Python's ThreadPoolExecutor(0)"};
  }
}

GRADED_TEST(FileReaderTest, ReadFilesReadsTheFilesConcurrently, .points = 6, .step = 2, .tag = "concurrency") {
  Monitor monitor;
  const std::vector<std::optional<std::string>> expected{"alpha\n", "beta\n", "gamma\n", "delta\n"};
  FifoFiles files(monitor, {"alpha\n", "beta\n", "gamma\n", "delta\n"});
  Background<FileContents> reading(monitor, "read_files", [&] { return read_files(files.paths(), 4); });

  monitor.wait_until([&] { return files.open_now() == 4 || reading.done(); }, "all 4 files to be open at once");
  const int most_open = files.max_open_at_once();
  files.release_all();
  const auto contents = reading.get();

  expect_reads_at_once(most_open, 4, "reading 4 paths with max_workers = 4");
  expect_contents(contents, files.paths(), expected);
}

GRADED_TEST(FileReaderTest, UnreadableFilesDoNotFailTheOthers, .points = 3, .step = 2, .tag = "exceptions in futures") {
  // Two readable files, served once both are open at once, beside a missing file and a folder:
  // the reads run on futures, and the two that fail must not fail the call.
  Monitor monitor;
  TemporaryDirectory directory;
  FifoFiles files(monitor, {"first\n", "last\n"});
  const std::vector<std::string> paths{files.paths()[0], directory.path_of("missing.txt"),
                                       directory.make_directory("folder"), files.paths()[1]};
  Background<FileContents> reading(monitor, "read_files", [&] { return read_files(paths, 4); });
  monitor.wait_until([&] { return files.open_now() == 2 || reading.done(); }, "both readable files to be open at once");
  const int most_open = files.max_open_at_once();
  files.release_all();
  try {
    const auto contents = reading.get();
    expect_reads_at_once(most_open, 2, "reading 4 paths with max_workers = 4");
    expect_contents(contents, paths, {"first\n", std::nullopt, std::nullopt, "last\n"});
  } catch (const workbook::grader::LearnerError& error) {
    ADD_FAILURE() << Feedback{.expected =
                                  "the readable files' contents, and std::nullopt for a missing file and a "
                                  "directory",
                              .got = error.what(),
                              .idea =
                                  "an exception thrown in a task is rethrown by its future's result(), failing "
                                  "the whole call: make read_file return std::nullopt instead of throwing"};
  }
}

GRADED_TEST(FileReaderTest, ReadFilesKeepsAtMostMaxWorkersFilesOpen, .points = 5, .step = 3, .tag = "bounded workers") {
  constexpr int kMaxWorkers = 2;
  constexpr int kFiles = 6;
  Monitor monitor;
  std::vector<std::string> texts;
  for (int i = 1; i <= kFiles; ++i) texts.push_back(fmt::format("text {}\n", i));
  FifoFiles files(monitor, texts);
  Background<FileContents> reading(monitor, "read_files", [&] { return read_files(files.paths(), kMaxWorkers); });

  workbook::grader::release_one_at_a_time(
      monitor, kFiles, kMaxWorkers, [&] { return files.open_now(); }, [&] { files.release(1); },
      [&] { return reading.done(); });
  const int most_open = files.max_open_at_once();
  files.release_all();
  const auto contents = reading.get();

  if (most_open > kMaxWorkers) {
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("at most {} files open at once (max_workers = {})", kMaxWorkers, kMaxWorkers),
        .got = fmt::format("{} files were open at the same time", most_open),
        .idea =
            "give the pool min(max_workers, paths.size()) workers: a cf::ThreadPoolExecutor "
            "never runs more tasks at once than it has threads"};
  }
  // A bound is max_workers at once, not fewer: one file at a time is within it but bounds nothing.
  expect_reads_at_once(most_open, kMaxWorkers,
                       fmt::format("reading {} files with max_workers = {}", kFiles, kMaxWorkers));
  expect_contents(contents, files.paths(), {texts.begin(), texts.end()});
}

}  // namespace
