#!/usr/bin/env bash
# Grades your exercises and tells you what passed, what did not and why, your score and the next
# step. It configures and builds what it needs on first use (the dev preset, in build/dev).
#
#   tools/grade.sh                  every exercise in exercises/
#   tools/grade.sh file_reader      one exercise (file_reader, pipeline, fetcher: see workbook.json)
#   tools/grade.sh --solutions      the reference solutions in solutions/
#   tools/grade.sh fetcher --hints  every hint for the next step; --help lists all options
#
# To grade another directory laid out like exercises/ (a student's submission), give it a build
# directory of its own:
#   cmake --preset dev -B build/student -DWORKBOOK_SUBMISSION_DIR=/path/to/submission
#   WORKBOOK_BUILD_DIR=build/student tools/grade.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WORKBOOK_BUILD_DIR:-$root/build/dev}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if [ ! -f "$build/CMakeCache.txt" ]; then
  echo "First run: configuring $build and building the grader (a minute or two)..."
  if ! (cd "$root" && cmake --preset dev -B "$build") >"$log" 2>&1; then
    cat "$log"
    exit 2
  fi
fi
if ! cmake --build "$build" --target workbook-grade >"$log" 2>&1; then
  cat "$log"
  echo "grade.sh: could not build the grader (see above)" >&2
  exit 2
fi
exec "$build/grader/bin/workbook-grade" --source "$root" --build-dir "$build" --command tools/grade.sh "$@"
