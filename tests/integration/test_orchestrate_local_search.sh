#!/usr/bin/env bash
# A search through orchestrate's run loop on the local backend: rounds of parallel proposals
# are planned, run, collected and fed back; the same seed makes the same proposals (the
# objective is the workload's deterministic custom metric); the older tool's JSON config
# with optimization_* keys runs unchanged on the local backend.
source "$(dirname "$0")/lib.sh"

[ -x "$ORCHESTRATE" ] || skip "orchestrate not built ($ORCHESTRATE)"
[ -x "$MONITOR" ] || skip "monitor_system not built ($MONITOR)"
cd "$TMP" || exit 1
cp "$ROOT/tests/data/orchestrator/work.sh" .
csv_col() {
  python3 -c 'import csv,sys; [print(r[sys.argv[2]]) for r in csv.DictReader(open(sys.argv[1]))]' "$1" "$2"
}

# work.sh N writes -N as its metric: minimising it means the largest N.
cat > bayes.yaml <<'EOF'
experiment: bayes
command: [/bin/sh, ./work.sh, ARGS]
parameters:
  n: {type: int, min: 100, max: 5000}
search:
  method: bayes
  iterations: 4
  parallel_samples: 2
  metric: custom_metric
local:
  concurrency: 2
EOF
"$ORCHESTRATE" run bayes.yaml --monitor "$MONITOR" --output a --seed 7 >a.out 2>a.err
expect_eq "search run exits 0" "$?" 0
expect_eq "4 rounds of 2 points" "$(csv_col a/results.csv round | sort | uniq -c | xargs)" "2 1 2 2 2 3 2 4"
expect_eq "no point proposed twice" "$(csv_col a/results.csv point_tag | sort | uniq -d | wc -l)" 0
expect_eq "every point within the range" "$(csv_col a/results.csv param_n | awk '$1 < 100 || $1 > 5000' | wc -l)" 0
best_late=$(python3 - a/results.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
first = min(float(r["custom_metric"]) for r in rows if r["round"] == "1")
best = min(float(r["custom_metric"]) for r in rows)
print(int(best <= first))
PY
)
expect_eq "later rounds do at least as well as the first" "$best_late" 1
"$ORCHESTRATE" run bayes.yaml --monitor "$MONITOR" --output b --seed 7 >b.out 2>b.err
expect_eq "same seed, same proposals" "$(csv_col b/results.csv point_tag | xargs)" "$(csv_col a/results.csv point_tag | xargs)"
"$ORCHESTRATE" run bayes.yaml --monitor "$MONITOR" --output a --seed 7 >a2.out 2>a2.err
expect_eq "a finished search resumed runs nothing more" "$(($(wc -l < a/results.csv) - 1))" 8

# The older tool's JSON: optimisation keys, run_cmd with the monitor's own options.
cat > benchmark_config.json <<'EOF'
{
  "region_name": "us-east-1",
  "s3_bucket_name": "unused-on-the-local-backend",
  "container_arn": "unused",
  "logGroupName": "/aws/batch/job",
  "replications": 2,
  "review_logs_past_hrs": 1,
  "job_timeout": 5,
  "ec2_types": ["c5.large"],
  "optimization_iterations": 2,
  "optimization_method": "random",
  "optimization_parallel_samples": 2,
  "optimization_metric": "custom_metric",
  "optimization_arg1": [100, 3000],
  "optimization_arg1_type": "integer",
  "run_cmd": "/env/bin/python /monitor_system.py -cf benchmark_custom.txt --cmd /bin/sh ./work.sh ARGS"
}
EOF
"$ORCHESTRATE" -j benchmark_config.json --backend local --monitor "$MONITOR" --output legacy >l.out 2>l.err
expect_eq "older JSON runs on the local backend" "$?" 0
expect_eq "2 rounds x 2 points x 2 replicates" "$(csv_col legacy/results.csv state | sort | uniq -c | xargs)" "8 succeeded"
expect_eq "its parameter column is param_arg1" "$(head -1 legacy/results.csv | tr ',' '\n' | tail -1)" "param_arg1"
expect_eq "the metric came through -cf" "$(csv_col legacy/results.csv custom_metric | grep -c '^-')" 8
check "ec2data.csv for its notebooks" test -s legacy/ec2data.csv
