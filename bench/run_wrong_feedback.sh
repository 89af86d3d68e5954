#!/usr/bin/env bash
# How long a learner waits for the feedback on wrong code: `tools/workbook grade` (learner mode)
# on a deadlocked file reader and on each sequential mutant. Goal: every one within 10 s on 2 cores.
#
#   bench/run_wrong_feedback.sh [hyperfine flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${WORKBOOK_BUILD_DIR:-build/dev}
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r workbook.json exercises solutions lessons "$copy"/

# A reader whose read_files waits for a future nobody completes: every thread blocked.
python3 - "$copy/exercises/01-file-reader/file_reader.cpp" solutions/01-file-reader/file_reader.cpp <<'PY'
import sys
code = open(sys.argv[2]).read().replace("FileContents read_files(", "FileContents read_files_unused(", 1)
open(sys.argv[1], "w").write(code + """
#include <future>
namespace exercises {
FileContents read_files(const std::vector<std::string>&, int) {
  std::promise<void> never;
  never.get_future().wait();
  return {};
}
}  // namespace exercises
""")
PY
cases=("deadlocked file_reader:file_reader:")
for mutant in file_reader_sequential pipeline_sequential fetcher_sequential; do
  cases+=("$mutant:${mutant%_sequential}:$build/grader/mutants/$mutant")
done
commands=()
for case in "${cases[@]}"; do
  IFS=: read -r name exercise mutant_dir <<<"$case"
  root="$copy/${name// /-}"
  mkdir -p "$root" && cp -r "$copy"/{workbook.json,exercises,solutions,lessons} "$root"/
  [[ -n $mutant_dir ]] && cp -r "$mutant_dir"/. "$root/exercises/"
  commands+=(--command-name "$name" "tools/workbook --root '$root' grade $exercise")
done
hyperfine --runs 3 -i --export-json "$build/wrong-feedback.json" "$@" "${commands[@]}"
