#!/usr/bin/env bash
# Process duties: orphans and zombies are reaped (as a subreaper and as PID 1 of a new
# PID namespace), descendants left running when the main child exits get SIGTERM, then
# SIGKILL after --grace, and their CPU time is counted.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
summary() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; }

# Subreaper: a daemonised grandchild (double fork, setsid) left running is TERMed.
"$MONITOR" --quiet --interval 0.05 --grace 3 --workdir "$TMP/a" --cmd sh -c \
  "setsid sh -c 'sleep 300 & echo \$! > $TMP/a.pid' & sleep 0.2; exit 0"
expect_eq "exit status is the main child's" "$?" 0
p=$(cat "$TMP/a.pid")
check "the orphaned grandchild is gone" sh -c "! kill -0 $p 2>/dev/null"

# A descendant that ignores SIGTERM is SIGKILLed after the grace; its CPU is counted.
cat >"$TMP/burner.sh" <<'SH'
#!/bin/sh
# leaves a TERM-ignoring CPU burner behind and exits once it is set up
(trap '' TERM; sh -c 'echo $PPID' > "$1.tmp"; mv "$1.tmp" "$1"; while :; do :; done) &
while [ ! -s "$1" ]; do sleep 0.01; done
exit 5
SH
chmod +x "$TMP/burner.sh"
t0=$(date +%s.%N)
"$MONITOR" --quiet --interval 0.05 --grace 1 --workdir "$TMP/b" --cmd "$TMP/burner.sh" "$TMP/b.pid"
rc=$?
t1=$(date +%s.%N)
expect_eq "exit status is still the main child's" "$rc" 5
p=$(cat "$TMP/b.pid")
check "the TERM-ignoring descendant was killed" sh -c "! kill -0 $p 2>/dev/null"
check "after the grace (1..8 s)" python3 -c "import sys; d=$t1-$t0; sys.exit(0 if 0.9 <= d <= 8 else 1)"
cpu=$(summary "$TMP/b/summary.json" 's["cpu_seconds"]')
check "the descendant's CPU is counted (cpu_seconds $cpu > 0.2)" python3 -c "import sys; sys.exit(0 if $cpu > 0.2 else 1)"

# Zombies: children that exit while their parent never waits are reaped in the end.
"$MONITOR" --quiet --interval 0.05 --grace 1 --workdir "$TMP/c" --cmd sh -c \
  'for i in 1 2 3 4 5; do sh -c "exit 0" & done; exec sleep 0.5'
expect_eq "zombie-making workload exits 0" "$?" 0

# As PID 1 in a new PID namespace (root only): grandchildren are re-parented to the
# monitor and reaped; none is left behind.
if [ "$(id -u)" -eq 0 ] && unshare --fork --pid --mount-proc true 2>/dev/null; then
  unshare --fork --pid --mount-proc "$MONITOR" --quiet --interval 0.05 --grace 1 \
    --workdir "$TMP/d" --cmd sh -c '
      for i in 1 2 3; do (sleep 0.2; exit 0) & done   # orphans once sh exits
      (sh -c "sleep 0.1" &) ; sleep 0.05
      ps -o pid=,ppid=,stat=,comm= > '"$TMP"'/d.ps
      echo $$ > '"$TMP"'/d.pid; exit 4'
  expect_eq "PID 1: exit status passes through" "$?" 4
  expect_eq "PID 1: the workload ran as PID 2" "$(cat "$TMP/d.pid")" 2
  check "PID 1: summary written" test -s "$TMP/d/summary.json"
  check "PID 1: the tree saw processes" python3 -c "
import csv; rows=list(csv.DictReader(open('$TMP/d/timeseries.csv')))
assert max(int(r['tree_processes']) for r in rows) >= 2"
  # a zombie-leaving workload inside the namespace: the monitor (PID 1) reaps them while
  # the workload is still running
  unshare --fork --pid --mount-proc "$MONITOR" --quiet --interval 0.05 --workdir "$TMP/e" \
    --cmd sh -c '(sleep 0.1 & exec sleep 0.05) ; sleep 0.5; ps -o stat= -A > '"$TMP"'/e.ps'
  expect_eq "PID 1: zombie test exits 0" "$?" 0
  check "PID 1: no zombie left while the workload ran" sh -c "! grep -q '^Z' '$TMP/e.ps'"
  # SIGTERM reaches a PID-1 monitor (signals from outside the namespace are delivered
  # because the monitor blocks and reads them) and is passed on to the workload.
  cat >"$TMP/trap1.sh" <<'SH'
#!/bin/sh
trap 'echo TERM > "$1"; exit 6' TERM
touch "$1.ready"
while :; do sleep 0.05; done
SH
  chmod +x "$TMP/trap1.sh"
  unshare --fork --pid --mount-proc "$MONITOR" --quiet --interval 0.05 --grace 5 \
    --workdir "$TMP/f" --cmd "$TMP/trap1.sh" "$TMP/f.log" &
  u=$!
  on_exit "kill -9 $u"
  for i in $(seq 1 200); do [ -e "$TMP/f.log.ready" ] && break; sleep 0.05; done
  mon=$(pgrep -P "$u" | head -n1)
  check "PID 1: found the monitor under unshare" test -n "$mon"
  kill -TERM "$mon"
  wait "$u"
  expect_eq "PID 1: SIGTERM forwarded, the workload's status comes back" "$?" 6
  expect_eq "PID 1: the workload's trap ran" "$(cat "$TMP/f.log" 2>/dev/null)" TERM
  check "PID 1: summary after SIGTERM" python3 -c "
import json; s=json.load(open('$TMP/f/summary.json')); assert s['monitor_signal']==15 and s['exit_code']==6"
else
  echo "note: not root or no unshare: PID 1 cases left out"
fi
