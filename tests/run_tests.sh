#!/usr/bin/env bash
# Runs every unit test binary and integration script and prints one closing line,
# "N passed, N failed, N skipped". Each test prints "RESULT passed=P failed=F" (unit.h,
# tests/integration/lib.sh); a test that dies without it counts as one failure, and an
# integration script that exits 77 is skipped (it says why).
#   BUILD=build/san tests/run_tests.sh [--unit-only] [--fuzz] [FILTER]
# --fuzz ends with the short fuzz run (tests/fuzz/run_fuzz.sh), counted one check a target,
# so this script's closing line stays the last line of `make test`.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
unit_only=0
with_fuzz=0
filter=""
for a in "$@"; do
  case "$a" in
    --unit-only) unit_only=1 ;;
    --fuzz) with_fuzz=1 ;;
    *) filter=$a ;;
  esac
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0 skipped=0
failures=()
logdir=$BUILD/test-logs
mkdir -p "$logdir"

run_one() {  # name, command...
  local name=$1; shift
  local log=$logdir/$(echo "$name" | tr '/' '_').log
  local start=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  local res
  res=$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+' "$log" | tail -n 1)
  if [ "$rc" -eq 77 ]; then
    skipped=$((skipped + 1))
    printf 'SKIP %-50s %s\n' "$name" "$(grep -m1 '^SKIP' "$log" | cut -c6-)"
    return
  fi
  local p=0 f=0
  if [ -n "$res" ]; then
    p=$(echo "$res" | sed -E 's/.*passed=([0-9]+).*/\1/')
    f=$(echo "$res" | sed -E 's/.*failed=([0-9]+).*/\1/')
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -gt 0 ]; then
    failures+=("$name")
    printf 'FAIL %-50s (%ds) rc=%d, log: %s\n' "$name" $((SECONDS - start)) "$rc" "$log"
    sed 's/^/    | /' "$log" | tail -n 40
  else
    printf 'ok   %-50s (%ds, %d checks)\n' "$name" $((SECONDS - start)) "$p"
  fi
}

for bin in $(find "$BUILD/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
  name=unit/${bin#"$BUILD"/tests/}
  [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
  run_one "$name" "$bin"
done

if [ "$unit_only" -eq 0 ]; then
  for script in tests/integration/test_*.sh; do
    [ -e "$script" ] || continue
    name=integration/$(basename "$script" .sh)
    [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
    run_one "$name" bash "$script"
  done
fi

if [ "$with_fuzz" -eq 1 ]; then
  run_one "fuzz/targets" tests/fuzz/run_fuzz.sh
  grep -E '^(ok|FAIL) ' "$logdir/fuzz_targets.log" | sed 's/^/    /'
fi

echo
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
