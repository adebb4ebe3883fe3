#!/usr/bin/env bash
# The neuron-monitor path end to end, without Neuron hardware: a stand-in neuron-monitor on
# PATH replays a report recorded in the documented output format (one JSON per line, the
# way the real tool streams them), after a line that is not JSON. The monitor must hand it
# a config naming the metric groups, fill the neuron* columns from the latest report, keep
# the helper out of the workload's tree, and stop it at the end. Without the tool the
# columns stay empty.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
mkdir -p bin
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps(d, separators=(",", ":")))' "$ROOT/tests/unit/monitor/fixtures/neuron_monitor_report.json" >report.line
cat >bin/neuron-monitor <<SH
#!/bin/sh
[ "\$1" = -c ] && cat "\$2" >"$TMP/config.json"
echo \$\$ >"$TMP/helper.pid"
echo "neuron-monitor: starting"
while :; do cat "$TMP/report.line"; sleep 0.2; done
SH
chmod +x bin/neuron-monitor

# the tool is looked for only where the driver's device node is: none here, so a stand-in
PATH="$TMP/bin:$PATH" "$MONITOR" --quiet --interval 0.2 --workdir "$TMP/nodev" --cmd true
check "no /dev/neuron0: neuron-monitor is not started" test ! -e "$TMP/helper.pid"
mkdir dev && touch dev/neuron0
export MONITOR_DEVICE_DIR=$TMP/dev
PATH="$TMP/bin:$PATH" "$MONITOR" --quiet --interval 0.5 --workdir "$TMP/n" --cmd sleep 2
expect_eq "workload exits 0 with neuron-monitor present" "$?" 0
check "the helper got a config with a whole-second period and both runtime groups" python3 - "$TMP/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
types = sorted(m["type"] for r in c["neuron_runtimes"] for m in r["metrics"])
assert c["period"] == "1s", c
assert types == ["memory_used", "neuroncore_counters"], types
PY
check "neuron columns carry the latest report" python3 - "$TMP/n/timeseries.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
last = rows[-1]
assert float(last["neuron_device_count"]) == 1, last["neuron_device_count"]
assert float(last["neuroncore_in_use_count"]) == 3
assert abs(float(last["neuroncore_utilization_percent"]) - 40.3) < 0.06
assert float(last["neuron_device_memory_used_bytes"]) == 4e9
assert float(last["neuron_host_memory_used_bytes"]) == 1.5e9
# the helper is the monitor's child but not the workload's: one process (sleep) in the tree
assert all(r["tree_processes"] in ("1", "0") for r in rows[1:]), [r["tree_processes"] for r in rows]
PY
pid=$(cat "$TMP/helper.pid" 2>/dev/null)
check "the helper was stopped and reaped" sh -c "[ -n '$pid' ] && ! kill -0 '$pid' 2>/dev/null"

# no tool on PATH: nothing started, columns empty
"$MONITOR" --quiet --interval 0.2 --workdir "$TMP/none" --cmd sleep 0.5
expect_eq "workload exits 0 without neuron-monitor" "$?" 0
check "neuron columns empty without the tool" python3 - "$TMP/none/timeseries.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cols = [c for c in rows[0] if c.startswith("neuron")]
assert len(cols) == 5, cols
assert all(r[c] == "" for r in rows for c in cols)
PY
