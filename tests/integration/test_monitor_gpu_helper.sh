#!/usr/bin/env bash
# The GPU path's plumbing without a GPU: no machine here has one, so an `nvidia-smi` on
# PATH that answers exactly the two queries the monitor makes, in nvidia-smi's documented
# CSV format (--format=csv,noheader[,nounits]; -lms repeats every N ms until killed), stands
# in for the real tool. Checked: the device count query, per-device and total columns with
# MiB turned into bytes, the helper kept out of the workload's tree, and the helper gone
# when the monitor exits. test_monitor_gpu.sh checks the real tool where a GPU exists.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
mkdir bin
cat > bin/nvidia-smi <<'SH'
#!/bin/sh
case "$*" in
  "--query-gpu=index --format=csv,noheader")
    printf '0\n1\n' ;;
  "--query-gpu=index,utilization.gpu,memory.used,memory.total,power.draw --format=csv,noheader,nounits -lms "*)
    echo $$ > "$NVSMI_PIDFILE"
    ms=${6:-1000}
    while :; do
      printf '0, 37, 1024, 81559, 250.50\n1, 63, 2048, 81559, 300.25\n'
      sleep "$(awk "BEGIN{print $ms/1000}")"
    done ;;
  *) echo "unexpected arguments: $*" >&2; exit 2 ;;
esac
SH
chmod +x bin/nvidia-smi
export NVSMI_PIDFILE=$TMP/nvsmi.pid
# the tool is looked for only where the driver's device node is: none here, so a stand-in
mkdir dev && touch dev/nvidiactl
PATH=$TMP/bin:$PATH "$MONITOR" --quiet --interval 0.2 --workdir "$TMP/nodev" --cmd true
check "no /dev/nvidiactl: nvidia-smi is not started" test ! -e "$NVSMI_PIDFILE"
check "no /dev/nvidiactl: no per-GPU columns" sh -c "! head -n1 '$TMP/nodev/timeseries.csv' | grep -q gpu0_"
export MONITOR_DEVICE_DIR=$TMP/dev
PATH=$TMP/bin:$PATH "$MONITOR" --quiet --interval 0.2 --workdir "$TMP/g" --cmd sleep 1.5
expect_eq "workload exits 0" "$?" 0
check "gpu columns: two devices, MiB as bytes, watts, utilisation" python3 - "$TMP/g/timeseries.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
filled = [r for r in rows if r["gpu_memory_total_bytes"]]
assert filled, "no row has GPU figures"
last = filled[-1]
assert int(last["gpu_count"]) == 2, last["gpu_count"]
assert float(last["gpu0_memory_total_bytes"]) == 81559 * 1048576
assert float(last["gpu1_memory_used_bytes"]) == 2048 * 1048576
assert float(last["gpu_memory_used_bytes"]) == (1024 + 2048) * 1048576
assert abs(float(last["gpu1_power_watts"]) - 300.25) < 0.06  # printed to 0.1 W
assert abs(float(last["gpu0_utilization_percent"]) - 37) < 1e-6
# the helper is the monitor's, not the workload's: only `sleep` is in the tree
assert max(int(r["tree_processes"]) for r in rows if r["tree_processes"]) == 1
PY
check "the helper was started" test -s "$NVSMI_PIDFILE"
pid=$(cat "$NVSMI_PIDFILE" 2>/dev/null)
check "no nvidia-smi helper left running after the monitor exits" sh -c "! kill -0 ${pid:-0} 2>/dev/null"
check "summary.json written" test -s "$TMP/g/summary.json"
