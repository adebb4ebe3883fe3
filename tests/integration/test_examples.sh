#!/usr/bin/env bash
# The examples work as shipped: every config (YAML and the older JSON form) loads and plans
# in orchestrate, every compiled workload builds, and each example's runscript runs under
# monitor_system (also under busybox's sh, the images' shell) and leaves a CSV, a summary
# with the right status and its custom metric. The external sort must show its memory and
# disk traffic in the results; the S3 download runs against moto's S3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/example_lib.sh"

[ -x "$MONITOR" ] || { fail "monitor_system not built at $MONITOR"; exit 1; }
[ -x "$ORCHESTRATE" ] || { fail "orchestrate not built at $ORCHESTRATE"; exit 1; }

check "the example workloads build" build_examples_native

# --- configs -----------------------------------------------------------------------------
# `orchestrate plan` loads a config, checks it and prints the jobs it would run, touching
# nothing (no backend, no journal).
for cfg in "$ROOT"/examples/*/config*.yaml "$ROOT"/examples/*/config.json; do
  name=${cfg#"$ROOT"/examples/}
  if "$ORCHESTRATE" plan "$cfg" >"$TMP/plan.out" 2>"$TMP/plan.err"; then
    pass "$name loads and plans"
  else
    fail "$name: $(head -n 3 "$TMP/plan.err")"
  fi
  if "$ORCHESTRATE" validate "$cfg" >"$TMP/validate.out" 2>&1; then
    pass "$name validates"
  else
    fail "$name validate: $(head -n 3 "$TMP/validate.out")"
  fi
done
# The quick start's plan: 2 profiles x 2 thread counts x 2 replicates.
"$ORCHESTRATE" plan "$ROOT/examples/prime_numbers/config.yaml" >"$TMP/plan.out" 2>&1
expect_eq "prime_numbers/config.yaml plans 8 jobs" \
  "$(grep -c 'runscript.sh' "$TMP/plan.out")" 8

# --- workloads under monitor_system ----------------------------------------------------------
# run_under_monitor EXAMPLE ARGS...: runs app/runscript.sh ARGS in a job folder the way an
# image does (cwd = the job folder) and leaves the results in $job/result.
run_under_monitor() {
  local ex=$1; shift
  job=$TMP/job-$ex
  rm -rf "$job"
  stage_example "$ex" "$job"
  (cd "$job" && "$MONITOR" --interval 0.2 --workdir "$job/work" --result-url "$job/result" \
     --cmd ./app/runscript.sh "$@" >"$job/monitor.out" 2>"$job/monitor.err")
}

# check_job_results EXAMPLE: the files of the contract, status succeeded, and the custom
# metric in summary.json equal to what the workload wrote.
check_job_results() {
  local ex=$1 f
  for f in timeseries.csv summary.json; do
    check "$ex: result has $f" test -s "$job/result/$f"
  done
  for f in stdout.log stderr.log; do
    check "$ex: result has $f" test -f "$job/result/$f"
  done
  [ -s "$job/result/summary.json" ] || return 0
  expect_eq "$ex: status" "$(json_get "$job/result/summary.json" status)" succeeded
  expect_eq "$ex: exit_code" "$(json_get "$job/result/summary.json" exit_code)" 0
  local want got
  want=$(tr -d ' \n' <"$job/benchmark_custom.txt" 2>/dev/null)
  got=$(json_get "$job/result/summary.json" custom_metric)
  if [ -n "$want" ] && num_cmp "$got" == "$want"; then
    pass "$ex: custom_metric $got is the workload's benchmark_custom.txt"
  else
    fail "$ex: custom_metric '$got', benchmark_custom.txt '$want'"
  fi
  check "$ex: timeseries.csv has samples" num_cmp "$(csv_rows "$job/result/timeseries.csv")" '>=' 2
}

if run_under_monitor prime_numbers 400000000 2; then pass "prime_numbers runs under monitor_system"
else fail "prime_numbers under monitor_system: $(tail -n 3 "$job/monitor.err")"; fi
check_job_results prime_numbers
check "prime_numbers: stdout.log has the count" grep -q 'primes up to 400000000: 21336326' "$job/result/stdout.log"
cpu=$(json_get "$job/result/summary.json" cpu_seconds)
check "prime_numbers: CPU seconds counted ($cpu)" num_cmp "${cpu:-0}" '>' 0.05

# The external sort: 96 MiB with 8 MiB of memory in a folder on disk (not tmpfs).
scratch=$ROOT/build/test-scratch/examples.$$
mkdir -p "$scratch"; on_exit "rm -rf '$scratch'"
if run_under_monitor external_sort 96 8 "$scratch"; then pass "external_sort runs under monitor_system"
else fail "external_sort under monitor_system: $(tail -n 3 "$job/monitor.err")"; fi
check_job_results external_sort
check "external_sort: sorted and verified" grep -q 'sorted 12582912 keys in 12 runs' "$job/result/stdout.log"
peak=$(json_get "$job/result/summary.json" peak_memory_bytes)
check "external_sort: peak memory ${peak} >= the 8 MiB budget" num_cmp "${peak:-0}" '>=' $((8 * 1048576))
written=$(json_get "$job/result/summary.json" disk_write_bytes)
check "external_sort: disk writes ${written} >= 2 x 96 MiB" num_cmp "${written:-0}" '>=' $((2 * 96 * 1048576))
check "external_sort: timeseries has memory and disk columns" csv_has_columns \
  "$job/result/timeseries.csv" tree_rss_bytes tree_disk_write_bytes tree_disk_read_bytes
check "external_sort: the given scratch folder is kept, empty" test -d "$scratch" -a -z "$(ls -A "$scratch")"

if run_under_monitor param_tuning 2 64 256; then pass "param_tuning runs under monitor_system"
else fail "param_tuning under monitor_system: $(tail -n 3 "$job/monitor.err")"; fi
check_job_results param_tuning
metric=$(json_get "$job/result/summary.json" custom_metric)
check "param_tuning: custom metric is -GFLOP/s ($metric)" num_cmp "${metric:-0}" '<' 0

# A failing workload still leaves its summary: tune with a bad BLOCK exits 2.
run_under_monitor param_tuning 2 0 >/dev/null 2>&1
expect_eq "param_tuning with BLOCK 0: status failed" "$(json_get "$job/result/summary.json" status)" failed
expect_eq "param_tuning with BLOCK 0: exit code 2" "$(json_get "$job/result/summary.json" exit_code)" 2

# The runscripts under busybox's sh, which is /bin/sh in the images.
if command -v busybox >/dev/null; then
  stage_example prime_numbers "$TMP/bb"
  (cd "$TMP/bb" && busybox sh ./app/runscript.sh 1000000 2 >"$TMP/bb/out" 2>&1)
  check "prime_numbers' runscript runs under busybox sh" grep -q ': 78498 ' "$TMP/bb/out"
  stage_example external_sort "$TMP/bb"
  (cd "$TMP/bb" && busybox sh ./app/runscript.sh 4 1 >"$TMP/bb/out" 2>&1)
  check "external_sort's runscript runs under busybox sh" grep -q 'sorted 524288 keys' "$TMP/bb/out"
  check "external_sort's default scratch folder is removed" test -z "$(ls -d "$TMP"/bb/extsort-scratch.* 2>/dev/null)"
fi

# The GPU example refuses at once, and says why, where there is no GPU.
if [ ! -x /bin/nvidia-smi ] && [ ! -x /usr/bin/nvidia-smi ]; then
  env PATH=/usr/bin:/bin sh "$ROOT/examples/gpu_training/runscript.sh" 0.05 256 1 >"$TMP/nogpu.out" 2>&1
  expect_eq "gpu_training without a GPU: exit status 3" "$?" 3
  check "gpu_training without a GPU says so" grep -q 'no NVIDIA GPU here' "$TMP/nogpu.out"
fi

# --- the network example against moto's S3 ----------------------------------------------
# Data set uploaded with `orchestrate s3 cp`, downloaded by the runscript with
# `monitor_system s3 cp` (the same client), with signature checking on (moto verifies SigV4 after the IAM calls below).
if command -v moto_server >/dev/null; then
  port=$(free_port)
  INITIAL_NO_AUTH_ACTION_COUNT=3 moto_server -H 127.0.0.1 -p "$port" >"$TMP/moto.log" 2>&1 &
  moto_pid=$!; on_exit "kill $moto_pid"
  if wait_for_port "$port" 30; then
    export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_REGION=us-east-1
    export AWS_ACCESS_KEY_ID=bootstrap AWS_SECRET_ACCESS_KEY=bootstrap
    unset AWS_PROFILE AWS_SESSION_TOKEN
    if creds=$(python3 "$ROOT/tests/integration/moto_iam_user.py" "$AWS_ENDPOINT_URL"); then
      read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY <<<"$creds"
      export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
      python3 "$ROOT/tests/integration/moto_make_bucket.py" "$AWS_ENDPOINT_URL" data-bucket
      S3_CLI="$ORCHESTRATE s3" sh "$ROOT/examples/s3_download/make_dataset.sh" \
        s3://data-bucket/synthetic/ 3 2 >"$TMP/dataset.log" 2>&1
      check "s3_download: data set uploaded (3 x 2 MiB)" grep -q 'uploaded 3 x 2 MiB' "$TMP/dataset.log"
      # As in the image: monitor_system is also the download client.
      export S3_CLI="$MONITOR s3"
      # The prefix without its trailing slash: moto's signature check gets ListObjectsV2
      # wrong when the prefix holds a '/' (getmoto/moto#5948; boto3 fails the same way).
      if run_under_monitor s3_download s3://data-bucket/synthetic 2; then
        pass "s3_download runs under monitor_system"
      else
        fail "s3_download under monitor_system: $(tail -n 3 "$job/result/stderr.log" "$job/monitor.err" 2>/dev/null)"
      fi
      check_job_results s3_download
      check "s3_download: read 2 rounds x 6 MiB" grep -q 'downloaded 12582912 bytes in 2 round' "$job/result/stdout.log"
      unset S3_CLI
    else
      fail "moto: could not create an IAM user and access key"
    fi
  else
    fail "moto_server did not start: $(tail -n 3 "$TMP/moto.log")"
  fi
else
  fail "moto_server is not installed (tools/install_deps.sh --test)"
fi
