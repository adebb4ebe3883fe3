#!/usr/bin/env bash
# Signals: TERM INT HUP QUIT USR1 USR2 reach the workload (its whole process group with
# -g); on SIGTERM the workload gets --grace seconds, then SIGKILL, and the run still ends
# with a summary and a complete CSV.
. "$(dirname "$0")/lib.sh"
cd "$TMP"

wait_file() {  # FILE [SECONDS]: polls until FILE exists
  local i
  for i in $(seq 1 $((${2:-20} * 20))); do [ -e "$1" ] && return 0; sleep 0.05; done
  return 1
}
wait_line() {  # FILE PATTERN
  local i
  for i in $(seq 1 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}
pids=()
on_exit 'for p in "${pids[@]}"; do kill -9 "$p"; done'

# A workload that records every signal it gets and exits 3 on TERM.
cat >"$TMP/trapper.sh" <<'SH'
#!/bin/sh
log=$1
for s in INT HUP QUIT USR1 USR2; do trap "echo $s >>$log" $s; done
trap 'echo TERM >>$log; exit 3' TERM
touch "$log.ready"
while :; do sleep 0.05; done
SH
chmod +x "$TMP/trapper.sh"

"$MONITOR" --quiet --interval 0.05 --workdir "$TMP/a" --cmd "$TMP/trapper.sh" "$TMP/a.log" &
m=$!; pids+=($m)
check "workload started" wait_file "$TMP/a.log.ready"
for s in USR1 USR2 HUP INT QUIT; do
  kill -$s $m
  check "SIG$s forwarded" wait_line "$TMP/a.log" "^$s\$"
done
kill -TERM $m
wait $m
expect_eq "exit status is the workload's after SIGTERM" "$?" 3
check "SIGTERM forwarded" grep -qx TERM "$TMP/a.log"
check "summary written" test -s "$TMP/a/summary.json"
expect_eq "summary records the monitor's signal and the outcome" \
  "$(python3 -c 'import json; s=json.load(open("'"$TMP/a/summary.json"'")); print(s["monitor_signal"], s["status"], s["exit_code"])')" \
  "15 failed 3"

# A workload that ignores SIGTERM is killed after the grace; the CSV is complete.
cat >"$TMP/stubborn.sh" <<'SH'
#!/bin/sh
trap '' TERM
touch "$1"
while :; do sleep 0.05; done
SH
chmod +x "$TMP/stubborn.sh"
"$MONITOR" --quiet --interval 0.05 --grace 0.5 --workdir "$TMP/b" --cmd "$TMP/stubborn.sh" "$TMP/b.ready" &
m=$!; pids+=($m)
check "stubborn workload started" wait_file "$TMP/b.ready"
sleep 0.3
t0=$(date +%s.%N)
kill -TERM $m
wait $m
rc=$?
t1=$(date +%s.%N)
expect_eq "SIGKILL after the grace gives 137" "$rc" 137
check "the grace was honoured (0.4..5 s)" python3 -c "import sys; d=$t1-$t0; sys.exit(0 if 0.4 <= d <= 5 else 1)"
check "CSV complete: every row has every column, the last at the end" python3 - "$TMP/b/timeseries.csv" "$TMP/b/summary.json" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1])))
s = json.load(open(sys.argv[2]))
assert len(rows) >= 6, len(rows)
assert all(len(r) == len(rows[0]) for r in rows)
last = float(rows[-1][rows[0].index("elapsed_seconds")])
assert abs(last - s["wall_seconds"]) < 0.5, (last, s["wall_seconds"])
assert s["status"] == "signalled" and s["signal"] == 9 and s["monitor_signal"] == 15
assert s["samples"] == len(rows) - 1
PY

# -g: the whole process group gets the signal, not only the main child.
cat >"$TMP/group.sh" <<'SH'
#!/bin/sh
log=$1
sh -c "trap 'echo child-USR1 >>$log' USR1; touch $log.ready; while :; do sleep 0.05; done" &
trap "echo main-USR1 >>$log" USR1
trap 'kill $!; exit 0' TERM
while :; do sleep 0.05; done
SH
chmod +x "$TMP/group.sh"
"$MONITOR" --quiet -g --interval 0.05 --workdir "$TMP/c" --cmd "$TMP/group.sh" "$TMP/c.log" &
m=$!; pids+=($m)
check "group workload started" wait_file "$TMP/c.log.ready"
kill -USR1 $m
check "-g: main child got SIGUSR1" wait_line "$TMP/c.log" main-USR1
check "-g: its child got SIGUSR1 too" wait_line "$TMP/c.log" child-USR1
kill -TERM $m
wait $m
expect_eq "-g run ends with the workload's status" "$?" 0

# Without -g only the main child is signalled.
"$MONITOR" --quiet --interval 0.05 --workdir "$TMP/d" --cmd "$TMP/group.sh" "$TMP/d.log" &
m=$!; pids+=($m)
check "plain workload started" wait_file "$TMP/d.log.ready"
kill -USR1 $m
check "without -g: main child got SIGUSR1" wait_line "$TMP/d.log" main-USR1
sleep 0.3
check "without -g: its child did not" sh -c "! grep -q child-USR1 '$TMP/d.log'"
kill -TERM $m
wait $m
expect_eq "plain run ends with the workload's status" "$?" 0

# Job control as dumb-init does it: SIGTSTP is passed on and the monitor stops too;
# SIGCONT wakes both.
state() { ps -o stat= -p "$1" 2>/dev/null | cut -c1; }
wait_state() {  # PID STATE
  local i
  for i in $(seq 1 100); do [ "$(state "$1")" = "$2" ] && return 0; sleep 0.05; done
  return 1
}
# Linux discards SIGTSTP sent to a process whose process group is orphaned, and this
# script's group may be (CI starts it detached). A job-control shell, which is where
# SIGTSTP comes from, gives each job its own group under a parent in the same session:
# so does `set -m` here.
set -m
"$MONITOR" --quiet --interval 0.05 --workdir "$TMP/e" --cmd sh -c "echo \$\$ > '$TMP/e.pid'; exec sleep 30" &
m=$!; pids+=($m)
set +m
check "job-control workload started" wait_file "$TMP/e.pid"
sleep 0.1
w=$(cat "$TMP/e.pid")
pids+=($w)
kill -TSTP $m
check "SIGTSTP: the workload stops" wait_state "$w" T
check "SIGTSTP: the monitor stops too" wait_state "$m" T
kill -CONT $m
check "SIGCONT: the monitor runs again" wait_state "$m" S
check "SIGCONT: the workload runs again" wait_state "$w" S
kill -TERM $m
wait $m
expect_eq "the stopped-and-continued run ends normally" "$?" 143

# -g on a terminal: the workload's group gets the foreground, so it can read the
# terminal instead of stopping on SIGTTIN (script(1) provides the terminal).
if command -v script >/dev/null; then
  out=$( (sleep 0.5; printf 'typed\n') | timeout 20 script -qec \
    "'$MONITOR' --quiet -g --workdir '$TMP/tty' --cmd sh -c 'read x; echo got:\$x'" /dev/null | tr -d '\r')
  check "-g on a terminal: the workload reads it" grep -qx "got:typed" <<<"$out"
fi
