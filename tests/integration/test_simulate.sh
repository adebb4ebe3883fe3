#!/usr/bin/env bash
# `orchestrate simulate` on the published tables in ../shared/data/cloud-configs (read in
# place): CherryPick (NSDI 2017) cluster configurations and Lynceus (ICDCS 2020) joint
# VM x training-parameter tables, as republished in marialcasimiro/Lynceus-ICDCS. Checks
# the printed table and the per-replay CSV, that bayes needs fewer evaluations than random
# order's expectation where the landscape allows it, and the errors users will meet.
source "$(dirname "$0")/lib.sh"

[ -x "$ORCHESTRATE" ] || skip "orchestrate not built ($ORCHESTRATE)"
DATA=$(cd "$ROOT/../shared/data/cloud-configs" 2>/dev/null && pwd)
[ -n "$DATA" ] && [ -f "$DATA/cherrypick/CP_tpch.csv" ] ||
  skip "the published tables are not at ../shared/data/cloud-configs"
cd "$TMP" || exit 1
COST='time/3600*num_machines*vm_cost'

# --- CherryPick: five workloads, bayes and random, 20 seeds ------------------------------------
"$ORCHESTRATE" simulate "$DATA"/cherrypick/CP_*.csv --param vm_name num_machines \
  --nodes num_machines --objective "$COST" --cost --method bayes,random --seeds 20 \
  --csv cp.csv >cp.out 2>cp.err
expect_eq "simulate exits 0" "$?" 0
expect_eq "one block per workload" "$(grep -c '^workload ' cp.out)" 5
check "kmeans: 47 configurations, random order expects 24.0" \
  grep -q -E 'random order, expected +- +24\.0 ' cp.out
check "best kmeans cost is the table's (0.830206)" grep -q 'best 0.830206;' cp.out
expect_eq "CSV: 5 workloads x 2 methods x 20 seeds" "$(($(wc -l <cp.csv) - 1))" 200
expect_eq "CSV header" "$(head -1 cp.csv | cut -d, -f1-7)" \
  "workload,method,q,seed,configurations,evals_best,rounds_best"
# Medians of evaluations to the best row per workload and method, and the expectation.
python3 - cp.csv >medians.out <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for w in sorted({r["workload"] for r in rows}):
    for m in ("bayes", "random"):
        v = [int(r["evals_best"]) for r in rows if r["workload"] == w and r["method"] == m]
        e = [float(r["random_expected_best"]) for r in rows if r["workload"] == w][0]
        assert all(x > 0 for x in v), "every replay reaches the best row"
        print(w, m, statistics.median(v), e)
PY
expect_eq "every replay reached the best row" "$?" 0
med() { awk -v w="$1" -v m="$2" '$1 == w && $2 == m {print $3}' medians.out; }
expct() { awk -v w="$1" '$1 == w {print $4; exit}' medians.out; }
# On TPC-DS, TPC-H and terasort the model finds the cheapest cluster in under half the
# evaluations random order needs (measured: about a third).
for w in CP_tpcds CP_tpch CP_terasort; do
  check "$w: bayes median $(med $w bayes) < half of random's expected $(expct $w)" \
    awk -v a="$(med $w bayes)" -v b="$(expct $w)" 'BEGIN { exit !(a < b / 2) }'
done
# Random search is random order: its median stays within a factor of two of (N+1)/(m+1).
check "random median near (N+1)/(m+1) on tpch" \
  awk -v a="$(med CP_tpch random)" -v b="$(expct CP_tpch)" 'BEGIN { exit !(a > b / 2 && a < b * 2) }'
# Same seeds, same results.
"$ORCHESTRATE" simulate "$DATA/cherrypick/CP_tpch.csv" --param vm_name,num_machines \
  --objective "$COST" --seeds 3 --csv again1.csv >/dev/null 2>&1
"$ORCHESTRATE" simulate "$DATA/cherrypick/CP_tpch.csv" --param vm_name,num_machines \
  --objective "$COST" --seeds 3 --csv again2.csv >/dev/null 2>&1
check "replays are deterministic for their seeds" cmp -s again1.csv again2.csv

# --- the per-evaluation trace ----------------------------------------------------------------
"$ORCHESTRATE" simulate "$DATA/cherrypick/CP_tpch.csv" --param vm_name,num_machines \
  --nodes num_machines --objective "$COST" --cost --parallel 1,4 --seeds 3 --csv tr.csv \
  --trace trace.csv >tr.out 2>tr.err
expect_eq "simulate with --trace exits 0" "$?" 0
expect_eq "trace header" "$(head -1 trace.csv)" \
  "workload,method,q,seed,evaluation,round,vm_name,num_machines,objective,best_so_far"
bad=$(python3 - trace.csv tr.csv <<'PY'
import csv, sys
trace = list(csv.DictReader(open(sys.argv[1])))
for r in csv.DictReader(open(sys.argv[2])):
    key = (r["workload"], r["method"], r["q"], r["seed"])
    ev = [t for t in trace if (t["workload"], t["method"], t["q"], t["seed"]) == key]
    n = int(r["evals_best"])
    # One line per evaluation up to the round that reached the best row, numbered 1..n,
    # rounds of q, no configuration twice, and the best so far ends at the table's best.
    if [int(t["evaluation"]) for t in ev] != list(range(1, n + 1)):
        print(key, "evaluations", [t["evaluation"] for t in ev])
    if ev and int(ev[-1]["round"]) != int(r["rounds_best"]):
        print(key, "last round", ev[-1]["round"], r["rounds_best"])
    if len({(t["vm_name"], t["num_machines"]) for t in ev}) != len(ev):
        print(key, "a configuration twice")
    if ev and abs(float(ev[-1]["best_so_far"]) - 0.249916) > 1e-5:
        print(key, "best so far", ev[-1]["best_so_far"])
PY
)
expect_eq "trace: each replay's evaluations in order, ending at the best row" "$bad" ""
"$ORCHESTRATE" simulate "$DATA/cherrypick/CP_tpch.csv" --param vm_name,num_machines \
  --objective "$COST" --seeds 1 --trace "$TMP/no/such/dir/trace.csv" >tr2.out 2>tr2.err
check "--trace into a missing folder: non-zero exit" test "$?" -ne 0
check "--trace into a missing folder names the file" grep -q 'no/such/dir/trace.csv' tr2.err

# --- q = 4 and the stop rule ------------------------------------------------------------------
"$ORCHESTRATE" simulate "$DATA/cherrypick/CP_tpcds.csv" --param vm_name num_machines \
  --objective "$COST" --parallel 1,4 --seeds 10 --ei-stop 0.1 >q.out 2>q.err
expect_eq "simulate --parallel 1,4 exits 0" "$?" 0
check "q=4 row printed" grep -q 'bayes q=4 ' q.out
check "stop rule line printed" grep -q 'stop rule fired in' q.out

# --- Lynceus: VM x learning rate x batch size x synchronism, cost to reach 85% accuracy --------
PRICE='((vm_flavor=="t2.small")*0.023+(vm_flavor=="t2.medium")*0.0464+(vm_flavor=="t2.xlarge")*0.1856+(vm_flavor=="t2.2xlarge")*0.3712)'
"$ORCHESTRATE" simulate "$DATA/lynceus/t2_rnn.csv" \
  --param vm_flavor n_workers learning_rate batch_size synchronism \
  --nodes n_workers --price "(n_workers+n_ps)*$PRICE" \
  --objective "acc >= 0.85 ? training_time/3600*(n_workers+n_ps)*$PRICE : nan" \
  --method bayes --seeds 5 --csv ly.csv >ly.out 2>ly.err
expect_eq "lynceus simulate (the cost's price given by --price) exits 0" "$?" 0
check "384 configurations" grep -q '384 configurations, 5 parameters' ly.out
check "lynceus rnn: bayes median to best under a quarter of random's 192.5" python3 - ly.csv <<'PY'
import csv, statistics, sys
v = [int(r["evals_best"]) for r in csv.DictReader(open(sys.argv[1]))]
sys.exit(0 if 0 < statistics.median(v) < 192.5 / 4 else 1)
PY

# --- errors -----------------------------------------------------------------------------------
"$ORCHESTRATE" simulate "$DATA/cherrypick/CP_tpch.csv" --param nosuch --objective time \
  >err1.out 2>err1.err
check "unknown column: non-zero exit" test "$?" -ne 0
check "unknown column is named" grep -q 'nosuch' err1.err
"$ORCHESTRATE" simulate "$DATA/cherrypick/CP_tpch.csv" --param vm_name --objective 'time +' \
  >err2.out 2>err2.err
check "bad expression: non-zero exit" test "$?" -ne 0
check "bad expression says where" grep -q 'objective: .*column' err2.err
"$ORCHESTRATE" simulate "$DATA/cherrypick/CP_tpch.csv" --objective time >err3.out 2>err3.err
check "missing --param: usage" grep -q 'usage: orchestrate simulate' err3.err
"$ORCHESTRATE" simulate "$TMP/missing.csv" --param a --objective b >err4.out 2>err4.err
check "missing table: non-zero exit" test "$?" -ne 0
"$ORCHESTRATE" simulate "$DATA/cherrypick/CP_tpch.csv" --param vm_name --nodes num_machines \
  --objective time >err5.out 2>err5.err
check "--nodes outside --param: non-zero exit" test "$?" -ne 0
check "--nodes outside --param is named" grep -q -- '--nodes num_machines is not one of' err5.err
"$ORCHESTRATE" simulate "$DATA/cherrypick/CP_tpch.csv" --param vm_name num_machines \
  --nodes vm_name --objective time >err6.out 2>err6.err
check "--nodes on a text column: non-zero exit" test "$?" -ne 0
check "--nodes on a text column says why" grep -q 'node count vm_name must be an integer' err6.err
# --cost needs the types' prices: Lynceus' tables have none (its objective prices them).
"$ORCHESTRATE" simulate "$DATA/lynceus/t2_rnn.csv" --param vm_flavor n_workers \
  --objective training_time --cost >err7.out 2>err7.err
check "--cost without prices: non-zero exit" test "$?" -ne 0
check "--cost without prices names the table and the columns" \
  grep -q 't2_rnn: --cost needs the price of every instance type (a vm_cost' err7.err
"$ORCHESTRATE" simulate "$DATA/lynceus/t2_rnn.csv" --param n_workers --nodes n_workers \
  --objective training_time --cost --seeds 2 >ok7.out 2>ok7.err
expect_eq "--cost with a node count alone (the price is proportional to it) runs" "$?" 0
# --price must be positive on every row, and says which is not.
"$ORCHESTRATE" simulate "$DATA/lynceus/t2_rnn.csv" --param vm_flavor n_workers \
  --objective training_time --price 'n_workers - 1' >err8.out 2>err8.err
check "--price not positive: non-zero exit" test "$?" -ne 0
check "--price not positive names the row" \
  grep -q -E 't2_rnn: --price is not a positive number on row [0-9]+ \(line [0-9]+\)' err8.err
