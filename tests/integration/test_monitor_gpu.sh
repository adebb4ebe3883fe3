#!/usr/bin/env bash
# GPU columns from nvidia-smi, where a GPU is present: the helper starts, its figures
# land in the gpu_* columns, it is not counted as part of the workload, and it is gone
# when the monitor exits. Skipped on machines without nvidia-smi and a GPU.
. "$(dirname "$0")/lib.sh"
command -v nvidia-smi >/dev/null || skip "no nvidia-smi on this machine"
n=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | wc -l)
[ "$n" -ge 1 ] || skip "nvidia-smi finds no GPU"
cd "$TMP"
"$MONITOR" --quiet --interval 0.2 --workdir "$TMP/g" --cmd sleep 1.5
expect_eq "workload exits 0" "$?" 0
check "gpu columns filled for $n GPU(s)" python3 - "$TMP/g/timeseries.csv" "$n" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
n = int(sys.argv[2])
assert all(f"gpu{i}_memory_total_bytes" in rows[0] for i in range(n))
filled = [r for r in rows if r["gpu_memory_total_bytes"]]
assert filled, "no row has GPU figures"
assert int(filled[-1]["gpu_count"]) == n
assert float(filled[-1]["gpu_memory_total_bytes"]) > 1 << 30
# the helper is the monitor's, not the workload's: only `sleep` is in the tree
assert max(int(r["tree_processes"]) for r in rows) == 1
PY
check "no nvidia-smi helper left running" sh -c "! pgrep -f 'nvidia-smi --query-gpu=index,utilization' >/dev/null"
