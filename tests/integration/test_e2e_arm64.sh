#!/usr/bin/env bash
# End to end on ARM64 code: the static aarch64 monitor_system (make static-arm64) runs the
# prime example's aarch64 build, both under qemu-aarch64-static, named explicitly for the
# monitor and for the workload it starts (so this holds without binfmt_misc too; the ARM64
# images in test_example_images_arm64.sh need it). First by hand,
# then as orchestrate's local backend would run it on a Graviton profile, so the CSV and
# summary are collected into results.csv like any other job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/example_lib.sh"

arm_monitor=${STATIC_ARM64_MONITOR:-$ROOT/build/static-arm64/monitor_system}
[ -x "$arm_monitor" ] || { fail "$arm_monitor is missing: run make static-arm64"; exit 1; }
qemu=$(command -v qemu-aarch64-static) || skip "qemu-user-static is not installed"
command -v aarch64-linux-gnu-gcc >/dev/null || skip "gcc-aarch64-linux-gnu is not installed"
[ -x "$ORCHESTRATE" ] || { fail "orchestrate not built at $ORCHESTRATE"; exit 1; }

check "the examples build for aarch64" "$ROOT/examples/build.sh" --arch aarch64 "$TMP/arm"
primes=$TMP/arm/prime_numbers/primes
check "primes is a static aarch64 program" sh -c "file '$primes' | grep -q 'ARM aarch64.*statically linked'"

# 1. By hand: the monitor and the workload both aarch64.
job=$TMP/job
mkdir -p "$job"
(cd "$job" && "$qemu" "$arm_monitor" --interval 0.2 --workdir "$job/work" --result-url "$job/result" \
   --instance-type c7g.large --cmd "$qemu" "$primes" -t 2 -m benchmark_custom.txt 200000000 \
   >"$job/out" 2>"$job/err")
expect_eq "aarch64 monitor + aarch64 primes exit 0" "$?" 0
check "the count is right (11078937 primes up to 2e8)" grep -q 'primes up to 200000000: 11078937' "$job/out"
check "timeseries.csv collected" test -s "$job/result/timeseries.csv"
check "timeseries.csv has rows" num_cmp "$(csv_rows "$job/result/timeseries.csv" 2>/dev/null || echo 0)" '>=' 1
if [ -s "$job/result/summary.json" ]; then
  expect_eq "summary: architecture" "$(json_get "$job/result/summary.json" instance.architecture)" aarch64
  expect_eq "summary: status" "$(json_get "$job/result/summary.json" status)" succeeded
  want=$(tr -d ' \n' <"$job/benchmark_custom.txt")
  check "summary: custom metric is the sieve's seconds ($want)" \
    num_cmp "$(json_get "$job/result/summary.json" custom_metric)" == "$want"
else
  fail "summary.json missing: $(tail -n 3 "$job/err")"
fi

# 2. Through orchestrate: a local profile standing in for c7g.large, jobs run under the
# aarch64 monitor (a wrapper that starts it through qemu), results collected.
cat >"$TMP/arm-monitor" <<WRAP
#!/bin/sh
exec "$qemu" "$arm_monitor" "\$@"
WRAP
chmod +x "$TMP/arm-monitor"
cat >"$TMP/arm.yaml" <<YAML
experiment: prime-numbers-arm64
backend: local
replicates: 2
instance_types: [c7g.large]
command: [$qemu, $primes, -t, "2", -m, benchmark_custom.txt, ARGS]
parameters:
  limit: {type: int, values: [100000000]}
local:
  engine: process
  concurrency: 1
  monitor: $TMP/arm-monitor
  profiles:
    c7g.large: {cpus: 2, memory: 4GiB, price_per_hour: 0.0725, arch: arm64}
YAML
out=$TMP/out
if "$ORCHESTRATE" run "$TMP/arm.yaml" --output "$out" >"$TMP/run.out" 2>"$TMP/run.err"; then
  pass "orchestrate ran the aarch64 jobs"
else
  fail "orchestrate run: $(tail -n 5 "$TMP/run.err")"
fi
expect_eq "results.csv has 2 rows" "$(csv_rows "$out/results.csv" 2>/dev/null || echo 0)" 2
python3 - "$out" >"$TMP/check.out" 2>&1 <<'PY'
import csv, json, os, sys
out = sys.argv[1]
ok = True
for r in csv.DictReader(open(os.path.join(out, "results.csv"))):
    d = os.path.join(out, r["result_dir"])
    s = json.load(open(os.path.join(d, "summary.json")))
    rt, cost = float(r["runtime_seconds"]), float(r["cost_usd"])
    good = (r["state"] == "succeeded" and s["instance"]["architecture"] == "aarch64"
            and os.path.getsize(os.path.join(d, "timeseries.csv")) > 0
            and abs(cost - rt / 3600 * 0.0725) <= 1e-6 * cost + 1e-12
            and "5761455" in open(os.path.join(d, "stdout.log")).read())
    print(("ok   " if good else "FAIL ") + r["result_dir"], r["state"], s["instance"]["architecture"], rt, cost)
    ok = ok and good
sys.exit(0 if ok else 1)
PY
if [ $? -eq 0 ]; then pass "each job: succeeded, aarch64, CSV collected, cost from the profile's price"
else fail "collected aarch64 jobs:"; cat "$TMP/check.out"; fi
