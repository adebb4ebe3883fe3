#!/usr/bin/env bash
# `make demo`, the README's first command: installs what is missing, builds, and runs the
# prime_numbers example on the local backend (no AWS account needed), ending with the ranked
# table and the path of report.html.
#   tools/demo.sh [--output DIR]      (default results/prime-numbers; a rerun resumes it)
# BUILD (default build) chooses the build directory; SKIP_INSTALL=1 skips the package step,
# SKIP_BUILD=1 uses the binaries already in BUILD (the tests run the demo that way, with their
# sanitizer build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
output=results/prime-numbers
while [ $# -gt 0 ]; do
  case "$1" in
    --output) output=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
step() { printf '\n==> %s\n' "$*"; }

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  step "Installing missing build packages (tools/install_deps.sh)"
  tools/install_deps.sh
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  step "Building monitor_system and orchestrate ($BUILD/)"
  make --no-print-directory -j"$(nproc)" BUILD="$BUILD" all >/dev/null
fi

step "Building the example workloads (examples/build.sh)"
examples/build.sh

step "Running examples/prime_numbers/config.yaml on this machine (8 short jobs)"
"$BUILD/orchestrate" run examples/prime_numbers/config.yaml --output "$output"

report=$output/report.html
[ -f "$report" ] || { echo "demo.sh: $report was not written" >&2; exit 1; }
step "Done"
echo "results: $output/results.csv, $output/summary.csv"
echo "report:  $(cd "$(dirname "$report")" && pwd)/report.html"
