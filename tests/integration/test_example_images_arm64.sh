#!/usr/bin/env bash
# The examples' ARM64 images, built from their Containerfile.arm64 as a user would on a
# Graviton machine and run here by podman through QEMU (qemu-aarch64-static registered with
# binfmt_misc by tools/install_deps.sh --test): busybox-static for arm64 (Debian's package,
# tools/fetch_busybox.sh), the aarch64 static monitor as ENTRYPOINT and PID 1, the aarch64
# static workload. Each container's results must show an aarch64 run with the workload's CSV,
# summary and custom metric. Then orchestrate's podman engine runs the prime image on a
# Graviton profile (arch: arm64), which must reach `podman run --arch arm64` and the report.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/example_lib.sh"
. "$(dirname "$0")/podman_env.sh"

arm_monitor=${STATIC_ARM64_MONITOR:-$ROOT/build/static-arm64/monitor_system}
[ -x "$arm_monitor" ] || { fail "$arm_monitor is missing: run make static-arm64"; exit 1; }
[ -x "$ORCHESTRATE" ] || { fail "orchestrate not built at $ORCHESTRATE"; exit 1; }
command -v aarch64-linux-gnu-gcc >/dev/null || skip "gcc-aarch64-linux-gnu is not installed"
if ! "$ROOT/tools/register_binfmt.sh" --check; then
  # Root can register it now (what install_deps.sh --test does); elsewhere the kernel
  # cannot run ARM64 containers and there is nothing to test.
  [ "$(id -u)" -eq 0 ] && "$ROOT/tools/register_binfmt.sh" >"$TMP/binfmt.log" 2>&1 ||
    skip "qemu-aarch64 is not registered with binfmt_misc: $(tail -n 1 "$TMP/binfmt.log" 2>/dev/null)"
fi
podman_env_setup
busybox=$("$ROOT/tools/fetch_busybox.sh" aarch64 2>"$TMP/busybox.log") ||
  { fail "no arm64 busybox: $(tail -n 3 "$TMP/busybox.log")"; exit 1; }
check "the arm64 busybox is a static aarch64 program" \
  sh -c "file -L '$busybox' | grep -q 'ARM aarch64.*statically linked'"

tag_of() { echo "localhost/${1//_/-}-arm64-test-$$:arm64"; }

# run_image EXAMPLE ARGS...: builds the example's arm64 image and runs it with
# "--cmd ./runscript.sh ARGS"; the results land in $TMP/<example>/result.
run_image() {
  local ex=$1; shift
  local tag dir=$TMP/$ex
  tag=$(tag_of "$ex")
  mkdir -p "$dir/result"
  if MONITOR_STATIC=$arm_monitor BUSYBOX=$busybox "$ROOT/examples/build_image.sh" "$ex" arm64 \
      "$tag" >"$dir/build.log" 2>&1; then
    pass "$ex: arm64 image built"
  else
    fail "$ex: arm64 image build: $(tail -n 5 "$dir/build.log")"; return 1
  fi
  podman_remove_image_at_exit "${tag#localhost/}"
  expect_eq "$ex: the image is arm64" \
    "$(podman image inspect -f '{{.Architecture}}' "$tag" 2>&1)" arm64
  podman run --rm --arch arm64 --network host -v "$dir/result:/results" "$tag" \
    --interval 0.2 --result-url /results --instance-type c7g.large --cmd ./runscript.sh "$@" \
    >"$dir/out" 2>"$dir/err"
  expect_eq "$ex: the container exits 0" "$?" 0
  local s=$dir/result/summary.json metric
  check "$ex: timeseries.csv in the results" test -s "$dir/result/timeseries.csv"
  expect_eq "$ex: summary status" "$(json_get "$s" status 2>/dev/null)" succeeded
  expect_eq "$ex: the monitor ran as aarch64" "$(json_get "$s" instance.architecture 2>/dev/null)" aarch64
  metric=$(json_get "$s" custom_metric 2>/dev/null)
  check "$ex: custom metric reported ($metric)" num_cmp "${metric:-nan}" '!=' 0
}

run_image prime_numbers 20000000 2
check "prime_numbers: counted in the arm64 container" \
  grep -q 'primes up to 20000000: 1270607' "$TMP/prime_numbers/result/stdout.log"
ppid=$(podman run --rm --arch arm64 "$(tag_of prime_numbers)" --quiet --cmd /bin/sh -c 'echo ppid=$PPID' 2>/dev/null)
expect_eq "prime_numbers: the arm64 monitor is PID 1 in the container" "$ppid" ppid=1

run_image external_sort 8 2
check "external_sort: sorted in the arm64 container" \
  grep -q 'sorted 1048576 keys in 4 runs' "$TMP/external_sort/result/stdout.log"

run_image param_tuning 2 32 128
check "param_tuning: GFLOP/s printed" grep -q 'GFLOP/s' "$TMP/param_tuning/result/stdout.log"

# orchestrate, podman engine, a Graviton profile: the plan keeps c7g.large only because the
# image is arm64, and the job runs the arm64 image.
cat >"$TMP/config.yaml" <<EOF
experiment: primes-arm64-$$
backend: local
replicates: 2
instance_types: [c7g.large]
image: $(tag_of prime_numbers)
image_arch: arm64
command: [./runscript.sh, "20000000", ARGS]
parameters:
  threads: {type: int, values: [2]}
monitor_args: [--interval, "0.2"]
local:
  engine: podman
  concurrency: 1
  profiles:
    c7g.large: {cpus: 2, memory: 1GiB, price_per_hour: 0.0725, arch: arm64}
EOF
on_exit "podman ps -aq --filter label=orchestrate.experiment=primes-arm64-$$ | xargs -r podman rm -f"
if "$ORCHESTRATE" run "$TMP/config.yaml" --output "$TMP/out" >"$TMP/run.out" 2>&1; then
  pass "orchestrate runs the arm64 image on a Graviton profile"
else
  fail "orchestrate run: $(tail -n 5 "$TMP/run.out")"
fi
python3 - "$TMP/out" >"$TMP/check.out" 2>&1 <<'PY'
import csv, json, os, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(out, "results.csv"))))
ok = len(rows) == 2
for r in rows:
    s = json.load(open(os.path.join(out, r["result_dir"], "summary.json")))
    runtime = float(r["runtime_seconds"] or "nan")
    cost = float(r["cost_usd"] or "nan")
    good = (r["state"] == "succeeded" and r["instance_type"] == "c7g.large"
            and s["instance"]["architecture"] == "aarch64" and 0 < runtime < 120
            and abs(cost - runtime / 3600 * 0.0725) < 1e-9)
    print(("ok   " if good else "FAIL ") + "%s rep %s: %s, %s, %.3f s, $%.8f"
          % (r["instance_type"], r["replicate"], r["state"], s["instance"]["architecture"],
             runtime, cost))
    ok = ok and good
sys.exit(0 if ok else 1)
PY
if [ $? -eq 0 ]; then pass "results.csv: two aarch64 runs, priced with the profile's \$/h"
else fail "results of the arm64 run:"; cat "$TMP/check.out"; fi
check "report.html written" test -s "$TMP/out/report.html"
