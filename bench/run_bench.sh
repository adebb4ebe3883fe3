#!/usr/bin/env bash
# `make bench`: every benchmark in bench/, one after the other, each printing its own
# side-by-side table; one that fails (or runs past its time limit) does not stop the rest,
# and a closing summary says which ran. Figures are printed, never asserted.
#   bench/run_bench.sh                 all of them
#   bench/run_bench.sh monitor [s3 ...] only those named (bench/NAME_bench.sh)
#   BENCH_FILTER=PART bench/run_bench.sh  those whose name contains PART
# Sized for a 2-core machine in about 15 minutes; larger runs through each script's own
# knobs, which are passed through when set:
#   BENCH_SECONDS (monitor, 12), BENCH_LARGE_MB (s3, 1024: the issue's 1 GiB; about 3
#   minutes), BENCH_SMALL_N (s3, 2000), BENCH_SEARCH_SEEDS (search, here 10),
#   BENCH_TIMEOUT (seconds per benchmark, 420).
# Builds: `make all` (BUILD=build) for the monitor, orchestrate and the archives; the
# monitor benchmark also measures build/static/monitor_system, the binary that ships in
# images, when `make static` has built it.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
LIMIT=${BENCH_TIMEOUT:-420}
ALL=()  # every bench/NAME_bench.sh, so a new one is run without touching this file
for f in bench/*_bench.sh; do
  f=${f#bench/}
  [ "$f" = run_bench.sh ] || ALL+=("${f%_bench.sh}")
done

# NAME -> the command that runs it
bench_cmd() {
  case "$1" in
    monitor) echo "bench/monitor_bench.sh $BUILD/monitor_system" ;;
    s3)      echo "env BENCH_LARGE_MB=${BENCH_LARGE_MB:-1024} BENCH_SMALL_N=${BENCH_SMALL_N:-2000} bench/s3_bench.sh" ;;
    batch)   echo "bench/batch_bench.sh" ;;
    search)  echo "bench/search_bench.sh ${BENCH_SEARCH_SEEDS:-10}" ;;
    run)     return 1 ;;  # this script
    *)       [ -f "bench/$1_bench.sh" ] && echo "bench/$1_bench.sh" ;;
  esac
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for n in "${ALL[@]}"; do  # BENCH_FILTER=PART: those whose name contains PART
    [[ "$n" == *"${BENCH_FILTER:-}"* ]] && names+=("$n")
  done
fi
for n in "${names[@]}"; do
  bench_cmd "$n" >/dev/null || { echo "run_bench: unknown benchmark '$n' (${ALL[*]})" >&2; exit 2; }
done

results=()
failed=0
for n in "${names[@]}"; do
  cmd=$(bench_cmd "$n")
  echo
  echo "================ $n: $cmd"
  start=$(date +%s)
  # timeout runs it in a process group of its own and signals the whole group, so a
  # time-out also takes down the servers the benchmark started
  # shellcheck disable=SC2086
  timeout --kill-after=10 "$LIMIT" $cmd
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ "$n" = monitor ] && [ $rc -eq 0 ] && [ -x build/static/monitor_system ]; then
    echo
    echo "---- monitor, static binary (build/static/monitor_system, as shipped in images)"
    timeout --kill-after=10 "$LIMIT" bench/monitor_bench.sh build/static/monitor_system
    rc=$?
    secs=$(( $(date +%s) - start ))
  fi
  case $rc in
    0)       results+=("$(printf '%-8s ran        %4d s' "$n" "$secs")") ;;
    124|137) results+=("$(printf '%-8s TIMED OUT  %4d s (limit %d s: BENCH_TIMEOUT)' "$n" "$secs" "$LIMIT")"); failed=$((failed + 1)) ;;
    *)       results+=("$(printf '%-8s FAILED     %4d s (exit %d; its messages are above)' "$n" "$secs" "$rc")"); failed=$((failed + 1)) ;;
  esac
done

echo
echo "================ benchmarks"
printf '%s\n' "${results[@]}"
[ $failed -eq 0 ]
