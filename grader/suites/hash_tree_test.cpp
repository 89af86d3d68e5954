// Grades the task of lesson 20, hash a directory tree in parallel with map()
// (exercises/23-hash-tree/README.md). The trees are real files in a temporary directory; the
// grader's own hasher stands in for hash_file where it must hold the calls at a gate (to see how
// many run at once) or fail for one file.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cf/cf.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>

#include "grader/feedback.hpp"
#include "grader/graded_test.hpp"
#include "grader/learner_call.hpp"
#include "grader/monitor.hpp"
#include "grader/temporary_directory.hpp"
#include "grader/timeline.hpp"
#include "hash_tree.hpp"
#include "workbook/gate.hpp"

namespace {

namespace fs = std::filesystem;
using exercises::fnv1a;
using workbook::Gate;
using workbook::grader::Background;
using workbook::grader::call;
using workbook::grader::Feedback;
using workbook::grader::LearnerError;
using workbook::grader::Monitor;
using workbook::grader::patience;
using workbook::grader::TemporaryDirectory;
using workbook::grader::timeline_report;
using Digests = std::map<std::string, std::uint64_t>;

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("the grader cannot read " + file.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// The grader's own hash of a file, for the tests of hash_tree.
std::uint64_t grader_hash(const fs::path& file) { return fnv1a(read_bytes(file)); }

std::string describe(const Digests& digests) {
  std::string text;
  for (const auto& [path, digest] : digests) text += fmt::format("{}\"{}\": {:016x}", text.empty() ? "{" : ", ", path, digest);
  return text + "}";
}

/// A tree of files in nested folders, and an empty folder; `contents` maps each file's relative
/// path to its bytes.
class HashTreeTest : public testing::Test {
 protected:
  void SetUp() override {
    for (const char* folder : {"docs", "src", "src/lib", "empty"}) tree_.make_directory(folder);
    contents_ = {{"README.md", "# a tree\n"},
                 {"docs/guide.txt", std::string("bytes \0 and \xff\r\n", 15)},
                 {"docs/blank.txt", ""},
                 {"src/main.cpp", "int main() {}\n"},
                 {"src/lib/io.cpp", "// io\n"}};
    for (const auto& [path, content] : contents_) tree_.write(path, content);
  }

  Digests expected() const {
    Digests digests;
    for (const auto& [path, content] : contents_) digests[path] = fnv1a(content);
    return digests;
  }

  void expect_digests(const Digests& got) const {
    if (got != expected()) {
      ADD_FAILURE() << Feedback{.expected = describe(expected()),
                                .got = describe(got),
                                .idea = "every regular file under root, in subfolders too, under its path relative to "
                                        "root with '/' (lexically_relative(root).generic_string()); map() gives the "
                                        "digests in the order of your list of files"};
    }
  }

  TemporaryDirectory tree_;
  std::map<std::string, std::string> contents_;
};

GRADED_TEST(HashFileTest, DigestsEveryByteOfTheFile, .points = 2, .step = 1, .tag = "files") {
  TemporaryDirectory folder;
  for (const std::string& content : {std::string("hello\n"), std::string(), std::string("\0\xff\r\n end", 8)}) {
    const std::string file = folder.write("file.bin", content);
    const std::uint64_t got = call("hash_file", [&] { return exercises::hash_file(file); });
    if (got != fnv1a(content)) {
      ADD_FAILURE() << Feedback{.expected = fmt::format("{:016x} for the {} bytes {}", fnv1a(content), content.size(),
                                                        workbook::grader::repr(content)),
                                .got = fmt::format("{:016x}", got),
                                .idea = "open the file with std::ios::binary and pass all of its bytes to fnv1a()"};
    }
  }
}

GRADED_TEST(HashFileTest, AFileThatCannotBeReadIsAnError, .points = 2, .step = 1, .tag = "errors") {
  TemporaryDirectory folder;
  const std::string missing = folder.path_of("missing.txt");
  try {
    const std::uint64_t got = call("hash_file", [&] { return exercises::hash_file(missing); });
    ADD_FAILURE() << Feedback{
        .expected = "hash_file throws std::runtime_error for a file that does not exist",
        .got = fmt::format("it returned {:016x}{}", got, got == fnv1a("") ? ", the digest of no bytes" : ""),
        .idea = "an unreadable file is not an empty one: when the std::ifstream does not open, throw "
                "std::runtime_error naming the file"};
  } catch (const LearnerError& e) {
    if (std::string(e.what()).find(missing) == std::string::npos) {
      ADD_FAILURE() << Feedback{.expected = fmt::format("an error whose message names {}", missing),
                                .got = e.what(),
                                .idea = "put the file's path in the message: the reader needs to know which file"};
    }
  }
}

GRADED_TEST_F(HashTreeTest, GivesEveryFilesDigestByItsPath, .points = 2, .step = 2, .tag = "map") {
  cf::ThreadPoolExecutor pool(4);
  expect_digests(call("hash_tree", [&] { return exercises::hash_tree(pool, tree_.path_of(""), grader_hash); }));
}

GRADED_TEST_F(HashTreeTest, HashesTheFilesInParallel, .points = 2, .step = 3, .tag = "map") {
  constexpr int kWorkers = 4;  // fewer than the files: the gate holds as many calls as the pool runs
  Monitor monitor;
  Gate hashing(2 * patience());  // outlasts the test's own wait: the test opens it
  hashing.set_observer(monitor.observer());
  cf::ThreadPoolExecutor pool(kWorkers);
  const exercises::FileHasher held_hash = [&](const fs::path& file) {
    hashing.pass();
    return grader_hash(file);
  };
  Background<Digests> run(monitor, "hash_tree", [&] { return exercises::hash_tree(pool, tree_.path_of(""), held_hash); });
  if (!monitor.wait_until([&] { return hashing.waiting() == kWorkers || run.done(); }, "4 files hashed at once")) {
    ADD_FAILURE() << Feedback{.expected = fmt::format("{} files hashed at once on a pool of {} workers", kWorkers, kWorkers),
                              .got = fmt::format("at most {} at once", hashing.max_waiting()),
                              .idea = "hash with pool.map(hash, files): it submits every call before you take the "
                                      "first digest",
                              .timeline = timeline_report("hashes")};
  }
  hashing.open();
  expect_digests(run.get());
}

GRADED_TEST_F(HashTreeTest, StopsAtAFileThatCannotBeReadAndNamesIt, .points = 2, .step = 4, .tag = "errors") {
  const std::string unreadable = "src/main.cpp";
  const std::string reason = "cannot read it (Permission denied)";
  const exercises::FileHasher failing_hash = [&](const fs::path& file) -> std::uint64_t {
    if (file.filename() == "main.cpp") throw std::runtime_error(reason);
    return grader_hash(file);
  };
  cf::ThreadPoolExecutor pool(4);
  try {
    const Digests got =
        call("hash_tree", [&] { return exercises::hash_tree(pool, tree_.path_of(""), failing_hash); });
    ADD_FAILURE() << Feedback{
        .expected = fmt::format("hash_tree throws, naming {}: its hash threw \"{}\"", unreadable, reason),
        .got = fmt::format("it returned {} digest{} and no error: the unreadable file was skipped silently", got.size(),
                           got.size() == 1 ? "" : "s"),
        .idea = "let the exception that map() rethrows end the loop; catch it only to throw again with the file's "
                "name, the file at the loop's position"};
  } catch (const LearnerError& e) {
    const std::string message = e.what();
    if (message.find(unreadable) == std::string::npos || message.find(reason) == std::string::npos) {
      ADD_FAILURE() << Feedback{
          .expected = fmt::format("an error naming {} and saying \"{}\"", unreadable, reason),
          .got = message,
          .idea = "map() rethrows a call's exception at that call's position: keep an iterator into your list of "
                  "files beside the loop, and throw std::runtime_error(its relative path + \": \" + e.what())"};
    }
  }
}

}  // namespace
