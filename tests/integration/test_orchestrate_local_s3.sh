#!/usr/bin/env bash
# The local backend with an S3 results URL: jobs upload through a local S3 endpoint (moto
# with signature checking on) and orchestrate collects them with the uploader's S3 client.
# No secret reaches the output directory, the journal or the logs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/s3_helpers.sh"

[ -x "$ORCHESTRATE" ] || skip "orchestrate not built ($ORCHESTRATE)"
[ -x "$MONITOR" ] || skip "monitor_system not built ($MONITOR)"
cd "$TMP" || exit 1
cp "$ROOT/tests/data/orchestrator/work.sh" .

moto_start 3 "$TMP/moto.log"
read -r key secret < <(moto_user "$moto_url" orch-tester) || { fail "IAM user on moto"; exit 1; }
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
aws --endpoint-url "$moto_url" s3 mb s3://bench >/dev/null || { fail "bucket"; exit 1; }

cat > s3.yaml <<EOF
experiment: s3run
results_url: s3://bench/runs/
replicates: 2
command: [/bin/sh, ./work.sh, ARGS]
parameters:
  n: [5000]
local:
  concurrency: 2
  s3_endpoint: $moto_url
  profiles:
    p1: {cpus: 1, price_per_hour: 0.5}
EOF
"$ORCHESTRATE" run s3.yaml --monitor "$MONITOR" --output out >run.out 2>run.err
rc=$?
expect_eq "run exits 0" "$rc" 0
[ "$rc" -eq 0 ] || tail -n 20 run.err out/work/*/*/*/monitor.log
expect_eq "both jobs succeeded" "$(grep -c ',succeeded,0,' out/results.csv)" 2
listing=$(aws --endpoint-url "$moto_url" s3api list-objects-v2 --bucket bench --query "Contents[].Key" --output text | tr "\t" "\n" | sort | xargs)
expect_eq "the jobs uploaded to S3 under EXPERIMENT/TYPE/TAG/REP/" "$listing" \
  "runs/s3run/p1/n-5000/0/stderr.log runs/s3run/p1/n-5000/0/stdout.log runs/s3run/p1/n-5000/0/summary.json runs/s3run/p1/n-5000/0/timeseries.csv runs/s3run/p1/n-5000/1/stderr.log runs/s3run/p1/n-5000/1/stdout.log runs/s3run/p1/n-5000/1/summary.json runs/s3run/p1/n-5000/1/timeseries.csv"
check "collected from S3 into runs/" test -s out/runs/p1/n-5000/1/summary.json
check "time series collected too" test -s out/runs/p1/n-5000/0/timeseries.csv
expect_eq "custom metric from the collected summary" "$(grep -c ',-5000,' out/results.csv)" 2
expect_eq "no secret in the output directory" "$(grep -rl -- "$secret" out run.out run.err 2>/dev/null | wc -l)" 0
