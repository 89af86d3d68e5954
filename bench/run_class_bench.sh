#!/usr/bin/env bash
# Batch-grading throughput: a made-up class of N students (half hand in the reference solutions,
# a quarter the untouched stubs, a quarter a file that does not compile) graded with
# `tools/workbook grade-class`, once in practice mode and once with the graded example
# assignment (tests repeated 3x, shuffled, plus the ThreadSanitizer race check).
#
#   bench/run_class_bench.sh [STUDENTS]     default 8
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-8}
class=$(mktemp -d)
trap 'rm -rf "$class"' EXIT

for i in $(seq 1 "$students"); do
  folder="$class/submissions/student-$(printf %02d "$i")"
  mkdir -p "$folder"
  case $((i % 4)) in
    0) cp -r exercises/. "$folder/" ;;
    1) cp -r exercises/. "$folder/"
       echo "int broken = ;" >> "$folder/01-file-reader/file_reader.cpp" ;;
    *) cp -r solutions/. "$folder/" ;;
  esac
done

for assignment in grader/assignments/practice.json grader/assignments/example-graded.json; do
  echo "== $assignment"
  tools/workbook grade-class "$class/submissions" --assignment "$assignment" --out "$class/out" 2>/dev/null
done
