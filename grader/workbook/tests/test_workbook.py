"""End-to-end tests of the `workbook` command: the real binary on a temporary copy of the workbook.

Run by ctest (label workbook) with WORKBOOK_BIN, WORKBOOK_SOURCE and WORKBOOK_BUILD set; each test
class is its own ctest, e.g. `python3 test_workbook.py LearnerTest`.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree
import zipfile
from pathlib import Path

BIN = os.environ["WORKBOOK_BIN"]
SOURCE = Path(os.environ["WORKBOOK_SOURCE"])
BUILD = os.environ["WORKBOOK_BUILD"]
FILE_READER = Path("exercises/01-file-reader/file_reader.cpp")
SOLUTION = (SOURCE / "solutions/01-file-reader/file_reader.cpp").read_text()

# Submissions that go wrong in the ways a grader must survive.
HANGS = SOLUTION.replace("FileContents read_files(", "FileContents read_files_unused(", 1) + """
#include <future>
namespace exercises {
FileContents read_files(const std::vector<std::string>&, int) {
  std::promise<void> never;
  never.get_future().wait();  // a future nobody completes
  return {};
}
}  // namespace exercises
"""
CRASHES = SOLUTION.replace("FileContents read_files(", "FileContents read_files_unused(", 1) + """
namespace exercises {
FileContents read_files(const std::vector<std::string>&, int) {
  volatile int* nowhere = nullptr;
  *nowhere = 1;
  return {};
}
}  // namespace exercises
"""
FLOODS = SOLUTION.replace("FileContents read_files(", "FileContents read_files_unused(", 1) + """
#include <cstdio>
namespace exercises {
FileContents read_files(const std::vector<std::string>&, int) {
  for (;;) std::puts("still reading...");
}
}  // namespace exercises
"""
FORK_BOMB = SOLUTION.replace("FileContents read_files(", "FileContents read_files_unused(", 1) + """
#include <unistd.h>
namespace exercises {
FileContents read_files(const std::vector<std::string>&, int) {
  for (;;) fork();
}
}  // namespace exercises
"""
DOES_NOT_COMPILE = SOLUTION.replace("namespace exercises {", "namespace exercises {\nint broken = ;", 1)


def copy_workbook(destination: Path) -> None:
    """The files a learner's clone has that the command reads, committed in a fresh git repo."""
    for name in ("workbook.json", "exercises", "solutions", "lessons"):
        source = SOURCE / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        else:
            shutil.copy(source, destination / name)
    git = ["git", "-C", str(destination), "-c", "user.name=test", "-c", "user.email=test@example.com"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "workbook"], check=True)


def workbook(root: Path, *args: str, check_code=None, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    result = subprocess.run([BIN, "--root", str(root), "--build-dir", BUILD, "--color", "never", *args],
                            stdin=stdin, capture_output=True, text=True, timeout=600)
    if check_code is not None and result.returncode != check_code:
        raise AssertionError(f"workbook {' '.join(args)} exited {result.returncode}, expected {check_code}\n"
                             f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


class WorkbookCase(unittest.TestCase):
    def setUp(self):
        self.root = Path(tempfile.mkdtemp(prefix="workbook-e2e-"))
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        copy_workbook(self.root)

    def write(self, relative: Path, text: str) -> None:
        (self.root / relative).write_text(text)


class LearnerTest(WorkbookCase):
    def test_overview_points_to_the_first_lesson_and_list_shows_everything_pending(self):
        overview = workbook(self.root, check_code=0).stdout
        self.assertIn("Next: lesson 1, Why executors", overview)
        self.assertIn("0/3 passed, 0/100 points", overview)
        listing = workbook(self.root, "list", check_code=0).stdout
        self.assertRegex(listing, r"file_reader\s+Parallel file reader \(beginner\)\s+pending\s+-/30")
        self.assertEqual(workbook(self.root, "lessons", check_code=0).stdout.count("\n    "), 21)

    def test_the_stub_fails_with_not_implemented_and_nothing_is_written_to_the_learners_files(self):
        before = (self.root / FILE_READER).read_text()
        out = workbook(self.root, "grade", "file_reader", check_code=1).stdout
        self.assertIn("not implemented yet", out)
        self.assertIn("Score: 0/30", out)
        self.assertEqual((self.root / FILE_READER).read_text(), before)
        self.assertEqual(subprocess.run(["git", "-C", str(self.root), "status", "--porcelain", "exercises"],
                                        capture_output=True, text=True, check=True).stdout, "")

    def test_a_passing_exercise_scores_full_points_and_opens_the_solution(self):
        self.assertIn("opens once your code passes", workbook(self.root, "solution", "file_reader", check_code=1).stdout)
        self.write(FILE_READER, SOLUTION)
        report = self.root / "report.json"
        out = workbook(self.root, "grade", "file_reader", "--json", str(report), check_code=0).stdout
        self.assertIn("Score: 30/30", out)
        self.assertEqual(json.loads(report.read_text())["score"], 30)
        self.assertIn("tools/workbook solution file_reader", out)
        self.assertIn("read_files", workbook(self.root, "solution", "file_reader", check_code=0).stdout)
        state = json.loads((self.root / ".workbook-state.json").read_text())
        self.assertEqual(state["exercises"]["file_reader"]["status"], "passed")
        self.assertRegex(workbook(self.root, "list", check_code=0).stdout, r"file_reader .* done\s+30/30")
        self.assertIn("Next: lesson 1", workbook(self.root, check_code=0).stdout)

    def test_a_hang_is_reported_per_test_with_where_the_threads_were(self):
        self.write(FILE_READER, HANGS)
        out = workbook(self.root, "grade", "file_reader", "--timeout", "2", check_code=1).stdout
        self.assertIn("HANG", out)
        self.assertIn("did not finish within 2 s", out)
        if shutil.which("gdb"):
            self.assertIn("Where each thread was", out)
            self.assertIn("file_reader.cpp", out)

    def test_a_crash_is_reported_with_its_signal_and_grading_goes_on(self):
        self.write(FILE_READER, CRASHES)
        out = workbook(self.root, "grade", "file_reader", check_code=1).stdout
        self.assertIn("CRASH", out)
        self.assertRegex(out, "SIGSEGV|store to null pointer")  # the latter in a build with UBSan
        self.assertRegex(out, r"pass\s+ReadFile")  # the tests that never call read_files still pass

    def test_a_compile_error_shows_the_first_error_with_file_and_line(self):
        self.write(FILE_READER, DOES_NOT_COMPILE)
        out = workbook(self.root, "grade", "file_reader", check_code=1).stdout
        self.assertIn("does not compile", out)
        self.assertRegex(out, r"exercises/01-file-reader/file_reader\.cpp:\d+:\d+: error: ")  # the learner's file
        self.assertLess(out.count("error:"), 3)

    def test_hints_come_one_at_a_time_and_then_all_together(self):
        manifest = json.loads((SOURCE / "workbook.json").read_text())
        hints = next(e for e in manifest["exercises"] if e["name"] == "pipeline")["hints"]
        for number, text in enumerate(hints, start=1):
            out = workbook(self.root, "hint", "pipeline", check_code=0).stdout
            self.assertIn(f"Hint {number} of {len(hints)}", out)
            self.assertIn(text, out)
        self.assertIn(f"You have seen all {len(hints)} hints", workbook(self.root, "hint", "pipeline", check_code=0).stdout)

    def test_reset_restores_the_stub_and_keeps_a_backup(self):
        stub = (self.root / FILE_READER).read_text()
        self.write(FILE_READER, "my work in progress\n")
        out = workbook(self.root, "reset", "file_reader", check_code=0).stdout
        self.assertIn("Restored exercises/01-file-reader/file_reader.cpp", out)
        self.assertEqual((self.root / FILE_READER).read_text(), stub)
        backups = list((self.root / ".workbook" / "backups").glob("file_reader-*/file_reader.cpp"))
        self.assertEqual([b.read_text() for b in backups], ["my work in progress\n"])

    def test_bad_input_gets_a_clear_error(self):
        out = workbook(self.root, "grade", "no_such_exercise", check_code=2)
        self.assertIn('no exercise called "no_such_exercise"; the exercises are: file_reader pipeline fetcher', out.stderr)
        self.assertIn("there is no lesson 99", workbook(self.root, "lesson", "99", check_code=2).stderr)


class WatchTest(WorkbookCase):
    def test_watch_grades_again_when_a_file_is_saved(self):
        command = [BIN, "--root", str(self.root), "--build-dir", BUILD, "--color", "never", "watch", "file_reader",
                   "--max-runs", "2"]
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as process:
            seen = []
            for line in process.stdout:
                seen.append(line)
                if line.startswith("Watching exercises/01-file-reader/"):
                    break
            self.assertIn("Score: 0/30\n", seen, "".join(seen))
            self.write(FILE_READER, SOLUTION)  # the save the watcher waits for
            rest = process.stdout.read()
            self.assertEqual(process.wait(timeout=300), 0)
        self.assertIn("Change seen, grading again.", rest)
        self.assertIn("Score: 30/30", rest)


class ClassTest(unittest.TestCase):
    """A class of six: one passes, one hands in the stub, one does not compile, one folder is
    empty, one floods its output, one forks without end. Every student gets a row; the batch
    finishes."""

    STUDENTS = {"alice": SOLUTION, "bob": None, "carol": DOES_NOT_COMPILE, "dave": "", "erin": FLOODS,
                "frank": FORK_BOMB}

    @classmethod
    def setUpClass(cls):
        cls.dir = Path(tempfile.mkdtemp(prefix="workbook-class-e2e-"))
        cls.root = cls.dir / "workbook"
        cls.root.mkdir()
        copy_workbook(cls.root)
        cls.submissions = cls.dir / "submissions"
        for student, text in cls.STUDENTS.items():
            folder = cls.submissions / student / "01-file-reader"
            if text == "":
                folder.parent.mkdir(parents=True)
                continue
            shutil.copytree(SOURCE / "exercises/01-file-reader", folder)
            if text is not None:
                (folder / "file_reader.cpp").write_text(text)
        cls.assignment = cls.dir / "assignment.json"
        cls.assignment.write_text(json.dumps({
            "format_version": 1, "name": "Week 1", "due": "2026-12-01", "mode": "practice",
            "exercises": [{"name": "file_reader", "points": 10}],
            "limits": {"test_seconds": 3, "output_kb": 256}}))
        cls.out = cls.dir / "out"
        cls.graded = workbook(cls.root, "grade-class", str(cls.submissions), "--assignment", str(cls.assignment),
                           "--out", str(cls.out))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def gradebook(self, out: Path):
        with open(out / "gradebook.csv", newline="") as file:
            return {row["student"]: row for row in csv.DictReader(file)}

    def test_every_student_gets_a_row_with_the_right_status(self):
        self.assertEqual(self.graded.returncode, 0, self.graded.stderr)
        self.assertIn("Graded 6 students", self.graded.stdout)
        rows = self.gradebook(self.out)
        self.assertEqual(sorted(rows), sorted(self.STUDENTS))
        self.assertEqual((rows["alice"]["status"], float(rows["alice"]["points"])), ("passed", 10.0))
        self.assertEqual((rows["bob"]["status"], float(rows["bob"]["points"])), ("failed", 0.0))
        self.assertEqual(rows["carol"]["status"], "compile error")
        self.assertEqual(rows["dave"]["status"], "missing")
        self.assertIn(rows["erin"]["status"], ("partial", "failed"))
        self.assertIn("output", (self.out / "feedback" / "erin.txt").read_text())
        self.assertIn("error:", (self.out / "feedback" / "carol.txt").read_text())
        self.assertIn(rows["frank"]["status"], ("partial", "failed"))
        self.assertEqual(float(rows["frank"]["points"]), 3.0)  # read_file's tests pass; read_files' do not

    def test_platform_formats_are_written(self):
        gradescope = json.loads((self.out / "gradescope" / "alice" / "results.json").read_text())
        self.assertEqual(gradescope["score"], 10)
        exercism = json.loads((self.out / "exercism" / "carol" / "results.json").read_text())
        self.assertEqual((exercism["version"], exercism["status"]), (2, "error"))
        suites = ElementTree.parse(self.out / "junit.xml").getroot().findall("testsuite")
        self.assertEqual(len(suites), len(self.STUDENTS))

    def test_package_writes_a_gradescope_bundle(self):
        bundle = self.dir / "autograder.zip"
        workbook(self.root, "package", "--assignment", str(self.assignment), "-o", str(bundle), check_code=0)
        with zipfile.ZipFile(bundle) as archive:
            names = set(archive.namelist())
            self.assertLessEqual({"setup.sh", "run_autograder", "assignment.json", "workbook/workbook.json",
                                  "workbook/tools/install-deps.sh"}, names)
            self.assertEqual(json.loads(archive.read("assignment.json")), json.loads(self.assignment.read_text()))
            self.assertIn("grade-class", archive.read("run_autograder").decode())

    def test_shards_merge_into_the_same_gradebook(self):
        # Without the fork bomb, which only costs time here: its row is checked above.
        quick = self.dir / "quick-submissions"
        shutil.copytree(self.submissions, quick, ignore=lambda folder, names: ["frank"] if folder == str(self.submissions) else [])
        shard_outs = []
        for shard in ("1/2", "2/2"):
            out = self.dir / ("shard-" + shard.replace("/", "-of-"))
            workbook(self.root, "grade-class", str(quick), "--assignment", str(self.assignment),
                     "--out", str(out), "--shard", shard, check_code=0)
            shard_outs.append(out)
        merged = self.dir / "merged"
        workbook(self.root, "merge", *map(str, shard_outs), "--out", str(merged), check_code=0)
        strip = lambda rows: {s: (r["exercise"], r["points"], r["status"]) for s, r in rows.items() if s != "frank"}
        self.assertEqual(strip(self.gradebook(merged)), strip(self.gradebook(self.out)))
        self.assertEqual(len(self.gradebook(merged)), len(self.STUDENTS) - 1)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[1:]])
