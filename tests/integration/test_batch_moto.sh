#!/usr/bin/env bash
# The batch backend and `setup`/`teardown` against moto's AWS Batch, with SigV4 checking on
# and the jobs really run as podman containers (moto's Batch uses the Docker API that
# `podman system service` serves). The image is FROM scratch: busybox-static and the static
# monitor_system as ENTRYPOINT, so the containers upload their results to moto's S3.
#
#   setup (twice: idempotent) -> 2 types x 2 replicates as one array job per type (2
#   SubmitJob calls) -> all SUCCEEDED with ~1 DescribeJobs per poll -> 4 result sets in S3
#   under .../TYPE/TAG/REP/ -> recover a job by its name -> a failing job: FAILED and its
#   CloudWatch log saved -> a long job killed -> mnp pinning (one-node multi-node job)
#   -> `orchestrate run --backend batch` when the orchestrator has its run loop -> teardown.
#
# Driven by tests/integration/batch_driver.c (built here against the build's archives).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman_env.sh"
. "$(dirname "$0")/batch_moto_lib.sh"

command -v moto_server >/dev/null || { fail "moto_server is not installed (tools/install_deps.sh --test)"; exit 1; }
python3 -c 'import boto3' 2>/dev/null || { fail "python3 boto3 is missing (tools/install_deps.sh --test)"; exit 1; }
for lib in libcommon libuploader liborchestrator; do
  [ -f "$BUILD/$lib.a" ] || { fail "$BUILD/$lib.a is missing: make BUILD=$BUILD all"; exit 1; }
done
podman_env_setup
podman_service_start || { fail "podman system service did not start"; exit 1; }

# ---- the driver, linked like the unit tests (sanitizers when the archives have them) ----
driver=$TMP/batch_driver
san=""
if nm "$BUILD/libcommon.a" 2>/dev/null | grep -q __asan; then
  san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
fi
libs=$(make -s --no-print-directory -C "$ROOT" print-orch-libs)
# shellcheck disable=SC2086
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -I"$ROOT" -g $san -o "$driver" \
    "$ROOT/tests/integration/batch_driver.c" "$BUILD/liborchestrator.a" "$BUILD/libuploader.a" \
    "$BUILD/libcommon.a" $libs -lpthread -lm >"$TMP/driver-build.log" 2>&1; then
  fail "building batch_driver: $(tail -n 5 "$TMP/driver-build.log")"; exit 1
fi

# ---- the image: busybox + the static monitor as ENTRYPOINT ----
batch_monitor_image batch-moto

# ---- moto: three unsigned calls make the IAM user; everything after is signed ----
batch_moto_start
python3 "$ROOT/tests/integration/moto_make_bucket.py" "$endpoint" batch-results
read -r service_role instance_profile < <(python3 "$ROOT/tests/integration/moto_batch_roles.py" "$endpoint")

# The containers get their keys as a job role's, from a container-credentials endpoint.
batch_creds_start

# ---- configs ----
write_config() {  # file experiment pinning types command-yaml
  cat >"$1" <<YAML
experiment: $2
backend: batch
results_url: s3://batch-results/bench/
image: $image
job_timeout: 5m
replicates: 2
instance_types: [$4]
command: $5
batch:
  pinning: $3
  name_prefix: bt$$
  service_role_arn: $service_role
  instance_role: $instance_profile
env:
  AWS_ENDPOINT_URL: $endpoint
  AWS_REGION: us-east-1
  AWS_CONTAINER_CREDENTIALS_FULL_URI: http://127.0.0.1:$creds_port/v2/credentials/batch-test
YAML
}
ok_cfg=$TMP/ok.yaml fail_cfg=$TMP/fail.yaml kill_cfg=$TMP/kill.yaml mnp_cfg=$TMP/mnp.yaml
write_config "$ok_cfg" ok queue-per-type "c5.large, m5.large" \
  '[/bin/sh, -c, "echo hello replicate $ORCH_REPLICATE; echo 42 > benchmark_custom.txt"]'
write_config "$fail_cfg" broken queue-per-type "c5.large" \
  '[/bin/sh, -c, "echo about to fail; echo failing loudly >&2; exit 3"]'
sed -i 's/^replicates: 2/replicates: 1/' "$fail_cfg"
write_config "$kill_cfg" long queue-per-type "m5.large" '[/bin/sleep, "300"]'
sed -i 's/^replicates: 2/replicates: 1/' "$kill_cfg"
write_config "$mnp_cfg" pinned mnp "c5.large" '[/bin/sh, -c, "echo pinned node"]'
sed -i 's/^replicates: 2/replicates: 1/' "$mnp_cfg"

count_words() { wc -w | tr -d ' '; }

# ---- setup, twice ----
if "$driver" setup "$ok_cfg" >"$TMP/setup1.out" 2>&1; then pass "setup creates queues, CEs, definitions"
else fail "setup: $(tail -n 5 "$TMP/setup1.out")"; fi
on_exit "'$driver' teardown '$ok_cfg'"
check "setup is idempotent" "$driver" setup "$ok_cfg"
ces=$(aws batch describe-compute-environments --query "computeEnvironments[?starts_with(computeEnvironmentName,'bt$$-')].computeEnvironmentName" --output text | tr '\t' '\n' | sort | tr '\n' ' ')
expect_eq "one compute environment per type" "$ces" "bt$$-c5-large bt$$-m5-large "
queues=$(aws batch describe-job-queues --query "jobQueues[?starts_with(jobQueueName,'bt$$-')].[jobQueueName,state]" --output text | sort | tr '\t\n' '  ')
expect_eq "one enabled queue per type" "$queues" "bt$$-c5-large ENABLED bt$$-m5-large ENABLED "
jd=$(aws batch describe-job-definitions --job-definition-name "bt$$-c5-large" --status ACTIVE --query 'jobDefinitions[].[revision,containerProperties.image,containerProperties.resourceRequirements[?type==`VCPU`].value|[0]]' --output text)
expect_eq "one definition revision (image, 2 vCPUs) after two setups" "$jd" "1	$image	2"

# ---- 2 types x 2 replicates ----
if "$driver" submit "$ok_cfg" "$TMP/ok.jobs" >"$TMP/submit.out" 2>&1; then pass "submit 4 jobs"
else fail "submit: $(tail -n 5 "$TMP/submit.out")"; fi
expect_eq "replicates as array jobs: 2 SubmitJob calls for 4 jobs" \
  "$(grep -o 'submit=[0-9]*' "$TMP/submit.out")" "submit=2"
expect_eq "definitions reused, not re-registered" \
  "$(aws batch describe-job-definitions --job-definition-name "bt$$-m5-large" --query 'length(jobDefinitions)')" "1"
check "array children tracked as ID:INDEX" grep -Eq '^2 c5.large default 1 [0-9a-f-]+:1$' "$TMP/ok.jobs"
if "$driver" wait "$ok_cfg" "$TMP/ok.jobs" 90 >"$TMP/wait.out" 2>&1; then pass "4 jobs reached a final state"
else fail "wait: $(tail -n 6 "$TMP/wait.out")"; fi
expect_eq "all 4 SUCCEEDED with exit 0" "$(grep -c ' succeeded 0 ' "$TMP/wait.out")" "4"
polls=$(grep -o 'describe=[0-9]*' "$TMP/wait.out" | cut -d= -f2)
check "polling 4 jobs costs one DescribeJobs per poll ($polls calls)" test "${polls:-99}" -le 40
# A restarted run: the parents' status summaries agree with the journal's states, so the
# children are not described again; a journal behind AWS (still "running") makes them be.
"$driver" poll2 "$ok_cfg" "$TMP/ok.jobs" "$TMP/wait.out" >"$TMP/poll-known.out" 2>&1
expect_eq "first poll after a restart, nothing new: 1 DescribeJobs for 2 arrays" \
  "$(grep -o '^poll 1 of 4 jobs: [0-9]*' "$TMP/poll-known.out")" "poll 1 of 4 jobs: 1"
expect_eq "  and the journal's states stand (4 succeeded, exit 0)" \
  "$(grep -c ' succeeded 0 ' "$TMP/poll-known.out")" "4"
sed 's/ succeeded 0 / running -1 /' "$TMP/wait.out" >"$TMP/behind.states"
"$driver" poll2 "$ok_cfg" "$TMP/ok.jobs" "$TMP/behind.states" >"$TMP/poll-behind.out" 2>&1
expect_eq "a journal behind AWS: the children are described (2 DescribeJobs)" \
  "$(grep -o '^poll 1 of 4 jobs: [0-9]*' "$TMP/poll-behind.out")" "poll 1 of 4 jobs: 2"
expect_eq "  and AWS's states are reported (4 succeeded, exit 0)" \
  "$(grep -c ' succeeded 0 ' "$TMP/poll-behind.out")" "4"

python3 - "$endpoint" >"$TMP/s3.out" 2>&1 <<'PY'
import boto3, json, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
# (moto 5.2 rejects boto3's signed ListObjectsV2 with SignatureDoesNotMatch: GETs only)
for t in ("c5.large", "m5.large"):
    for r in (0, 1):
        key = "bench/ok/%s/default/%d/" % (t, r)
        try:
            body = s3.get_object(Bucket="batch-results", Key=key + "stdout.log")["Body"].read().decode()
        except Exception as e:
            print("%sstdout.log: %s" % (key, e)); sys.exit(1)
        if "hello replicate %d" % r not in body:
            print("stdout of %s/%d: %r" % (t, r, body)); sys.exit(1)
        s = json.loads(s3.get_object(Bucket="batch-results", Key="bench/ok/%s/default/%d/summary.json" % (t, r))["Body"].read())
        if s.get("status") != "succeeded" or s.get("custom_metric") != 42:
            print("summary of %s/%d: %s" % (t, r, s)); sys.exit(1)
sys.exit(0)
PY
if [ $? -eq 0 ]; then pass "each array child uploaded to its own TYPE/TAG/REPLICATE/ in S3 (signed)"
else
  fail "results in S3: $(tail -n 8 "$TMP/s3.out")"
  "$driver" log "$ok_cfg" "$TMP/ok.jobs" 1 "$TMP/ok1.log" >/dev/null 2>&1 && tail -n 20 "$TMP/ok1.log"
fi

# recover: a crash between submission and journaling is healed by the job's name
want=$(awk '$1 == 3 {print $5}' "$TMP/ok.jobs")
"$driver" recover "$ok_cfg" "$TMP/ok.jobs" 3 >"$TMP/recover.out" 2>&1
expect_eq "recover finds job 3 by its name" "$(grep -o 'recovered .*' "$TMP/recover.out")" "recovered $want"

# ---- a failing job and its log ----
"$driver" submit "$fail_cfg" "$TMP/fail.jobs" >"$TMP/fsubmit.out" 2>&1 || fail "submit failing job: $(tail -n 3 "$TMP/fsubmit.out")"
"$driver" wait "$fail_cfg" "$TMP/fail.jobs" 60 >"$TMP/fwait.out" 2>&1
check "the failing job is FAILED" grep -q '^1 failed ' "$TMP/fwait.out"
if "$driver" log "$fail_cfg" "$TMP/fail.jobs" 1 "$TMP/batch.log" >"$TMP/flog.out" 2>&1; then
  pass "its CloudWatch log stream fetched"
else fail "fetch_log: $(tail -n 3 "$TMP/flog.out")"; fi
check "batch.log holds the job's stdout" grep -q 'about to fail' "$TMP/batch.log"
check "batch.log holds the job's stderr" grep -q 'failing loudly' "$TMP/batch.log"
check "batch.log lines are time-stamped" grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z ' "$TMP/batch.log"

# ---- kill a long job ----
"$driver" submit "$kill_cfg" "$TMP/kill.jobs" >"$TMP/ksubmit.out" 2>&1 || fail "submit long job: $(tail -n 3 "$TMP/ksubmit.out")"
if "$driver" running "$kill_cfg" "$TMP/kill.jobs" 60 >"$TMP/krun.out" 2>&1; then pass "the long job runs"
else fail "long job not running: $(tail -n 3 "$TMP/krun.out")"; fi
check "kill (TerminateJob)" "$driver" kill "$kill_cfg" "$TMP/kill.jobs"
start=$SECONDS
"$driver" wait "$kill_cfg" "$TMP/kill.jobs" 60 >"$TMP/kwait.out" 2>&1
check "the killed job is cancelled ($((SECONDS - start)) s)" grep -q '^1 cancelled ' "$TMP/kwait.out"

# ---- mnp pinning: a one-node multi-node job names its instance type ----
if "$driver" setup "$mnp_cfg" >"$TMP/msetup.out" 2>&1; then pass "setup (mnp)"
else fail "setup mnp: $(tail -n 5 "$TMP/msetup.out")"; fi
on_exit "'$driver' teardown '$mnp_cfg'"
"$driver" submit "$mnp_cfg" "$TMP/mnp.jobs" >"$TMP/msubmit.out" 2>&1 || fail "submit mnp: $(tail -n 3 "$TMP/msubmit.out")"
# (moto's DescribeJobDefinitions leaves nodeProperties out; DescribeJobs shows them)
itype=$(aws batch describe-jobs --jobs "$(awk '{print $5}' "$TMP/mnp.jobs")" --query 'jobs[0].[jobDefinition,nodeProperties.nodeRangeProperties[0].container.instanceType]' --output text)
expect_eq "the mnp job's definition pins the instance type" "${itype##*/}" "bt$$-c5-large-a8:1	c5.large"
"$driver" wait "$mnp_cfg" "$TMP/mnp.jobs" 60 >"$TMP/mwait.out" 2>&1
check "the mnp job SUCCEEDED" grep -q '^1 succeeded 0 ' "$TMP/mwait.out"
check "the mnp job uploaded its summary" python3 -c "
import boto3, sys
s3 = boto3.client('s3', endpoint_url='$endpoint', region_name='us-east-1')
s3.head_object(Bucket='batch-results', Key='bench/pinned/c5.large/default/0/summary.json')"

# ---- orchestrate run --backend batch: SIGKILLed mid-run, resumed, nothing lost or repeated ----
if [ -x "$ORCHESTRATE" ]; then
  run_cfg=$TMP/run.yaml
  write_config "$run_cfg" runexp queue-per-type "c5.large, m5.large" \
    '[/bin/sh, -c, "sleep 3; echo run replicate $ORCH_REPLICATE; exit {code}"]'
  printf 'parameters:\n  code: {type: int, values: [0, 3]}\n' >>"$run_cfg"
  out=$TMP/run-out
  "$ORCHESTRATE" run "$run_cfg" --backend batch --output "$out" --poll 1 >"$TMP/run1.out" 2>&1 &
  rpid=$!
  submitted=0
  for _ in $(seq 1 150); do
    submitted=$(python3 -c "
import sqlite3, sys
try:
    print(sqlite3.connect('file:$out/state.db?mode=ro', uri=True).execute(
        'select count(*) from jobs where backend_id is not null').fetchone()[0])
except Exception:
    print(0)" 2>/dev/null)
    [ "${submitted:-0}" -ge 8 ] && break
    kill -0 "$rpid" 2>/dev/null || break
    sleep 0.2
  done
  kill -9 "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null
  expect_eq "8 jobs journaled as submitted before the SIGKILL" "$submitted" "8"
  start=$SECONDS
  if timeout 120 "$ORCHESTRATE" run "$run_cfg" --backend batch --output "$out" --poll 1 >"$TMP/run2.out" 2>&1; then
    pass "the rerun re-attached and finished ($((SECONDS - start)) s)"
  else fail "rerun: $(tail -n 8 "$TMP/run2.out")"; fi
  python3 - "$out" >"$TMP/runcheck.out" 2>&1 <<'PY'
import csv, os, sys
rows = list(csv.DictReader(open(os.path.join(sys.argv[1], "results.csv"))))
print(len(rows), "rows")
ok = len(rows) == 8 and len({(r["instance_type"], r["point_tag"], r["replicate"]) for r in rows}) == 8
for r in rows:
    print(r["instance_type"], r["point_tag"], r["replicate"], r["state"], r["exit_code"], r["backend_id"], r["result_dir"])
    d = os.path.join(sys.argv[1], r["result_dir"])
    want = ("succeeded", "0") if r["param_code"] == "0" else ("failed", "3")
    ok = ok and (r["state"], r["exit_code"]) == want and ":" in r["backend_id"]
    log = os.path.join(d, "stdout.log")
    ok = ok and os.path.isfile(log) and ("run replicate " + r["replicate"]) in open(log).read()
    if r["param_code"] == "3":   # a failed job's CloudWatch log is saved beside its results
        blog = os.path.join(d, "batch.log")
        ok = ok and os.path.isfile(blog) and ("run replicate " + r["replicate"]) in open(blog).read()
sys.exit(0 if ok else 1)
PY
  if [ $? -eq 0 ]; then pass "results.csv: 4 succeeded and 4 failed (exit 3, batch.log saved) rows, each with its replicate's stdout"
  else fail "results.csv: $(cat "$TMP/runcheck.out")"; fi
  parents=0
  for q in "bt$$-c5-large" "bt$$-m5-large"; do
    n=$(aws batch list-jobs --job-queue "$q" --filters 'name=JOB_NAME,values=runexp_j*' \
          --query 'jobSummaryList[].jobId' --output text | tr '\t' '\n' | grep -vc ':')
    parents=$((parents + n))
  done
  expect_eq "ListJobs: exactly one array job per type and point, none submitted twice" "$parents" "4"

  # `orchestrate kill` mid-run: the running job is terminated on Batch and journaled cancelled
  kcfg=$TMP/killrun.yaml
  write_config "$kcfg" killexp queue-per-type "m5.large" '[/bin/sleep, "300"]'
  sed -i 's/^replicates: 2/replicates: 1/' "$kcfg"
  kout=$TMP/kill-out
  "$ORCHESTRATE" run "$kcfg" --output "$kout" --poll 1 >"$TMP/krun1.out" 2>&1 &
  kpid=$!
  on_exit "kill -9 $kpid"
  state=""
  for _ in $(seq 1 200); do
    state=$(python3 -c "
import sqlite3
try:
    print(sqlite3.connect('file:$kout/state.db?mode=ro', uri=True).execute(
        'select state from jobs').fetchone()[0])
except Exception:
    print('')" 2>/dev/null)
    [ "$state" = running ] && break
    sleep 0.3
  done
  expect_eq "the long job runs under orchestrate" "$state" "running"
  if "$ORCHESTRATE" kill "$kcfg" --output "$kout" >"$TMP/kkill.out" 2>&1; then pass "orchestrate kill"
  else fail "orchestrate kill: $(tail -n 5 "$TMP/kkill.out")"; fi
  for _ in $(seq 1 100); do kill -0 "$kpid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$kpid" 2>/dev/null; wait "$kpid" 2>/dev/null
  kid=$(python3 -c "
import sqlite3
r = sqlite3.connect('file:$kout/state.db?mode=ro', uri=True).execute('select state, backend_id from jobs').fetchone()
print(r[0], r[1])")
  expect_eq "journaled cancelled" "${kid%% *}" "cancelled"
  bstate=""
  for _ in $(seq 1 60); do
    bstate=$(aws batch describe-jobs --jobs "${kid#* }" --query 'jobs[0].[status,statusReason]' --output text)
    case "$bstate" in FAILED*) break ;; esac
    sleep 0.5
  done
  expect_eq "Batch terminated it" "$bstate" "FAILED	orchestrate kill"
else
  fail "orchestrate is not built at $ORCHESTRATE"
fi

# ---- teardown ----
if "$driver" teardown "$ok_cfg" >"$TMP/td.out" 2>&1 && "$driver" teardown "$mnp_cfg" >>"$TMP/td.out" 2>&1; then
  pass "teardown"
else fail "teardown: $(tail -n 5 "$TMP/td.out")"; fi
left=$(aws batch describe-compute-environments --query "length(computeEnvironments[?starts_with(computeEnvironmentName,'bt$$-')])")
expect_eq "no compute environment left" "$left" "0"
left=$(aws batch describe-job-queues --query "length(jobQueues[?starts_with(jobQueueName,'bt$$-')])")
expect_eq "no queue left" "$left" "0"
left=$(aws batch describe-job-definitions --job-definition-name "bt$$-c5-large" --status ACTIVE --query 'length(jobDefinitions)')
expect_eq "job definitions deregistered" "$left" "0"
check "teardown again is a no-op" "$driver" teardown "$ok_cfg"
