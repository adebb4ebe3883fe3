#!/usr/bin/env bash
# The examples' x86-64 images as their Containerfiles describe them: examples/build_image.sh
# builds each FROM scratch image (busybox-static, the static monitor_system as ENTRYPOINT,
# the static workload), podman runs it with the monitor as PID 1 and a bind-mounted results
# directory, and the results must hold the workload's CSV, summary and custom metric. The
# s3_download image reads its data from moto's S3 (signature checking on) with the monitor's
# own S3 client, the only S3 client in that image.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/example_lib.sh"
. "$(dirname "$0")/podman_env.sh"

static=${STATIC_MONITOR:-$ROOT/build/static/monitor_system}
[ -x "$static" ] || { fail "$static is missing: run make static"; exit 1; }
podman_env_setup

# run_image EXAMPLE ARGS...: builds localhost/<example>-test-PID:x86_64 and runs it with
# "--cmd ./runscript.sh ARGS"; the results land in $TMP/<example>/result.
run_image() {
  local ex=$1; shift
  local name=${ex//_/-}-test-$$ dir=$TMP/$ex
  mkdir -p "$dir/result"
  if MONITOR_STATIC=$static "$ROOT/examples/build_image.sh" "$ex" x86_64 "localhost/$name:x86_64" \
      >"$dir/build.log" 2>&1; then
    pass "$ex: image built"
  else
    fail "$ex: image build: $(tail -n 5 "$dir/build.log")"; return 1
  fi
  podman_remove_image_at_exit "$name:x86_64"
  podman run --rm --network host -v "$dir/result:/results" "${podman_env[@]}" \
    "localhost/$name:x86_64" --interval 0.2 --result-url /results --cmd ./runscript.sh "$@" \
    >"$dir/out" 2>"$dir/err"
  expect_eq "$ex: the container exits 0" "$?" 0
  local s=$dir/result/summary.json
  check "$ex: timeseries.csv in the results" test -s "$dir/result/timeseries.csv"
  expect_eq "$ex: summary status" "$(json_get "$s" status 2>/dev/null)" succeeded
  local metric
  metric=$(json_get "$s" custom_metric 2>/dev/null)
  check "$ex: custom metric reported ($metric)" num_cmp "${metric:-nan}" '!=' 0
}
podman_env=()

run_image prime_numbers 100000000 2
check "prime_numbers: counted in the container" grep -q 'primes up to 100000000: 5761455' "$TMP/prime_numbers/result/stdout.log"
# The monitor is the container's PID 1: the workload's parent is process 1.
ppid=$(podman run --rm "localhost/prime-numbers-test-$$:x86_64" --quiet --cmd /bin/sh -c 'echo ppid=$PPID' 2>/dev/null)
expect_eq "prime_numbers: monitor_system is PID 1 in the container" "$ppid" ppid=1

run_image external_sort 32 4
check "external_sort: sorted in the container" grep -q 'sorted 4194304 keys in 8 runs' "$TMP/external_sort/result/stdout.log"
written=$(json_get "$TMP/external_sort/result/summary.json" disk_write_bytes)
check "external_sort: disk writes counted ($written)" num_cmp "${written:-0}" '>' 0

# The same image through orchestrate's podman engine (config-podman.yaml, smaller data):
# each profile's memory limit must reach the job's cgroup and show in its time series.
[ -x "$ORCHESTRATE" ] || { fail "orchestrate not built at $ORCHESTRATE"; exit 1; }
sed -e "s|^image: .*|image: localhost/external-sort-test-$$:x86_64|" \
    -e "s|^experiment: .*|experiment: external-sort-podman-$$|" \
    -e "s|values: \[256\]|values: [32]|" -e "s|values: \[64\]|values: [8]|" \
    -e "s|^replicates: .*|replicates: 1|" \
    "$ROOT/examples/external_sort/config-podman.yaml" >"$TMP/config-podman.yaml"
on_exit "podman ps -aq --filter label=orchestrate.experiment=external-sort-podman-$$ | xargs -r podman rm -f"
if "$ORCHESTRATE" run "$TMP/config-podman.yaml" --output "$TMP/podman-out" >"$TMP/podman-run.out" 2>&1; then
  pass "external_sort/config-podman.yaml runs on the podman engine"
else
  fail "config-podman.yaml: $(tail -n 5 "$TMP/podman-run.out")"
fi
python3 - "$TMP/podman-out" >"$TMP/podman-check.out" 2>&1 <<'PY'
import csv, os, sys
out = sys.argv[1]
limits = {"small-1g": 1 << 30, "large-4g": 4 << 30}
ok = True
rows = list(csv.DictReader(open(os.path.join(out, "results.csv"))))
ok = len(rows) == 2
for r in rows:
    ts = list(csv.DictReader(open(os.path.join(out, r["result_dir"], "timeseries.csv"))))
    lim = {row["cgroup_memory_limit_bytes"] for row in ts if row.get("cgroup_memory_limit_bytes")}
    good = r["state"] == "succeeded" and lim == {str(limits[r["instance_type"]])}
    print(("ok   " if good else "FAIL ") + "%s: %s, cgroup memory limit %s" % (r["instance_type"], r["state"], sorted(lim)))
    ok = ok and good
sys.exit(0 if ok else 1)
PY
if [ $? -eq 0 ]; then pass "each profile's memory limit is the job's cgroup limit in timeseries.csv"
else fail "podman engine results:"; cat "$TMP/podman-check.out"; fi

run_image param_tuning 2 32 256
check "param_tuning: GFLOP/s printed" grep -q 'GFLOP/s' "$TMP/param_tuning/result/stdout.log"

# s3_download: moto with signature checking, a data set, keys passed to the container's
# environment (the test's own throwaway IAM user on a local emulator).
command -v moto_server >/dev/null || { fail "moto_server is not installed"; exit 1; }
port=$(free_port)
INITIAL_NO_AUTH_ACTION_COUNT=3 moto_server -H 127.0.0.1 -p "$port" >"$TMP/moto.log" 2>&1 &
moto_pid=$!; on_exit "kill $moto_pid"
wait_for_port "$port" 30 || { fail "moto_server did not start"; exit 1; }
endpoint=http://127.0.0.1:$port
read -r key secret < <(python3 "$ROOT/tests/integration/moto_iam_user.py" "$endpoint")
AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret \
  python3 "$ROOT/tests/integration/moto_make_bucket.py" "$endpoint" image-data
head -c 3000000 /dev/urandom >"$TMP/blob"
AWS_ENDPOINT_URL=$endpoint AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret \
  "$static" s3 cp "$TMP/blob" s3://image-data/set/blob.bin >/dev/null
podman_env=(-e AWS_ENDPOINT_URL="$endpoint" -e AWS_REGION=us-east-1
            -e AWS_ACCESS_KEY_ID="$key" -e AWS_SECRET_ACCESS_KEY="$secret")
# Prefix without a trailing slash: moto#5948 (see test_examples.sh).
run_image s3_download s3://image-data/set 2
check "s3_download: read 2 x 3000000 bytes in the container" \
  grep -q 'downloaded 6000000 bytes in 2 round' "$TMP/s3_download/result/stdout.log"
