#!/usr/bin/env bash
# Builds an orchestrate-style output directory from REAL monitor_system runs of a tiny
# workload, for the report tests when `orchestrate run` is not the thing under test:
#   report_fixture.sh MONITOR OUTDIR
# Two "instance profiles" (local-small at $0.05/h, local-big at $0.10/h; local-free without
# a price) x two points (n=300000, n=600000) x two replicates, plus one point that fails
# (exit 3, with a message on stderr). results.csv follows the contract's column order.
set -eu
monitor=$(readlink -f "$1") out=$(mkdir -p "$2" && cd "$2" && pwd)
mkdir -p "$out/runs"
workload='i=0; while [ $i -lt $1 ]; do i=$((i+1)); done; echo "$1 iterations" ; echo "scale=6; $1/1000000" | bc >benchmark_custom.txt 2>/dev/null || echo 0.1 >benchmark_custom.txt; [ "$2" = ok ] || { echo "error: mode $2 is not supported" >&2; exit 3; }'
cat >"$out/config.yaml" <<YAML
experiment: report-fixture
backend: local
replicates: 2
instance_types: [local-small, local-big, local-free]
command: [sh, -c, "$workload", sh, ARGS]
parameters:
  n: {type: int, values: [300000, 600000]}
  mode: {type: categorical, values: [ok]}
local:
  profiles:
    local-small: {cpus: 1, price_per_hour: 0.05}
    local-big: {cpus: 2, price_per_hour: 0.10}
    local-free: {cpus: 1}
YAML
run() { # type n mode rep
  local type=$1 n=$2 mode=$3 rep=$4 tag="mode=$3,n=$2"
  local dir="$out/runs/$type/$tag/$rep"
  mkdir -p "$dir" "$dir.work"
  (cd "$dir.work" && "$monitor" --quiet --result-url "$dir" --workdir "$dir.work" --interval 0.02 \
      --instance-type "$type" --cmd sh -c "$workload" sh "$n" "$mode" >/dev/null 2>&1) || true
  rm -rf "$dir.work"
  echo "$type,$tag,$rep,$n,$mode"
}
{
  for type in local-small local-big local-free; do
    for n in 300000 600000; do
      for rep in 0 1; do run "$type" "$n" ok "$rep"; done
    done
  done
  run local-small 300000 fail 0
} >"$out/.jobs"
python3 - "$out" <<'PY'
import csv, json, os, sys
out = sys.argv[1]
prices = {"local-small": 0.05, "local-big": 0.10}
cols = ("experiment,instance_type,point_tag,replicate,round,state,exit_code,runtime_seconds,"
        "cpu_seconds,peak_memory_bytes,custom_metric,nodes,price_per_hour,price_source,cost_usd,"
        "queue_seconds,backend_id,result_dir,param_mode,param_n").split(",")
with open(os.path.join(out, "results.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(cols)
    for line in open(os.path.join(out, ".jobs")):
        parts = line.strip().split(",")
        typ, tag, rep, n, mode = parts[0], parts[1] + "," + parts[2], parts[3], parts[4], parts[5]
        rdir = os.path.join("runs", typ, tag, rep)
        s = json.load(open(os.path.join(out, rdir, "summary.json")))
        price = prices.get(typ)
        rt = s["wall_seconds"]
        w.writerow(["report-fixture", typ, tag, rep, 0,
                    "succeeded" if s["status"] == "succeeded" else "failed", s["exit_code"],
                    "%.6f" % rt, "%.6f" % s["cpu_seconds"], s["peak_memory_bytes"],
                    "" if s["custom_metric"] is None else s["custom_metric"], 1,
                    "" if price is None else price, "config" if price else "",
                    "" if price is None else "%.10g" % (rt / 3600 * price), "", "",
                    rdir, mode, n])
os.remove(os.path.join(out, ".jobs"))
PY
