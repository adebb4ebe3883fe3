#!/usr/bin/env bash
# orchestrate on the local backend, end to end with the real monitor_system: a run writes
# results.csv/summary.csv/ec2data.csv per the shared contract; a rerun repeats nothing; an
# orchestrator killed with SIGKILL mid-run resumes without losing or repeating a job (each
# run of a job leaves a line in a ledger); SIGINT leaves the journal consistent; status,
# kill and report work; a failing job keeps its exit status and log.
source "$(dirname "$0")/lib.sh"

[ -x "$ORCHESTRATE" ] || skip "orchestrate not built ($ORCHESTRATE)"
[ -x "$MONITOR" ] || skip "monitor_system not built ($MONITOR)"
DATA=$ROOT/tests/data/orchestrator
cd "$TMP" || exit 1
cp "$DATA/minimal.yaml" "$DATA/work.sh" "$DATA/sleepy.sh" .
orch() { "$ORCHESTRATE" "$@" --monitor "$MONITOR"; }
csv_col() {  # FILE COLUMN: that column of every data row
  python3 -c 'import csv,sys; [print(r[sys.argv[2]]) for r in csv.DictReader(open(sys.argv[1]))]' "$1" "$2"
}
db() { python3 -c 'import sqlite3,sys; [print(*r, sep="|") for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]' "$@"; }
# Workload processes still alive at the end (a failed check must not leave them behind).
on_exit 'for p in $(awk "{print \$4}" "$TMP"/ledger* 2>/dev/null); do kill -9 "$p"; done'

# --- 1. a plain run: 2 profiles x 2 points x 2 replicates --------------------------------------
orch run minimal.yaml --output out1 >run1.out 2>run1.err
expect_eq "run exits 0" "$?" 0
expect_eq "results.csv header is the contract's" "$(head -1 out1/results.csv)" \
  "experiment,instance_type,point_tag,replicate,round,state,exit_code,runtime_seconds,cpu_seconds,peak_memory_bytes,custom_metric,nodes,price_per_hour,price_source,cost_usd,queue_seconds,backend_id,result_dir,param_n"
expect_eq "one row per job" "$(csv_col out1/results.csv state | sort | uniq -c | xargs)" "8 succeeded"
expect_eq "custom metric collected" "$(csv_col out1/results.csv custom_metric | sort -u | xargs)" "-20000 -40000"
expect_eq "cost = runtime/3600 x price x nodes" "$(python3 - out1/results.csv <<'PY'
import csv, sys
bad = [r for r in csv.DictReader(open(sys.argv[1]))
       if abs(float(r["cost_usd"]) - float(r["runtime_seconds"]) / 3600 * float(r["price_per_hour"]) * int(r["nodes"])) > 1e-12]
print(len(bad))
PY
)" 0
expect_eq "summary.csv: one row per type and point" "$(($(wc -l < out1/summary.csv) - 1))" 4
expect_eq "summary.csv starts with the contract's columns" \
  "$(head -1 out1/summary.csv | cut -d, -f1-12)" \
  "instance_type,point_tag,n,n_failed,runtime_mean,runtime_std,runtime_sem,cost_mean,cost_sem,custom_metric_mean,price_per_hour,param_n"
check "ec2data.csv has the older tool's columns" grep -q '^ec2_type,Avg_cpu,peak_RAM,cost,runtime,Disk_IO_Read,Disk_IO_Write,Network_Sent,Network_Received,CPU Count,Total RAM,GPU Count,N Nodes,Time,custom_metric$' out1/ec2data.csv
for f in summary.json timeseries.csv stdout.log; do
  check "collected runs/small/n-20000/1/$f" test -s "out1/runs/small/n-20000/1/$f"
done
check "collected runs/small/n-20000/1/stderr.log" test -e "out1/runs/small/n-20000/1/stderr.log"
check "the workload's stdout was kept" grep -q "counted to 40000" "out1/runs/large/n-40000/0/stdout.log"
check "the ranked table is printed" grep -q "fastest" run1.out

# --- 2. SIGKILL mid-run, then resume: nothing lost, nothing repeated -----------------------------
cat > ledger.yaml <<EOF
experiment: ledger
replicates: 3
command: [/bin/sh, ./sleepy.sh, $TMP/ledger, "{secs}", "{secs}"]
parameters:
  secs: {type: float, values: [0.3, 0.6]}
local:
  concurrency: 2
  profiles:
    a: {cpus: 1, price_per_hour: 0.1}
    b: {cpus: 1, price_per_hour: 0.2}
EOF
: > ledger
"$ORCHESTRATE" run ledger.yaml --output out2 --monitor "$MONITOR" >run2a.out 2>run2a.err &
pid=$!
for _ in $(seq 1 100); do [ "$(wc -l < ledger)" -ge 3 ] && break; sleep 0.1; done
kill -9 "$pid"; wait "$pid" 2>/dev/null
started=$(wc -l < ledger)
check "jobs were running when the orchestrator died ($started started)" test "$started" -ge 3
orch run ledger.yaml --output out2 >run2b.out 2>run2b.err
expect_eq "resumed run exits 0" "$?" 0
expect_eq "every job ran exactly once (runs per job, total runs)" \
  "$(awk '{print $1, $2, $3}' ledger | sort | uniq -c | awk '{print $1}' | sort -u | xargs) $(wc -l < ledger)" "1 12"
expect_eq "12 jobs, all succeeded" "$(csv_col out2/results.csv state | sort | uniq -c | xargs)" "12 succeeded"
expect_eq "no job was submitted twice" \
  "$(db out2/state.db "select job_id from events where state='submitted' group by job_id having count(*) > 1" | wc -l)" 0
orch run ledger.yaml --output out2 >run2c.out 2>run2c.err
expect_eq "a third run starts nothing" "$(wc -l < ledger)" 12

# --- 3. SIGINT leaves the journal consistent; status; kill ----------------------------------------
sed -e 's/experiment: ledger/experiment: longer/' -e "s#$TMP/ledger#$TMP/ledger3#" \
    -e 's/values: \[0.3, 0.6\]/values: [30]/' ledger.yaml > long.yaml
: > ledger3
"$ORCHESTRATE" run long.yaml --output out3 --monitor "$MONITOR" >run3.out 2>run3.err &
pid=$!
for _ in $(seq 1 100); do [ "$(wc -l < ledger3)" -ge 2 ] && break; sleep 0.1; done
orch run long.yaml --output out3 >dup.out 2>dup.err
expect_eq "a second run of a running experiment is refused" "$?" 1
check "the refusal names the running orchestrator" grep -q "another orchestrate (pid $pid) is running" dup.err
kill -INT "$pid"; wait "$pid"; rc=$?
expect_eq "SIGINT: exit 130 (128+SIGINT)" "$rc" 130
check "SIGINT: the way to resume is named" grep -q "run the same command again" run3.err
expect_eq "SIGINT: the started jobs keep running" \
  "$(db out3/state.db "select count(*) from jobs where state in ('running','submitted')")" 2
orch status long.yaml --output out3 >status.out 2>&1
expect_eq "status exits 0" "$?" 0
check "status counts the jobs" grep -q "4 planned" status.out
orch kill long.yaml --output out3 --wait 20 >kill.out 2>&1
expect_eq "kill exits 0" "$?" 0
expect_eq "kill: every job cancelled" "$(db out3/state.db "select state, count(*) from jobs group by state")" "cancelled|6"
alive=0; for p in $(awk '{print $4}' ledger3); do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
expect_eq "kill: no workload process left" "$alive" 0
expect_eq "kill: results.csv lists them as cancelled" "$(csv_col out3/results.csv state | sort -u)" cancelled
killed_dir=$(dirname "$(ls out3/runs/*/*/*/summary.json | head -1)")
check "kill: a killed job still has its summary ($killed_dir)" test -s "$killed_dir/summary.json"

# --- 4. a failing job keeps its exit status and log ------------------------------------------------
cat > fail.yaml <<'EOF'
experiment: failing
command: [/bin/sh, -c, "echo about to fail >&2; exit 3"]
EOF
orch run fail.yaml --output out4 >run4.out 2>run4.err
expect_eq "a failed job does not fail the run" "$?" 0
expect_eq "failed job: state and exit code" \
  "$(csv_col out4/results.csv state),$(csv_col out4/results.csv exit_code)" "failed,3"
check "failed job: stderr kept" grep -q "about to fail" out4/runs/local/default/0/stderr.log
check "failed job: its log saved beside the results" test -s out4/runs/local/default/0/batch.log

# --- 4b. a job past job_timeout is stopped and fails ---------------------------------------------
cat > slow.yaml <<EOF
experiment: slow
job_timeout: 1
command: [/bin/sh, ./sleepy.sh, $TMP/ledger5, "30"]
EOF
start=$SECONDS
orch run slow.yaml --output out5 >run5.out 2>run5.err
expect_eq "timeout: the run still ends normally" "$?" 0
check "timeout: stopped well before the workload's 30 s" test $((SECONDS - start)) -lt 20
expect_eq "timeout: the job failed" "$(csv_col out5/results.csv state)" failed
orch status slow.yaml --output out5 >status5.out 2>&1
check "timeout: status says why" grep -q "timed out after 1 s" status5.out

# --- 4c. a job that stops showing signs of life is terminated and resubmitted ---------------------
cat > stall.yaml <<EOF
experiment: stall
stall_timeout: 3
max_resubmits: 1
command: [/bin/sh, ./sleepy.sh, $TMP/ledger6, "2"]
EOF
: > ledger6
timeout 60 "$ORCHESTRATE" run stall.yaml --output out6 --monitor "$MONITOR" >run6.out 2>run6.err &
pid=$!
for _ in $(seq 1 100); do [ -s ledger6 ] && break; sleep 0.1; done
frozen=$(cut -d: -f1 out6/work/local/default/0/job.pid)
kill -STOP "$frozen"   # the monitor writes no more time-series rows
on_exit "kill -KILL $frozen"
wait "$pid"
expect_eq "stall: the run ends normally" "$?" 0
expect_eq "stall: the job ran twice (frozen, then resubmitted)" "$(wc -l < ledger6)" 2
expect_eq "stall: the second attempt succeeded" "$(csv_col out6/results.csv state)" succeeded
check "stall: the resubmission is logged" grep -q "made no progress for 3 s: resubmitting" run6.err
kill -KILL "$frozen" 2>/dev/null

# --- 5. report rebuilds the tables from the journal ------------------------------------------------
rm -f out1/results.csv out1/summary.csv
orch report minimal.yaml --output out1 >report.out 2>&1
expect_eq "report exits 0" "$?" 0
expect_eq "report rebuilt results.csv" "$(csv_col out1/results.csv state | wc -l)" 8
check "report.html written" test -s out1/report.html

# --- 6. progress: a live line on a terminal, plain log lines otherwise ----------------------------
sed 's/experiment: minimal/experiment: progress/' minimal.yaml > progress.yaml
if command -v script >/dev/null; then
  # script(1) gives the run a real terminal; the live line is redrawn with carriage returns.
  # script(1) needs a standard input to read (CI may start us with none).
  timeout 120 script -qec "'$ORCHESTRATE' run progress.yaml --output out7 --monitor '$MONITOR'" \
    /dev/null </dev/null > tty.out 2>&1
  expect_eq "progress: the run on a terminal exits 0" "$?" 0
  check "progress: the line is redrawn in place" grep -q $'\r8/8 done' tty.out
  check "progress: it counts states and elapsed time" \
    grep -qE '8/8 done: 0 planned, 0 submitted, 0 running, 8 succeeded, 0 failed, 0 cancelled \[[0-9]+s' tty.out
fi
rm -rf out7
orch run progress.yaml --output out7 >plain.out 2>plain.err
expect_eq "progress: the run without a terminal exits 0" "$?" 0
check "progress: plain log lines without a terminal" grep -q 'info: 8/8 done: .* 8 succeeded' plain.err
check "progress: no carriage returns without a terminal" sh -c "! grep -q $'\r' plain.err"
