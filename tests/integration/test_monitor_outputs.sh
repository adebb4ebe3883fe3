#!/usr/bin/env bash
# Outputs: summary.json keys and values, the custom metric (good, bad, missing, stale,
# named), stdout/stderr tee, a local --result-url (copied from --workdir), --checkpoint
# copies before the workload ends, old flags (-cf), --format jsonl, MONITOR_* variables.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
M() { "$MONITOR" --quiet "$@"; }
js() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# --- summary keys, tee, custom metric --------------------------------------------------
out=$(M --interval 0.05 --workdir "$TMP/a" --instance-type m7i.large --cmd sh -c \
  'echo to-out; echo to-err >&2; echo 1 > benchmark_custom.txt; echo -12.5 >> benchmark_custom.txt' 2>"$TMP/a.err")
expect_eq "stdout is echoed" "$out" "to-out"
check "stderr is echoed" grep -qx to-err "$TMP/a.err"
expect_eq "stdout.log" "$(cat "$TMP/a/stdout.log")" "to-out"
expect_eq "stderr.log" "$(cat "$TMP/a/stderr.log")" "to-err"
check "summary.json has every contract key with the right types" python3 - "$TMP/a/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
types = dict(monitor_version=str, command=list, status=str, exit_code=int, signal=type(None),
             start_time=str, end_time=str, wall_seconds=float, cpu_user_seconds=float,
             cpu_system_seconds=float, cpu_seconds=float, peak_memory_bytes=int,
             disk_read_bytes=int, disk_write_bytes=int, net_rx_bytes=int, net_tx_bytes=int,
             samples=int, custom_metric=float, custom_metric_reason=type(None),
             custom_metrics=dict, instance=dict)
for k, t in types.items():
    assert k in s, k
    assert isinstance(s[k], t), (k, s[k])
for k in ("cgroup_peak_memory_bytes", "oom_kills"):
    assert k in s and (s[k] is None or isinstance(s[k], int)), k
assert s["command"][0] == "sh" and s["status"] == "succeeded" and s["exit_code"] == 0
assert s["custom_metric"] == -12.5
assert s["start_time"].endswith("Z") and s["end_time"] >= s["start_time"]
inst = s["instance"]
assert inst["type"] == "m7i.large" and inst["vcpus"] >= 1 and inst["memory_bytes"] > 0
assert inst["architecture"] and "cpu_model" in inst
PY

# --- custom metric edge cases ----------------------------------------------------------
rm -f benchmark_custom.txt
M --interval 0.05 --workdir "$TMP/b" --cmd true
check "missing custom file: null with a reason" python3 -c "
import json; s=json.load(open('$TMP/b/summary.json'))
assert s['custom_metric'] is None and 'no such file' in s['custom_metric_reason']"
M --interval 0.05 --workdir "$TMP/b" --cmd sh -c 'echo not-a-number > benchmark_custom.txt'
expect_eq "garbage custom file: the run still succeeds" "$?" 0
check "garbage custom file: null with a reason" python3 -c "
import json; s=json.load(open('$TMP/b/summary.json'))
assert s['custom_metric'] is None and s['custom_metric_reason']"
touch -d '2020-01-01' benchmark_custom.txt
M --interval 0.05 --workdir "$TMP/b" --cmd true
check "stale custom file from an earlier run is not used" python3 -c "
import json; s=json.load(open('$TMP/b/summary.json'))
assert s['custom_metric'] is None and 'stale' in s['custom_metric_reason']"
M --interval 0.05 --workdir "$TMP/b" -cf "$TMP/named.prom" 2>/dev/null; true
M --interval 0.05 --workdir "$TMP/b" --custom-metric-file "$TMP/named.prom" --cmd sh -c \
  "printf '# TYPE rps gauge\nrps 1500\nlatency_p99_seconds 0.25\n' > $TMP/named.prom"
check "named metrics land in custom_metrics" python3 -c "
import json; s=json.load(open('$TMP/b/summary.json'))
assert s['custom_metrics'] == {'rps': 1500, 'latency_p99_seconds': 0.25}, s['custom_metrics']
assert s['custom_metric'] is None"
M --interval 0.05 --workdir "$TMP/b" -cf "$TMP/old.txt" --cmd sh -c "echo 7 > $TMP/old.txt"
expect_eq "old -cf flag" "$(js "$TMP/b/summary.json" 's["custom_metric"]')" "7.0"

# --- local result URL, checkpoint ------------------------------------------------------
"$MONITOR" --quiet --interval 0.05 --checkpoint 0.3 --workdir "$TMP/work" --result-url "$TMP/results/run1/" \
  --cmd sh -c "while [ ! -s '$TMP/results/run1/timeseries.csv' ]; do sleep 0.05; done
               cp '$TMP/results/run1/timeseries.csv' '$TMP/partial.csv'; echo done" >/dev/null &
m=$!
on_exit "kill -9 $m"
wait $m
expect_eq "checkpoint run exits 0" "$?" 0
check "the checkpoint copied a partial CSV before the workload ended" test -s "$TMP/partial.csv"
check "the partial CSV has a header and rows" python3 -c "
import csv; rows=list(csv.reader(open('$TMP/partial.csv'))); assert rows[0][0]=='time' and len(rows)>=2"
check "no summary.json at a checkpoint, one at the end" test -s "$TMP/results/run1/summary.json"
for f in timeseries.csv summary.json stdout.log stderr.log; do
  check "final copy of $f" cmp -s "$TMP/work/$f" "$TMP/results/run1/$f"
done
check "partial CSV is a prefix of the final one" python3 -c "
a=open('$TMP/partial.csv').read(); b=open('$TMP/results/run1/timeseries.csv').read(); assert b.startswith(a)"

# A local result URL without --workdir is written in place; MONITOR_* variables work.
MONITOR_RESULT_URL="$TMP/results/run2" MONITOR_INSTANCE_TYPE=c6g.xlarge \
  M --interval 0.05 --cmd true
check "MONITOR_RESULT_URL: files written in place" test -s "$TMP/results/run2/summary.json"
expect_eq "MONITOR_INSTANCE_TYPE" "$(js "$TMP/results/run2/summary.json" 's["instance"]["type"]')" "c6g.xlarge"
check "no ./monitor_output when the result dir is local" test ! -e "$TMP/monitor_output"
M --interval 0.05 --result-url "file://$TMP/results/run3" --cmd true
check "file:// result URL" test -s "$TMP/results/run3/timeseries.csv"

# A SIGKILLed monitor still leaves its checkpointed data.
"$MONITOR" --quiet --interval 0.05 --checkpoint 0.2 --workdir "$TMP/work4" \
  --result-url "$TMP/results/run4" --cmd sh -c "echo \$\$ > '$TMP/run4.pid'; exec sleep 30" &
m=$!
on_exit "kill -9 $m"
on_exit "kill -9 \$(cat '$TMP/run4.pid')"
for i in $(seq 1 100); do [ -s "$TMP/results/run4/timeseries.csv" ] && break; sleep 0.05; done
sleep 0.3
kill -9 $m
wait $m 2>/dev/null
check "after SIGKILL the checkpointed CSV is there" python3 -c "
import csv; rows=list(csv.reader(open('$TMP/results/run4/timeseries.csv'))); assert len(rows)>=3"

# --- formats ---------------------------------------------------------------------------
M --interval 0.05 --format jsonl --workdir "$TMP/j" --cmd sleep 0.2
check "--format jsonl: one JSON object per line" python3 -c "
import json; rows=[json.loads(l) for l in open('$TMP/j/timeseries.jsonl')]
assert len(rows)>=3 and 'tree_cpu_seconds' in rows[0] and rows[-1]['elapsed_seconds']>=0.2"
M --interval 0.05 --format openmetrics --workdir "$TMP/o" --cmd sleep 0.1
check "--format openmetrics ends with # EOF" sh -c "tail -n1 '$TMP/o/timeseries.om' | grep -qx '# EOF'"

# --- a rerun in the same work directory replaces what the last run left -----------------
M --workdir "$TMP/r" --cmd sh -c 'echo first' >/dev/null
M --workdir "$TMP/r" --cmd true
expect_eq "rerun: the last run's stdout.log does not survive" "$(wc -c <"$TMP/r/stdout.log")" 0
M --workdir "$TMP/r" --cmd sh -c 'echo second; echo e2 >&2' >/dev/null 2>&1
expect_eq "rerun: an empty log left behind takes the new output" "$(cat "$TMP/r/stdout.log")" "second"
expect_eq "rerun: stderr.log too" "$(cat "$TMP/r/stderr.log")" "e2"
: >"$TMP/r/stdout.log"
ln "$TMP/r/stdout.log" "$TMP/r/other-name"
echo kept >"$TMP/elsewhere"
rm "$TMP/r/stderr.log"
ln -s "$TMP/elsewhere" "$TMP/r/stderr.log"
M --workdir "$TMP/r" --cmd sh -c 'echo third; echo e3 >&2' >/dev/null 2>&1
expect_eq "rerun: a log with another name is replaced, not written through" \
  "$(wc -c <"$TMP/r/other-name")/$(cat "$TMP/r/stdout.log")" "0/third"
check "rerun: a symlinked log is replaced by a file, its target untouched" \
  sh -c "[ ! -L '$TMP/r/stderr.log' ] && [ \"\$(cat '$TMP/r/stderr.log')\" = e3 ] && [ \"\$(cat '$TMP/elsewhere')\" = kept ]"
