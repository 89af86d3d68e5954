"""End-to-end tests of the `workbook` command: the real binary on a temporary copy of the workbook.

Run by ctest (label workbook) with WORKBOOK_BIN, WORKBOOK_SOURCE and WORKBOOK_BUILD set; each test
class is its own ctest, e.g. `python3 test_workbook.py LearnerTest`.
"""
import csv
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
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


class hold_race_tree:
    """Holds the lock a background build of the race check's grader holds on its tree."""

    def __init__(self, tree: Path):
        self.file = open(tree / "workbook-race-grader.lock", "w")

    def __enter__(self):
        fcntl.flock(self.file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.file.close()


def wait_for(path: Path, seconds=120) -> None:
    """Waits for a file a detached process writes (nothing else tells when it is there)."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {seconds} s")
        time.sleep(0.05)


class WorkbookCase(unittest.TestCase):
    def setUp(self):
        self.root = Path(tempfile.mkdtemp(prefix="workbook-e2e-"))
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        copy_workbook(self.root)

    def write(self, relative: Path, text: str) -> None:
        (self.root / relative).write_text(text)


class LearnerTest(WorkbookCase):
    def test_overview_points_to_the_first_lesson_and_list_shows_everything_pending(self):
        manifest = json.loads((SOURCE / "workbook.json").read_text())
        overview = workbook(self.root, check_code=0).stdout
        self.assertIn("Next: lesson 1, Why executors", overview)
        points = sum(exercise["points"] for exercise in manifest["exercises"])
        self.assertIn(f"0/{len(manifest['exercises'])} done, 0/{points} points", overview)
        listing = workbook(self.root, "list", check_code=0).stdout
        self.assertRegex(listing, r"file_reader\s+Parallel file reader \(beginner\)\s+pending\s+-/30")
        for exercise in manifest["exercises"]:
            self.assertRegex(listing, rf"{exercise['name']}\s+.*pending\s+-/{exercise['points']}")
        self.assertEqual(workbook(self.root, "lessons", check_code=0).stdout.count("\n    "), len(manifest["lessons"]))

    def test_list_lines_up_its_columns_and_shows_the_tasks_apart(self):
        manifest = json.loads((SOURCE / "workbook.json").read_text())
        listing = workbook(self.root, "list", check_code=0).stdout
        exercises, tasks = listing.split("Exercises\n", 1)[1].split("Lesson tasks\n", 1)
        rows = [row for row in (exercises + tasks).splitlines() if " pending " in row]
        self.assertEqual(len(rows), len(manifest["exercises"]), listing)
        self.assertEqual(len({row.index(" pending ") for row in rows}), 1, listing)
        self.assertEqual(len({row.index(" Task: ") for row in rows if " Task: " in row} |
                             {row.index(" Parallel ") for row in rows if " Parallel " in row}), 1, listing)
        for exercise in manifest["exercises"]:
            section = tasks if exercise["kind"] == "task" else exercises
            self.assertRegex(section, rf" {exercise['name']} ", listing)
        self.assertRegex(tasks, r"cancel_queued\s+Task: cancel every queued call \(lesson 5\)")

    def test_each_lesson_is_followed_by_its_task_then_the_exercises_it_prepares(self):
        manifest = json.loads((SOURCE / "workbook.json").read_text())
        number = {exercise["name"]: i + 1 for i, exercise in enumerate(manifest["exercises"])}
        # The next step after lesson 12: its task, then the exercises that lesson 12 completes.
        after_12 = sorted((exercise for exercise in manifest["exercises"] if exercise["after_lesson"] == 12),
                          key=lambda exercise: exercise["kind"] != "task")
        self.assertGreater(len(after_12), 1, "lesson 12 prepares a task and at least one exercise")
        state = {"format_version": 1, "lessons_run": list(range(1, 13)),
                 "exercises": {exercise["name"]: {"earned": exercise["points"], "possible": exercise["points"],
                                                  "status": "passed", "graded_at": "2026-12-07T00:00:00Z", "race_check": "clean"}
                               for exercise in manifest["exercises"] if exercise["after_lesson"] < 12}}
        for done_before in range(len(after_12)):
            for exercise in after_12[:done_before]:
                state["exercises"][exercise["name"]] = {"earned": exercise["points"], "possible": exercise["points"],
                                                        "status": "passed", "graded_at": "2026-12-07T00:00:00Z", "race_check": "clean"}
            (self.root / ".workbook-state.json").write_text(json.dumps(state))
            overview = workbook(self.root, check_code=0).stdout
            expected = after_12[done_before]
            self.assertIn(f"Next: exercise {number[expected['name']]}, {expected['title']}", overview)
            self.assertIn(f"Grade it:  tools/workbook grade {expected['name']}", overview)

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
        self.assertIn("Race check (ThreadSanitizer): no data race found.", out)
        self.assertEqual(json.loads(report.read_text())["score"], 30)
        self.assertIn("race check: clean", json.loads(report.read_text())["exercises"][0]["notes"])
        self.assertIn("file_reader is done. The reference solution is open to you now: tools/workbook solution file_reader", out)
        self.assertIn("read_files", workbook(self.root, "solution", "file_reader", check_code=0).stdout)
        state = json.loads((self.root / ".workbook-state.json").read_text())
        self.assertEqual(state["exercises"]["file_reader"]["status"], "passed")
        self.assertRegex(workbook(self.root, "list", check_code=0).stdout, r"file_reader .* done\s+30/30")
        self.assertIn("Next: lesson 1", workbook(self.root, check_code=0).stdout)

    def test_grade_timeline_writes_a_chrome_trace_with_a_process_per_test(self):
        self.write(FILE_READER, SOLUTION)
        timeline = self.root / ".workbook" / "timelines" / "file_reader.json"
        self.assertNotIn("perfetto", workbook(self.root, "grade", "file_reader", "--no-race", check_code=0).stdout)
        self.assertFalse(timeline.exists())  # only when asked for
        report = self.root / "report.json"
        out = workbook(self.root, "grade", "file_reader", "--no-race", "--timeline", "--json", str(report),
                       check_code=0).stdout
        self.assertIn("Score: 30/30", out)
        self.assertIn(".workbook/timelines/file_reader.json (open it in https://ui.perfetto.dev or chrome://tracing)",
                      out)
        events = json.loads(timeline.read_text())["traceEvents"]
        processes = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
        tests = [test["name"] for test in json.loads(report.read_text())["exercises"][0]["tests"]]
        self.assertEqual(sorted(processes.values()), sorted(tests))
        concurrent = next(pid for pid, name in processes.items() if name == "ReadFilesReadsTheFilesConcurrently")
        reads = [e for e in events if e["ph"] == "X" and e["pid"] == concurrent]
        self.assertGreaterEqual(len(reads), 4, events)  # the test's 4 files, each read on a worker

    def test_a_pass_is_not_done_while_the_race_check_is_pending_or_skipped_with_no_race(self):
        race_tree = self.root / "race-tree"
        race_tree.mkdir()
        self.write(FILE_READER, SOLUTION)
        with hold_race_tree(race_tree):  # as a background build of its grader does
            out = workbook(self.root, "--race-build-dir", str(race_tree), "grade", "file_reader", check_code=0).stdout
        self.assertIn("Score: 30/30", out)
        self.assertIn("Race check (ThreadSanitizer): pending.", out)
        self.assertIn("file_reader counts as done once the race check passes too", out)
        self.assertNotIn("Next step", out)  # the race check's line says what comes next
        self.assertRegex(workbook(self.root, "list", check_code=0).stdout,
                         r"file_reader .* passed\s+30/30\s+race check: pending")
        self.assertIn("opens once your code passes", workbook(self.root, "solution", "file_reader", check_code=1).stdout)
        out = workbook(self.root, "grade", "file_reader", "--no-race", check_code=0).stdout
        self.assertIn("Race check (ThreadSanitizer): not run: --no-race.", out)
        self.assertRegex(workbook(self.root, "list", check_code=0).stdout, r"file_reader .* passed\s+30/30")
        both = workbook(self.root, "grade", "file_reader", "--race", "--no-race")
        self.assertNotEqual(both.returncode, 0)
        self.assertIn("excludes", both.stderr)

    def test_the_race_checks_grader_is_built_in_the_background_and_a_failed_build_is_reported(self):
        race_tree = self.root / "race-tree"
        race_tree.mkdir()
        (race_tree / "CMakeCache.txt").write_text("not a cache\n")  # configured, but it cannot build
        self.write(FILE_READER, SOLUTION)
        out = workbook(self.root, "--race-build-dir", str(race_tree), "grade", "file_reader", check_code=0).stdout
        self.assertIn("Race check (ThreadSanitizer): pending.", out)
        wait_for(race_tree / "workbook-race-grader.failed")
        with hold_race_tree(race_tree):  # the builder has let go of it
            pass
        self.assertIn("$ cmake --build", (race_tree / "workbook-race-grader.log").read_text())
        out = workbook(self.root, "--race-build-dir", str(race_tree), "grade", "file_reader", check_code=0).stdout
        self.assertIn("Race check (ThreadSanitizer): skipped: the ThreadSanitizer grader does not build here", out)
        self.assertIn("file_reader is done.", out)  # ThreadSanitizer cannot run here: the tests decide

    def test_a_hang_is_reported_per_test_with_where_the_threads_were(self):
        self.write(FILE_READER, HANGS)
        out = workbook(self.root, "grade", "file_reader", "--timeout", "2", check_code=1).stdout
        self.assertIn("HANG", out)
        self.assertIn("did not finish within 2 s", out)
        if shutil.which("gdb"):
            self.assertIn("Where each thread was", out)
            self.assertIn("file_reader.cpp", out)

    def test_a_deadlock_is_reported_once_nothing_runs_not_at_the_time_limit(self):
        self.write(FILE_READER, HANGS)
        # Patience 1 s: a test with every thread blocked for 1.5 s is reported as a deadlock, long
        # before its 300 s limit.
        result = subprocess.run([BIN, "--root", str(self.root), "--build-dir", BUILD, "--color", "never", "grade",
                                 "file_reader", "--timeout", "300"], capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, WORKBOOK_PATIENCE_MS="1000"))
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("with none of them running: a deadlock", result.stdout)
        self.assertNotIn("did not finish within 300 s", result.stdout)

    def test_a_crash_is_reported_with_its_signal_and_grading_goes_on(self):
        self.write(FILE_READER, CRASHES)
        out = workbook(self.root, "grade", "file_reader", check_code=1).stdout
        self.assertIn("CRASH", out)
        self.assertRegex(out, "SIGSEGV|store to null pointer")  # the latter in a build with UBSan
        self.assertRegex(out, r"pass\s+ReadFile")  # the tests that never call read_files still pass
        if shutil.which("gdb") and "SIGSEGV" in out:  # where it crashed, as for a hang
            self.assertRegex(out, r"crashed in exercises::read_files\(\) at file_reader\.cpp:\d+")

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

    def test_hint_takes_the_number_list_shows(self):
        self.assertIn("Hint 1 of", workbook(self.root, "hint", "2", check_code=0).stdout)
        self.assertIn("Hint 2 of", workbook(self.root, "hint", "pipeline", check_code=0).stdout)

    def test_lesson_knobs_before_the_separator_get_a_clear_error_and_run_skips_the_text(self):
        error = workbook(self.root, "lesson", "2", "--workers", "1", check_code=2).stderr
        self.assertIn("pass knobs after --", error)
        self.assertIn("tools/workbook lesson 2 -- --workers 1", error)
        out = workbook(self.root, "lesson", "2", "--run", "--", "--workers", "1", check_code=0).stdout
        self.assertIn("Running lessons/02-thread-pool-basics/main.cpp", out)
        self.assertNotIn((SOURCE / "lessons/02-thread-pool-basics/README.md").read_text().splitlines()[0], out)

    def test_bad_input_gets_a_clear_error(self):
        out = workbook(self.root, "grade", "no_such_exercise", check_code=2)
        names = " ".join(exercise["name"] for exercise in json.loads((SOURCE / "workbook.json").read_text())["exercises"])
        self.assertIn(f'no exercise called "no_such_exercise"; the exercises are: {names}', out.stderr)
        self.assertIn("there is no lesson 99", workbook(self.root, "lesson", "99", check_code=2).stderr)


class WatchTest(WorkbookCase):
    def watch(self, *args, options=()):
        command = [BIN, "--root", str(self.root), "--build-dir", BUILD, "--color", "never", *options, "watch", *args]
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def read_until_prompt(self, process) -> str:
        seen = []
        for line in process.stdout:
            seen.append(line)
            if line.startswith(("Watching exercises/", "Type h (hint)")):
                break
        return "".join(seen)

    def test_a_save_grades_again_and_a_pass_moves_on_to_the_next_exercise(self):
        with self.watch("file_reader", "--max-runs", "3") as process:
            first = self.read_until_prompt(process)
            self.assertIn("Score: 0/30\n", first)
            self.assertNotIn("Then grade it again", first)
            self.write(FILE_READER, SOLUTION)  # the save the watcher waits for
            rest = process.stdout.read()
            self.assertEqual(process.wait(timeout=300), 0)
        self.assertIn("Change seen in file_reader, grading again.", rest)
        self.assertIn("Score: 30/30", rest)
        self.assertIn("file_reader passes. On to exercise 2, Parallel pipeline with progress.", rest)
        self.assertIn("2. Parallel pipeline with progress", rest)

    def test_a_pending_race_check_grades_again_by_itself_when_its_grader_build_ends(self):
        race_tree = self.root / "race-tree"
        race_tree.mkdir()
        self.write(FILE_READER, SOLUTION)
        with hold_race_tree(race_tree):
            process = self.watch("file_reader", "--max-runs", "3", options=("--race-build-dir", str(race_tree)))
            first = self.read_until_prompt(process)
            # The build ends, and fails: ThreadSanitizer cannot be had here.
            (race_tree / "workbook-race-grader.failed").write_text("see the log\n")
        with process:
            rest = process.stdout.read()
            self.assertEqual(process.wait(timeout=300), 0)
        self.assertIn("Race check (ThreadSanitizer): pending.", first)
        self.assertIn("Watch grades it again by itself when the build has finished.", first)
        self.assertNotIn("On to exercise", first)
        self.assertIn("The race check's grader build has ended: grading file_reader again.", rest)
        self.assertIn("skipped: the ThreadSanitizer grader does not build here", rest)
        self.assertIn("file_reader passes. On to exercise 2", rest)

    def test_keys_show_a_hint_the_list_grade_again_and_quit(self):
        with self.watch("pipeline") as process:
            self.read_until_prompt(process)
            process.stdin.write("h\n")
            process.stdin.flush()
            self.assertIn("Hint 1 of", self.read_until_prompt(process))
            process.stdin.write("l\n")
            process.stdin.flush()
            self.assertRegex(self.read_until_prompt(process), r"pipeline\s+Parallel pipeline")
            process.stdin.write("\n")  # Enter: grade again
            process.stdin.flush()
            self.assertIn("Score: 0/30", self.read_until_prompt(process))
            process.stdin.write("q\n")
            process.stdin.flush()
            self.assertEqual(process.wait(timeout=120), 0)


class ClassCase(unittest.TestCase):
    """A class graded once for all its tests: a workbook copy and a submissions folder in a
    temporary folder removed afterwards."""

    @classmethod
    def make_class_folders(cls, prefix: str) -> None:
        cls.dir = Path(tempfile.mkdtemp(prefix=prefix))
        cls.root = cls.dir / "workbook"
        cls.root.mkdir()
        copy_workbook(cls.root)
        cls.submissions = cls.dir / "submissions"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)


class ClassTest(ClassCase):
    """A class of six: one passes, one hands in the stub, one does not compile, one folder is
    empty, one floods its output, one forks without end. Every student gets a row; the batch
    finishes."""

    STUDENTS = {"alice": SOLUTION, "bob": None, "carol": DOES_NOT_COMPILE, "dave": "", "erin": FLOODS,
                "frank": FORK_BOMB}

    @classmethod
    def setUpClass(cls):
        cls.make_class_folders("workbook-class-e2e-")
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

    def test_package_writes_a_gradescope_bundle_without_solutions_or_test_sources(self):
        bundle = self.dir / "autograder.zip"
        workbook(self.root, "package", "--assignment", str(self.assignment), "-o", str(bundle), check_code=0)
        with zipfile.ZipFile(bundle) as archive:
            names = set(archive.namelist())
            self.assertLessEqual({"setup.sh", "run_autograder", "assignment.json", "workbook/workbook.json",
                                  "workbook/bin/workbook", "workbook/bin/workbook-sandbox",
                                  "workbook/kits/file_reader/kit.json", "workbook/kits/file_reader/catalog.json"},
                                 names)
            self.assertEqual(json.loads(archive.read("assignment.json")), json.loads(self.assignment.read_text()))
            self.assertIn("grade-class", archive.read("run_autograder").decode())
            # Only what a submission's compile and link need: no solution, mutant or test source.
            self.assertEqual([n for n in names if n.endswith((".cpp", ".patch"))], [])
            self.assertEqual([n for n in names if "solutions" in n or "mutants" in n or "suites" in n], [])
            headers = sorted(n.rsplit("/", 1)[-1] for n in names if n.endswith(".hpp") and "/cf/" not in n)
            self.assertEqual(headers, ["file_reader.hpp"])
            self.assertIn("apt-get install", archive.read("setup.sh").decode())
            self.assertNotIn("install-deps", archive.read("setup.sh").decode())

    def test_a_bundle_grades_a_flat_upload(self):
        bundle = self.dir / "flat-autograder.zip"
        workbook(self.root, "package", "--assignment", str(self.assignment), "-o", str(bundle), check_code=0)
        autograder = self.dir / "autograder"
        (autograder / "source").mkdir(parents=True)
        with zipfile.ZipFile(bundle) as archive:
            archive.extractall(autograder / "source")
        for name in ("run_autograder", "workbook/bin/workbook", "workbook/bin/workbook-sandbox"):
            os.chmod(autograder / "source" / name, 0o755)
        (autograder / "submission").mkdir()
        shutil.copy(SOURCE / "solutions/01-file-reader/file_reader.cpp", autograder / "submission")
        subprocess.run(["bash", str(autograder / "source" / "run_autograder")], check=True, capture_output=True,
                       env=dict(os.environ, AUTOGRADER_ROOT=str(autograder)), timeout=600)
        self.assertEqual(json.loads((autograder / "results" / "results.json").read_text())["score"], 10)

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


STUB = (SOURCE / FILE_READER).read_text()
SOLUTION_PATH = SOURCE / "solutions/01-file-reader/file_reader.cpp"
SECRET = "instructor-secret-7f3a"  # in the grader's environment: no student may see it
UNIT_OF_SOLUTION = "std::istreambuf_iterator"  # a line of the reference solution no stub has


def stub_with(code: str) -> str:
    """The stub (worth nothing) with `code` added: the attack, not an attempt at the exercise."""
    return STUB + "\n" + code


# One student per attack family; each hands in nothing worth a point but the attack.
FORGE_RESULTS = stub_with("""
#include <unistd.h>
#include <cstdlib>
#include <string>
namespace {
// Claims every test passed, in the grader's own format, then leaves before the real verdict.
const bool forged = [] {
  for (const char* test : {"ReadFileReturnsTheWholeContent", "ReadFilesReadsTheFilesConcurrently"}) {
    for (const char* event : {"start", "end"}) {
      const std::string line = std::string("{\\"token\\":\\"guess\\",\\"event\\":\\"") + event +
          "\\",\\"test\\":\\"FileReaderTest." + test + "\\",\\"passed\\":true,\\"failures\\":[]}\\n";
      [[maybe_unused]] auto n = ::write(3, line.data(), line.size());
    }
  }
  return true;
}();
}  // namespace
namespace exercises {
FileContents read_files(const std::vector<std::string>&, int);
}
""").replace('throw std::logic_error("read_file() is not implemented yet");', "::_exit(0);")
FORGE_REPORT_FILE = stub_with("""
#include <unistd.h>
#include <fstream>
namespace {
// The old attack: a gtest report of its own in the working directory, then a clean exit.
const bool written = [] {
  std::ofstream("report.json") << R"({"testsuites":[{"testsuite":[{"name":"ReadFileReturnsTheWholeContent"}]}]})";
  return true;
}();
}  // namespace
""").replace('throw std::logic_error("read_file() is not implemented yet");', "::_exit(0);")
EXTRA_POINTS = stub_with("""
namespace workbook::grader {
struct Grade { int points = 1; int step = 1; const char* tag = ""; };
bool register_grade(const char* suite, const char* name, Grade grade);
}
namespace {
const bool registered = workbook::grader::register_grade("FileReaderTest", "ReadFileReturnsTheWholeContent",
                                                         {3000, 1, "points"});
}
""")
INCLUDE_SOLUTION = stub_with(f'#include "{SOLUTION_PATH}"\n')
INCLUDE_SOLUTION_RELATIVE = stub_with('#include "' + "../" * 12 + str(SOLUTION_PATH).lstrip("/") + '"\n')
INCLUDE_SHADOW = stub_with('#include "/etc/shadow"\n')
INCBIN_SHADOW = stub_with('asm(".incbin \\"/etc/shadow\\"");\n')
TEMPLATE_BOMB = stub_with("""
template <int N, long M> struct Bomb { static constexpr long value = Bomb<N - 1, 2 * M>::value + Bomb<N - 1, 2 * M + 1>::value; };
template <long M> struct Bomb<0, M> { static constexpr long value = M; };
long detonate() { return Bomb<26, 1>::value; }
""")
SNOOP = STUB.replace('throw std::logic_error("read_file() is not implemented yet");', f"""
  // Whatever it can reach goes into its failure message, which the feedback shows.
  std::string seen;
  for (const char* file : {{"{SOLUTION_PATH}", "{SOURCE / 'grader/suites/file_reader_test.cpp'}", "/etc/shadow"}}) {{
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) seen += "LEAKED " + line + "\\n";
  }}
  if (const char* secret = std::getenv("WORKBOOK_E2E_SECRET")) seen += std::string("LEAKED ") + secret;
  throw std::logic_error("read_file() is not implemented yet " + seen);""").replace(
    "#include <fstream>", "#include <cstdlib>\n#include <fstream>\n#include <string>")
DAEMON = STUB.replace('throw std::logic_error("read_file() is not implemented yet");', """
  // A daemon (setsid and a double fork) that would outlive the test and spoil others' later.
  if (::fork() == 0) {
    ::setsid();
    if (::fork() == 0) {
      for (int i = 0;; ++i) {
        std::ofstream("/tmp/daemon-" + std::to_string(i % 100)) << std::string(1 << 20, 'x');
        ::usleep(10000);
      }
    }
    ::_exit(0);
  }
  throw std::logic_error("read_file() is not implemented yet");""").replace(
    "#include <fstream>", "#include <unistd.h>\n#include <fstream>\n#include <string>")


def tree_digest(root: Path) -> dict:
    """Every regular file under `root` with its SHA-256."""
    import hashlib
    digests = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digests[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def sandbox_user_processes() -> list:
    """Processes running as a sandbox user id (the grader gives ids from 2,000,000,000 up)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid >= 2_000_000_000:
                    found.append(entry.name)
            except FileNotFoundError:
                pass
    return found


@unittest.skipUnless(os.geteuid() == 0, "the class sandbox's protections are complete as root (CI runs as root)")
class HostileClassTest(ClassCase):
    """A class in which most students attack the grader, beside two honest ones. The honest keep
    full marks, no attacker earns more than its code is worth (nothing: each is the stub plus the
    attack), every student has a row, and nothing of the batch outlives it."""

    @classmethod
    def setUpClass(cls):
        cls.make_class_folders("workbook-hostile-e2e-")
        texts = {"alice": SOLUTION, ".dotted": SOLUTION, "=HYPERLINK(x)": SOLUTION,
                 "forger": FORGE_RESULTS, "report_writer": FORGE_REPORT_FILE, "extra_points": EXTRA_POINTS,
                 "includer": INCLUDE_SOLUTION, "relative_includer": INCLUDE_SOLUTION_RELATIVE,
                 "shadow": INCLUDE_SHADOW, "incbin": INCBIN_SHADOW, "bomber": TEMPLATE_BOMB,
                 "snoop": SNOOP, "daemon": DAEMON}
        for student, text in texts.items():
            folder = cls.submissions / student / "01-file-reader"
            shutil.copytree(SOURCE / "exercises/01-file-reader", folder)
            (folder / "file_reader.cpp").write_text(text)
        linked = cls.submissions / "linked_file" / "01-file-reader"
        shutil.copytree(SOURCE / "exercises/01-file-reader", linked)
        (linked / "file_reader.cpp").unlink()
        (linked / "file_reader.cpp").symlink_to(SOLUTION_PATH)
        (cls.submissions / "linked_folder").symlink_to(SOURCE / "solutions")
        fifo = cls.submissions / "fifo" / "01-file-reader"
        shutil.copytree(SOURCE / "exercises/01-file-reader", fifo)
        (fifo / "file_reader.cpp").unlink()
        os.mkfifo(fifo / "file_reader.cpp")
        cls.students = sorted(texts) + ["fifo", "linked_file", "linked_folder"]

        cls.assignment = cls.dir / "assignment.json"
        cls.assignment.write_text(json.dumps({
            "format_version": 1, "name": "Hostile week", "mode": "practice",
            "exercises": [{"name": "file_reader", "points": 10}],
            "limits": {"test_seconds": 5, "output_kb": 256, "memory_mb": 512, "compile_memory_mb": 512,
                       "compile_seconds": 60}}))
        cls.tmp_before = set(os.listdir("/tmp"))
        cls.build_before = tree_digest(Path(BUILD) / "grader")
        cls.out = cls.dir / "out"
        # The grader's own temporary folder is one no sandbox user may write.
        cls.grader_tmp = cls.dir / "grader-tmp"
        cls.grader_tmp.mkdir(mode=0o700)
        environment = dict(os.environ, WORKBOOK_E2E_SECRET=SECRET, TMPDIR=str(cls.grader_tmp))
        cls.graded = subprocess.run([BIN, "--root", str(cls.root), "--build-dir", BUILD, "--color", "never",
                                     "grade-class", str(cls.submissions), "--assignment", str(cls.assignment),
                                     "--out", str(cls.out)], capture_output=True, text=True, timeout=900,
                                    env=environment)
        cls.tmp_after = set(os.listdir("/tmp"))
        cls.build_after = tree_digest(Path(BUILD) / "grader")
        cls.leftover_processes = sandbox_user_processes()

    def rows(self):
        with open(self.out / "gradebook.csv", newline="") as file:
            return {row["student"]: row for row in csv.DictReader(file)}

    def feedback(self, student: str) -> str:
        return (self.out / "feedback" / f"{student}.txt").read_text()

    def test_the_batch_finishes_with_a_row_for_every_student(self):
        self.assertEqual(self.graded.returncode, 0, self.graded.stderr)
        self.assertEqual(sorted(self.rows()), sorted("'" + s if s.startswith("=") else s for s in self.students))

    def test_honest_students_keep_full_marks(self):
        rows = self.rows()
        for student in ("alice", ".dotted", "'=HYPERLINK(x)"):
            self.assertEqual((rows[student]["status"], float(rows[student]["points"])), ("passed", 10.0), student)

    def test_no_attacker_earns_more_than_its_code_is_worth(self):
        for student, row in self.rows().items():
            if student not in ("alice", ".dotted", "'=HYPERLINK(x)"):
                self.assertEqual(float(row["points"]), 0.0, f"{student}: {row}")
        gradescope = json.loads((self.out / "gradescope" / "extra_points" / "results.json").read_text())
        self.assertEqual(gradescope["score"], 0)

    def test_statuses_name_the_fault(self):
        rows = self.rows()
        self.assertEqual(rows["forger"]["status"], "tampered")
        self.assertIn("token", self.feedback("forger"))
        self.assertEqual(rows["report_writer"]["status"], "failed")
        self.assertIn("before the test finished", self.feedback("report_writer"))
        for student in ("includer", "relative_includer", "shadow", "incbin", "bomber"):
            self.assertEqual(rows[student]["status"], "compile error", student)
        self.assertIn("used more than 512 MB of memory", self.feedback("bomber"))
        for student in ("linked_file", "linked_folder", "fifo"):
            self.assertEqual(rows[student]["status"], "rejected", student)
        self.assertIn("symbolic link", self.feedback("linked_file"))
        self.assertIn("not a regular file", self.feedback("fifo"))

    def test_nothing_secret_reaches_any_feedback(self):
        solution_line = next(line for line in SOLUTION.splitlines() if UNIT_OF_SOLUTION in line).strip()
        for feedback in (self.out / "feedback").iterdir():
            text = feedback.read_text()
            self.assertNotIn("LEAKED", text, feedback.name)
            self.assertNotIn(SECRET, text, feedback.name)
            self.assertNotIn("root:", text, feedback.name)
            if not feedback.name.startswith(("alice", ".dotted", "=HYPERLINK")):
                self.assertNotIn(solution_line, text, feedback.name)
        self.assertIn("Permission denied", self.feedback("shadow"))

    def test_nothing_of_the_batch_outlives_it(self):
        self.assertEqual(self.leftover_processes, [])
        self.assertEqual(sorted(self.tmp_after - self.tmp_before), [])
        self.assertEqual(os.listdir(self.grader_tmp), [])
        self.assertEqual(self.build_after, self.build_before)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[1:]])
