#!/usr/bin/env bash
# The learner's edit-to-feedback time: change one line of an exercise, then `tools/workbook grade`
# it (rebuild what changed, run every test, print the report). Target: under 3 s on 2 cores.
#
#   bench/run_edit_to_grade.sh [EXERCISE] [hyperfine flags...]    default exercise: file_reader
#
# Works on a temporary copy of the workbook holding the reference solution, so the learner's files
# are untouched and every run grades a full, passing exercise. Each run first changes a real line
# of code (a constant), so the compiler cannot be skipped: ccache sees new code every time.
set -euo pipefail
cd "$(dirname "$0")/.."
exercise=${1:-file_reader}
shift || true
build=${WORKBOOK_BUILD_DIR:-build/dev}

dir=$(python3 -c "import json,sys; print(next(e['dir'] for e in json.load(open('workbook.json'))['exercises'] if e['name']==sys.argv[1]))" "$exercise")
file=$(python3 -c "import json,sys; print(next(e['files'][0] for e in json.load(open('workbook.json'))['exercises'] if e['name']==sys.argv[1]))" "$exercise")
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r workbook.json exercises solutions lessons "$copy"/
cp solutions/"$dir"/* "$copy/exercises/$dir/"
echo "[[maybe_unused]] static int edit_counter = 0;  // the benchmark edits this line" >> "$copy/exercises/$dir/$file"

# The plain verdict, which the learner sees first; and the whole of `grade` with the race check,
# once its grader (build/tsan) is built (the benchmark never starts that build).
commands=(--command-name "plain verdict" "tools/workbook --root '$copy' grade --no-race $exercise")
if ninja -C build/tsan -n grader_kits 2>/dev/null | grep -q "no work to do"; then
  commands+=(--command-name "with the race check" "tools/workbook --root '$copy' grade $exercise")
else
  echo "build/tsan is not built: measuring the plain verdict only" >&2
fi
tools/workbook --root "$copy" grade --no-race "$exercise" > /dev/null  # warm: the grader and the kit are built
hyperfine --warmup 1 --runs 10 \
  --prepare "sed -i \"s/edit_counter = [0-9]*/edit_counter = 1\$(date +%N)/\" '$copy/exercises/$dir/$file'" \
  --export-json "$build/edit-to-grade.json" "$@" "${commands[@]}"
