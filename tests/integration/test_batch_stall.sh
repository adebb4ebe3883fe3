#!/usr/bin/env bash
# Stall detection of RUNNING Batch jobs (stall_timeout), against moto's AWS Batch with the
# jobs really run as podman containers of the static monitor (as in test_batch_moto.sh).
#
# One point, 2 replicates as one array job, each `sleep 20`, stall_timeout 16 s (so the
# backend adds `--checkpoint 5` and lists the point's S3 prefix at most every 4 s). Once
# replicate 0 has checkpointed its timeseries.csv, its monitor is SIGSTOPped: Batch still
# says RUNNING but the checkpoints stop. The orchestrator must terminate and resubmit it
# (and say so), and must NOT resubmit replicate 1, which runs longer than the timeout
# with live checkpoints. Both end succeeded; the ListObjectsV2 calls stay within one per
# period for the shared point prefix.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman_env.sh"
. "$(dirname "$0")/batch_moto_lib.sh"

command -v moto_server >/dev/null || { fail "moto_server is not installed (tools/install_deps.sh --test)"; exit 1; }
python3 -c 'import boto3' 2>/dev/null || { fail "python3 boto3 is missing (tools/install_deps.sh --test)"; exit 1; }
[ -x "$ORCHESTRATE" ] || { fail "orchestrate is not built at $ORCHESTRATE"; exit 1; }
podman_env_setup
podman_service_start || { fail "podman system service did not start"; exit 1; }

# ---- the image: busybox + the static monitor as ENTRYPOINT ----
batch_monitor_image batch-stall

# ---- moto: three unsigned calls make the IAM user; everything after is signed ----
batch_moto_start
# The results go to a second moto without signature checks: moto 5.2 rejects signed
# ListObjectsV2 requests (boto3's too) with SignatureDoesNotMatch, and the stall check
# lists. (test_batch_moto.sh covers signed S3 uploads and GETs.)
s3port=$(free_port)
moto_server -H 127.0.0.1 -p "$s3port" >"$TMP/moto-s3.log" 2>&1 &
on_exit "kill $!"
wait_for_port "$s3port" 30 || { fail "the S3 moto_server did not start"; exit 1; }
s3endpoint=http://127.0.0.1:$s3port
export AWS_ENDPOINT_URL_S3=$s3endpoint
python3 "$ROOT/tests/integration/moto_make_bucket.py" "$s3endpoint" batch-results
read -r service_role instance_profile < <(python3 "$ROOT/tests/integration/moto_batch_roles.py" "$endpoint")

batch_creds_start

cfg=$TMP/stall.yaml
cat >"$cfg" <<YAML
experiment: stall
backend: batch
results_url: s3://batch-results/bench/
image: $image
job_timeout: 90s
stall_timeout: 16s
max_resubmits: 1
replicates: 2
instance_types: [m5.large]
command: [/bin/sleep, "20"]
batch:
  pinning: queue-per-type
  name_prefix: bs$$
  service_role_arn: $service_role
  instance_role: $instance_profile
env:
  AWS_ENDPOINT_URL: $endpoint
  AWS_ENDPOINT_URL_S3: $s3endpoint
  AWS_REGION: us-east-1
  AWS_CONTAINER_CREDENTIALS_FULL_URI: http://127.0.0.1:$creds_port/v2/credentials/batch-test
YAML

if "$ORCHESTRATE" setup "$cfg" >"$TMP/setup.out" 2>&1; then pass "setup"
else fail "setup: $(tail -n 5 "$TMP/setup.out")"; exit 1; fi
on_exit "'$ORCHESTRATE' teardown '$cfg' >/dev/null 2>&1"

out=$TMP/out
start=$SECONDS
"$ORCHESTRATE" run "$cfg" --output "$out" --poll 1 >"$TMP/run.out" 2>&1 &
rpid=$!
on_exit "kill -9 $rpid 2>/dev/null"

# The container of replicate 0 (moto names array children PARENT:INDEX in AWS_BATCH_JOB_ID),
# among this test's containers only (other tests' run at the same time): the ones given
# this test's private S3 endpoint.
container_of_rep0() {
  local id env
  for id in $(podman ps -q 2>/dev/null); do
    env=$(podman inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$id" 2>/dev/null)
    if grep -qx "AWS_ENDPOINT_URL_S3=$s3endpoint" <<<"$env" &&
        grep -Eq '^AWS_BATCH_JOB_ID=[^:]+:0$' <<<"$env"; then
      echo "$id"; return 0
    fi
  done
  return 1
}
ts_there() {  # key
  python3 - "$s3endpoint" "$1" 2>/dev/null <<'PY'
import boto3, sys
boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1").head_object(
    Bucket="batch-results", Key=sys.argv[2])
PY
}

cid="" pid=""
for _ in $(seq 1 240); do
  kill -0 "$rpid" 2>/dev/null || break
  if [ -z "$cid" ]; then cid=$(container_of_rep0) || cid=""; fi
  if [ -n "$cid" ] && ts_there bench/stall/m5.large/default/0/timeseries.csv; then
    pid=$(podman inspect --format '{{.State.Pid}}' "$cid" 2>/dev/null)
    break
  fi
  sleep 0.25
done
if [ -n "$pid" ] && [ "$pid" -gt 0 ] && kill -STOP "$pid"; then
  pass "replicate 0 checkpointed, then its monitor (host pid $pid) was frozen ($((SECONDS - start)) s)"
  on_exit "kill -CONT $pid 2>/dev/null"
  expect_eq "the job's command got --checkpoint max(5, 16/4)" \
    "$(tr '\0' ' ' <"/proc/$pid/cmdline" | grep -o -- '--checkpoint [0-9]*')" "--checkpoint 5"
else
  fail "no running, checkpointed container of replicate 0 to freeze: $(tail -n 5 "$TMP/run.out")"
fi

if timeout 150 tail --pid="$rpid" -f /dev/null; then :; fi
wait "$rpid"; rc=$?
expect_eq "orchestrate run finished with status 0 ($((SECONDS - start)) s)" "$rc" "0"
if grep -Eq 'job [0-9]+ made no progress for 16 s: resubmitting' "$TMP/run.out"; then
  pass "the log says the stalled job is resubmitted"
else
  fail "no stall in the log: $(tail -n 12 "$TMP/run.out")"
  grep -E 'list-type' "$TMP/moto-s3.log" | tail -n 5
fi
expect_eq "exactly one job was resubmitted" \
  "$(grep -Ec 'made no progress for .*: resubmitting' "$TMP/run.out")" "1"
attempts=$(python3 -c "
import sqlite3
db = sqlite3.connect('file:$out/state.db?mode=ro', uri=True)
print(' '.join('%s:%s:%s' % r for r in db.execute(
    'select replicate, attempts, state from jobs order by replicate')))")
expect_eq "replicate 0 submitted twice, the live replicate 1 once; both succeeded" \
  "$attempts" "0:2:succeeded 1:1:succeeded"
# The point's two replicates share one listing, made at most every max(16/4, poll) s while
# they run: far fewer than one per job and poll.
lists=$(grep -Ec 'GET /batch-results/?\?[^ ]*list-type=2[^ ]*prefix=bench(/|%2F)stall(/|%2F)' "$TMP/moto-s3.log")
elapsed=$((SECONDS - start))
check "ListObjectsV2 of the running point: $lists calls in $elapsed s (at most one per 4 s)" \
  test "$lists" -ge 2 -a "$lists" -le $((elapsed / 4 + 2))
if "$ORCHESTRATE" teardown "$cfg" >"$TMP/td.out" 2>&1; then pass "teardown"
else fail "teardown: $(tail -n 5 "$TMP/td.out")"; fi
