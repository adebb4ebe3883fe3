#!/usr/bin/env bash
# `make bench`: runs every bench/*_bench.sh in turn (each prints its own table and says
# what it compares against), and reports which ones failed. BENCH_FILTER=NAME runs only the
# scripts whose name contains NAME.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
for b in bench/*_bench.sh; do
  [ -e "$b" ] || continue
  [ -n "${BENCH_FILTER:-}" ] && [[ "$b" != *"$BENCH_FILTER"* ]] && continue
  echo "== $b"
  bash "$b" || failed+=("$b")
  echo
done
if [ ${#failed[@]} -gt 0 ]; then
  printf 'bench: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
