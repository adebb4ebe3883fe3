#!/usr/bin/env bash
# monitor_system publishing to S3 (moto_server with SigV4 checking): the final upload of
# all four files under the prefix, the old -s3/-id flags, a checkpoint visible in S3 while
# the workload still runs and still there after a SIGKILL, a failing upload that leaves
# the files on disk (and --require-upload turning it into a non-zero exit), and a Batch
# array child finding its replicate directory.
. "$(dirname "$0")/lib.sh"

command -v moto_server >/dev/null || { fail "moto_server not installed (tools/install_deps.sh --test)"; exit 1; }
command -v aws >/dev/null || { fail "aws CLI not installed (tools/install_deps.sh --test)"; exit 1; }

port=$(free_port)
endpoint=http://127.0.0.1:$port
INITIAL_NO_AUTH_ACTION_COUNT=3 moto_server -H 127.0.0.1 -p "$port" >"$TMP/moto.log" 2>&1 &
moto_pid=$!
on_exit "kill $moto_pid"
wait_for_port "$port" 30 || { fail "moto_server did not start"; exit 1; }
read -r key secret < <(python3 "$ROOT/tests/integration/moto_iam_user.py" "$endpoint" monitor-tester)
[ -n "${secret:-}" ] || { fail "could not create an IAM user on moto"; exit 1; }
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL_S3
export AWS_ENDPOINT_URL=$endpoint AWS_MAX_ATTEMPTS=2
export AWS_CONFIG_FILE=$TMP/none AWS_SHARED_CREDENTIALS_FILE=$TMP/none
awsx() { aws --endpoint-url "$endpoint" "$@"; }
# The whole bucket is listed and filtered here: moto's signature check rejects the aws
# CLI's ListObjectsV2 when the prefix holds a '/'.
keys() { awsx s3 ls --recursive s3://bench 2>/dev/null | awk '{print $4}' | grep "^$1" | sort | tr '\n' ' '; }
check "bucket created" awsx s3 mb s3://bench >/dev/null
cd "$TMP"

# --- final upload ----------------------------------------------------------------------
"$MONITOR" --quiet --interval 0.05 --workdir "$TMP/w1" --result-url s3://bench/exp/m5.large/p1/0/ \
  --cmd sh -c 'echo out; echo 3.5 > benchmark_custom.txt; exit 2'
expect_eq "the workload's status survives the upload" "$?" 2
expect_eq "all four files uploaded under the prefix" "$(keys exp/m5.large/p1/0/)" \
  "exp/m5.large/p1/0/stderr.log exp/m5.large/p1/0/stdout.log exp/m5.large/p1/0/summary.json exp/m5.large/p1/0/timeseries.csv "
awsx s3 cp s3://bench/exp/m5.large/p1/0/summary.json "$TMP/s1.json" >/dev/null 2>&1
check "uploaded summary is the local one" cmp -s "$TMP/s1.json" "$TMP/w1/summary.json"
check "uploaded summary records the failure and the metric" python3 -c "
import json; s=json.load(open('$TMP/s1.json')); assert s['status']=='failed' and s['exit_code']==2 and s['custom_metric']==3.5"
expect_eq "uploaded stdout.log" "$(awsx s3 cp s3://bench/exp/m5.large/p1/0/stdout.log - 2>/dev/null)" "out"

# --- the older monitor's flags ---------------------------------------------------------
"$MONITOR" --quiet --interval 0.05 --workdir "$TMP/w2" -s3 bench -id legacy-7 --cmd true
expect_eq "-s3 BUCKET -id ID upload to s3://BUCKET/ID/" "$(keys legacy-7/)" \
  "legacy-7/stderr.log legacy-7/stdout.log legacy-7/summary.json legacy-7/timeseries.csv "

# --- checkpoint visible while running, and after SIGKILL -------------------------------
"$MONITOR" --quiet --interval 0.05 --checkpoint 0.5 --workdir "$TMP/w3" \
  --result-url s3://bench/cp/ --cmd sh -c "echo \$\$ > '$TMP/w3.pid'; exec sleep 60" &
m=$!
on_exit "kill -9 $m"
on_exit "kill -9 \$(cat '$TMP/w3.pid')"
seen=0
for i in $(seq 1 100); do
  if [ -n "$(keys cp/timeseries.csv)" ]; then seen=1; break; fi
  sleep 0.1
done
expect_eq "a checkpoint CSV appears in S3 while the workload runs" "$seen" 1
check "no summary.json before the end" test -z "$(keys cp/summary.json)"
sleep 1.2
kill -9 $m
wait $m 2>/dev/null
kill -9 "$(cat "$TMP/w3.pid")" 2>/dev/null
awsx s3 cp s3://bench/cp/timeseries.csv "$TMP/cp.csv" >/dev/null 2>&1
check "after SIGKILL the last checkpoint holds several samples" python3 -c "
import csv; rows=list(csv.reader(open('$TMP/cp.csv'))); assert rows[0][0]=='time' and len(rows) >= 10, len(rows)"

# --- upload failure ---------------------------------------------------------------------
AWS_SECRET_ACCESS_KEY=wrong-secret "$MONITOR" --interval 0.05 --workdir "$TMP/w4" \
  --result-url s3://bench/bad/ --cmd true 2>"$TMP/w4.err"
expect_eq "a failed upload does not change a successful workload's status" "$?" 0
check "the failure is logged" grep -q "upload of .* failed" "$TMP/w4.err"
check "the secret is not in the log" sh -c "! grep -q wrong-secret '$TMP/w4.err'"
check "the files stay on disk" test -s "$TMP/w4/summary.json"
AWS_SECRET_ACCESS_KEY=wrong-secret "$MONITOR" --quiet --require-upload --interval 0.05 \
  --workdir "$TMP/w5" --result-url s3://bench/bad/ --cmd true 2>/dev/null
expect_eq "--require-upload makes a failed upload exit 75" "$?" 75
"$MONITOR" --quiet --interval 0.05 --workdir "$TMP/w6" --result-url s3://no-such-bucket-x/p/ \
  --cmd sh -c 'exit 4' 2>/dev/null
expect_eq "a missing bucket keeps the workload's status" "$?" 4

# --- AWS Batch array child --------------------------------------------------------------
MONITOR_RESULT_URL=s3://bench/arr/c5.large/pt/ ORCH_ARRAY_REPLICATE_BASE=3 \
  AWS_BATCH_JOB_ARRAY_INDEX=2 "$MONITOR" --quiet --interval 0.05 --workdir "$TMP/w7" \
  --cmd sh -c 'echo "$ORCH_REPLICATE"'
check "array child uploads to its replicate (3 + 2)" test -n "$(keys arr/c5.large/pt/5/summary.json)"
expect_eq "the workload sees ORCH_REPLICATE" "$(cat "$TMP/w7/stdout.log")" 5
