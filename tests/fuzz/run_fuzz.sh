#!/usr/bin/env bash
# `make fuzz` (and the end of `make test`): builds every tests/fuzz/fuzz_*.c with clang's
# libFuzzer, ASan and UBSan against the component archives (compiled with
# -fsanitize=fuzzer-no-link into build/fuzz), then runs each one briefly.
#   tests/fuzz/run_fuzz.sh [FILTER]
# FUZZ_SECONDS sets each target's time (default: 20 s, less when there are many targets,
# so the whole run stays under about 3 minutes). A seed corpus in tests/fuzz/corpus/<name>/
# is read but never written: new inputs go to build/fuzz/corpus/<name>/, crashes to
# build/fuzz/artifacts/<name>/. Exit status 1 when any target fails to build or finds a bug.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD_FUZZ=${BUILD_FUZZ:-build/fuzz}
filter=${1:-}

targets=()
for src in tests/fuzz/fuzz_*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
  targets+=("$name")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no targets (tests/fuzz/fuzz_*.c)"
  exit 0
fi
command -v clang >/dev/null || { echo "fuzz: clang is missing (tools/install_deps.sh --test)" >&2; exit 1; }

per=${FUZZ_SECONDS:-$(( 180 / ${#targets[@]} ))}
[ "$per" -gt 20 ] && [ -z "${FUZZ_SECONDS:-}" ] && per=20
[ "$per" -lt 3 ] && per=3

san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
bins=()
for t in "${targets[@]}"; do bins+=("$BUILD_FUZZ/fuzz-bin/$t"); done
mkdir -p "$BUILD_FUZZ"
if ! make --no-print-directory -j"$(nproc)" BUILD="$BUILD_FUZZ" CC=clang \
     OPT="-O1 -g -fno-omit-frame-pointer $san" "${bins[@]}" >"$BUILD_FUZZ/build.log" 2>&1; then
  echo "fuzz: building the targets failed (log: $BUILD_FUZZ/build.log):" >&2
  grep -E 'error|Error' "$BUILD_FUZZ/build.log" | head -n 30 >&2
  exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
  corpus=$BUILD_FUZZ/corpus/$t
  artifacts=$BUILD_FUZZ/artifacts/$t/
  log=$BUILD_FUZZ/$t.log
  mkdir -p "$corpus" "$artifacts"
  seeds=()
  [ -d "tests/fuzz/corpus/${t#fuzz_}" ] && seeds+=("tests/fuzz/corpus/${t#fuzz_}")
  [ -d "tests/fuzz/corpus/$t" ] && seeds+=("tests/fuzz/corpus/$t")
  start=$SECONDS
  "$BUILD_FUZZ/fuzz-bin/$t" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    printf 'ok   %-40s (%ds, %s runs)\n' "$t" $((SECONDS - start)) "${runs:-?}"
  else
    printf 'FAIL %-40s rc=%d, log: %s, crash inputs: %s\n' "$t" "$rc" "$log" "$artifacts"
    { grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -n 10
      # the frames in our code, and the input itself, so a CI log alone can reproduce it
      grep -E '^ +#[0-9]+ .* in [a-zA-Z_]' "$log" | grep -vE ' in (fuzzer::|__sanitizer|__asan|__ubsan|abort|raise|__pthread|__libc|_start|main )' | head -n 8
      for crash in "$artifacts"*; do
        [ -f "$crash" ] || continue
        echo "input $(basename "$crash") ($(stat -c %s "$crash") bytes), base64:"
        head -c 2048 "$crash" | base64 -w 100
      done; } | sed 's/^/    | /'
    failed+=("$t")
  fi
done
echo "fuzz: ${#targets[@]} targets, ${#failed[@]} failed${failed:+: ${failed[*]}}"
echo "RESULT passed=$(( ${#targets[@]} - ${#failed[@]} )) failed=${#failed[@]}"
[ ${#failed[@]} -eq 0 ]
