#!/usr/bin/env bash
# Installs everything the workbook needs to build, test and benchmark, from Debian 12 packages.
# Idempotent: packages already present are left alone. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config ccache mold gdb patch git
  # the workbook command's end-to-end tests and the benchmark reports
  python3
  # libraries (Boost 1.81 only: never mix with the unversioned 1.74 -dev packages)
  libboost1.81-dev libboost-filesystem1.81-dev
  libcpp-httplib-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev
  # benchmarking the edit-to-feedback loop
  hyperfine
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
