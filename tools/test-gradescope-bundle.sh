#!/usr/bin/env bash
# Tries a Gradescope bundle (tools/workbook package) on a Debian 12 machine that has nothing but
# what the bundle's setup.sh installs: a debootstrapped bookworm (minbase) stands in for the
# autograder image, the bundle is its /autograder/source, and two submissions are graded:
# the reference solutions uploaded flat (the files alone) and the stubs as exercise folders.
# Needs root and Debian's package mirror; takes a few minutes (the root file system is kept in
# ROOTFS for the next run).
#
#   tools/test-gradescope-bundle.sh BUNDLE.zip [ROOTFS]     default ROOTFS: /var/tmp/workbook-bookworm
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=$(realpath "$1")
rootfs=${2:-/var/tmp/workbook-bookworm}
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap, chroot, mounts)" >&2; exit 2; }

if [ ! -x "$rootfs/bin/bash" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian
fi
machine=$(mktemp -d /var/tmp/workbook-autograder-XXXXXX)
cleanup() {
  umount -R "$machine" 2>/dev/null || true
  rm -rf "$machine"
}
trap cleanup EXIT
cp -a "$rootfs/." "$machine/"
# A machine of its own: its root a mount point (the sandbox makes mounts private), with /proc,
# /sys (cgroups), /dev and the host's name resolution for apt.
mount --bind "$machine" "$machine"
mount -t proc proc "$machine/proc"
mount --rbind /sys "$machine/sys" && mount --make-rslave "$machine/sys"
mount --rbind /dev "$machine/dev" && mount --make-rslave "$machine/dev"
cp /etc/resolv.conf "$machine/etc/resolv.conf"
in_machine() { chroot "$machine" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

mkdir -p "$machine/autograder/source" "$machine/autograder/results"
cmake -E chdir "$machine/autograder/source" cmake -E tar xf "$bundle"
in_machine bash /autograder/source/setup.sh
echo "== installed by setup.sh on top of minbase:"
in_machine dpkg-query -W -f='${Package}\n' g++-12 gdb

failures=0
# Gradescope's images are Ubuntu 22.04: glibc 2.35, and GCC 12's libstdc++ (GLIBCXX_3.4.30).
newest() { find "$machine/autograder/source" -type f \( -perm -u+x -o -name '*.so*' \) -exec objdump -T {} + 2>/dev/null |
           grep -o "$1[0-9.]*" | sort -V -u | tail -1 || true; }
glibc=$(newest 'GLIBC_2\.'); glibcxx=$(newest 'GLIBCXX_3\.4\.')
echo "== the shipped binaries and libraries need at most $glibc and $glibcxx"
if [ "$(printf '%s\n' "$glibc" GLIBC_2.35 | sort -V | tail -1)" != GLIBC_2.35 ] ||
   [ "$(printf '%s\n' "$glibcxx" GLIBCXX_3.4.30 | sort -V | tail -1)" != GLIBCXX_3.4.30 ]; then
  echo "== too new for Ubuntu 22.04 (GLIBC_2.35, GLIBCXX_3.4.30)"; failures=$((failures + 1))
fi
grade() {  # grade NAME EXPECTED_SCORE: the submission in $machine/autograder/submission
  rm -f "$machine/autograder/results/results.json"
  in_machine bash /autograder/source/run_autograder > "$machine/run.log" 2>&1 || true
  local score
  score=$(python3 -c "import json,sys; print('%g' % json.load(open(sys.argv[1]))['score'])" \
    "$machine/autograder/results/results.json" 2>/dev/null || echo "none")
  if [ "$score" = "$2" ]; then
    echo "== $1: score $score, as expected"
  else
    echo "== $1: score $score, expected $2"; tail -30 "$machine/run.log"
    python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('output', '')[:3000])" "$machine/autograder/results/results.json" || true
    failures=$((failures + 1))
  fi
}
possible=$(python3 -c "import json,sys; print(sum(e['points'] for e in json.load(open(sys.argv[1]))['exercises']))" \
  "$machine/autograder/source/assignment.json")

rm -rf "$machine/autograder/submission" && mkdir -p "$machine/autograder/submission"
for exercise in $(python3 -c "import json,sys; print(' '.join(e['name'] for e in json.load(open(sys.argv[1]))['exercises']))" \
                  "$machine/autograder/source/assignment.json"); do
  dir=$(python3 -c "import json,sys; print(next(e['dir'] for e in json.load(open(sys.argv[1]))['exercises'] if e['name']==sys.argv[2]))" \
        workbook.json "$exercise")
  cp solutions/"$dir"/*.cpp "$machine/autograder/submission/"
done
grade "the solutions, uploaded flat" "$possible"

rm -rf "$machine/autograder/submission" && mkdir -p "$machine/autograder/submission"
cp -r exercises/. "$machine/autograder/submission/"
grade "the stubs, as exercise folders" 0

[ "$failures" -eq 0 ] && echo "The bundle grades on a Debian 12 machine with only a compiler and gdb added."
exit "$failures"
