#!/usr/bin/env bash
# The search end to end through `orchestrate run` on the local backend, on workloads whose
# result is a known function of their ARGS:
#  - runtime: the workload sleeps 0.2 + 0.02 (x - 19)^2 seconds (x in 10..30) and the search
#    minimises runtime: bayes must land within 2 of x = 19 in 11 evaluations of 21 points;
#  - a grid over an integer list x a categorical is the full factorial: 3 x 2 points, each
#    once, then the search stops by itself;
#  - categorical + integer with the custom metric (x - 3)^2 + [mode != "b"]: bayes finds
#    (3, b) among 16 points;
#  - cost over priced local profiles searched as instance types: the model learns the
#    runtime (said in the log), rounds of types are numbered 1, 2 (a point searched over
#    types is planned again in later rounds), and each cost is runtime x the price (x the
#    node count, when that is searched too).
source "$(dirname "$0")/lib.sh"

[ -x "$ORCHESTRATE" ] || skip "orchestrate not built ($ORCHESTRATE)"
[ -x "$MONITOR" ] || skip "monitor_system not built ($MONITOR)"
cd "$TMP" || exit 1
csv_col() {
  python3 -c 'import csv,sys; [print(r[sys.argv[2]]) for r in csv.DictReader(open(sys.argv[1]))]' "$1" "$2"
}
cat > sleepy.sh <<'EOF2'
#!/bin/sh
# runtime = 0.2 + 0.02 (x - 19)^2 seconds
t=$(awk -v x="$1" 'BEGIN { printf "%.3f", 0.2 + 0.02 * (x - 19) * (x - 19) }')
sleep "$t"
EOF2
cat > metric.sh <<'EOF2'
#!/bin/sh
# custom metric = (x - 3)^2 + (1 unless mode is b)
awk -v x="$1" -v m="$2" 'BEGIN { print (x - 3) * (x - 3) + (m == "b" ? 0 : 1) }' > benchmark_custom.txt
EOF2

# --- runtime as a known function --------------------------------------------------------------
cat > runtime.yaml <<'EOF2'
experiment: runtime-search
command: [/bin/sh, ./sleepy.sh, ARGS]
parameters:
  x: {type: int, min: 10, max: 30}
search:
  method: bayes
  iterations: 5
  parallel_samples: 2
  initial_points: 3
  metric: runtime
local:
  concurrency: 2
EOF2
"$ORCHESTRATE" run runtime.yaml --monitor "$MONITOR" --output rt --seed 3 >rt.out 2>rt.err
expect_eq "runtime search exits 0" "$?" 0
n=$(($(wc -l < rt/results.csv) - 1))
check "runtime search: 11 evaluations or fewer ($n)" test "$n" -le 11 -a "$n" -ge 5
expect_eq "runtime search: no point twice" "$(csv_col rt/results.csv param_x | sort | uniq -d | wc -l)" 0
best_x=$(python3 - rt/results.csv <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["runtime_seconds"]]
print(min(rows, key=lambda r: float(r["runtime_seconds"]))["param_x"])
PY
)
check "runtime search: the fastest point found is x=$best_x, within 2 of 19" \
  test "$best_x" -ge 17 -a "$best_x" -le 21

# --- a grid is a full factorial -----------------------------------------------------------
cat > grid.yaml <<'EOF2'
experiment: grid
command: [/bin/sh, ./metric.sh, ARGS]
parameters:
  x: {type: int, values: [1, 3, 5]}
  mode: {type: categorical, values: [a, b]}
search:
  method: grid
  iterations: 10
  parallel_samples: 4
  metric: custom_metric
local:
  concurrency: 2
EOF2
"$ORCHESTRATE" run grid.yaml --monitor "$MONITOR" --output grid >grid.out 2>grid.err
expect_eq "grid exits 0" "$?" 0
expect_eq "grid: every combination exactly once" \
  "$(paste -d: <(csv_col grid/results.csv param_x) <(csv_col grid/results.csv param_mode) | sort | xargs)" \
  "1:a 1:b 3:a 3:b 5:a 5:b"
expect_eq "grid: two rounds of at most 4" "$(csv_col grid/results.csv round | sort | uniq -c | xargs)" "4 1 2 2"

# --- categorical and integer, custom metric -----------------------------------------------------
cat > mixed.yaml <<'EOF2'
experiment: mixed
command: [/bin/sh, ./metric.sh, ARGS]
parameters:
  x: {type: int, min: 0, max: 7}
  mode: {type: categorical, values: [a, b]}
search:
  method: bayes
  iterations: 5
  parallel_samples: 2
  initial_points: 3
  metric: custom_metric
local:
  concurrency: 2
EOF2
"$ORCHESTRATE" run mixed.yaml --monitor "$MONITOR" --output mixed --seed 5 >mixed.out 2>mixed.err
expect_eq "mixed search exits 0" "$?" 0
expect_eq "mixed: no point twice" \
  "$(paste -d: <(csv_col mixed/results.csv param_x) <(csv_col mixed/results.csv param_mode) | sort | uniq -d | wc -l)" 0
check "mixed: the optimum x=3, mode=b was found" \
  grep -q -E '^0(\.0+)?$' <(csv_col mixed/results.csv custom_metric)

# --- cost over local "instance types" with prices -------------------------------------------------
# Each profile runs typed.sh for its own time; cost = time x price: cheapest is "t3" (0.6 s
# at $0.5/h). The search models the runtime and multiplies the known price back in.
cat > typed.sh <<'EOF2'
#!/bin/sh
case "$MONITOR_INSTANCE_TYPE" in
  t1) sleep 0.8 ;; t2) sleep 0.4 ;; t3) sleep 0.6 ;; t4) sleep 0.3 ;; *) sleep 1.0 ;;
esac
EOF2
cat > cost.yaml <<'EOF2'
experiment: cost
command: [/bin/sh, ./typed.sh]
instance_types: [t1, t2, t3, t4, t5]
search:
  method: bayes
  iterations: 2
  parallel_samples: 2
  initial_points: 2
  metric: cost
  tune_instance_type: true
local:
  concurrency: 2
  profiles:
    t1: {cpus: 1, memory: 256MiB, price_per_hour: 1.0}
    t2: {cpus: 2, memory: 512MiB, price_per_hour: 3.0}
    t3: {cpus: 1, memory: 512MiB, price_per_hour: 0.5}
    t4: {cpus: 4, memory: 1GiB, price_per_hour: 4.0}
    t5: {cpus: 2, memory: 256MiB, price_per_hour: 0.8}
EOF2
"$ORCHESTRATE" run cost.yaml --monitor "$MONITOR" --output cost --seed 2 >cost.out 2>cost.err
expect_eq "cost search exits 0" "$?" 0
check "cost search: the model learns the runtime, the prices are known" \
  grep -q 'search: the model learns the runtime; cost = runtime x the known' cost.err
expect_eq "cost search: 2 rounds of 2 types, none twice" \
  "$(csv_col cost/results.csv instance_type | sort | uniq | wc -l)" 4
expect_eq "cost search: its rounds are numbered 1 and 2" \
  "$(csv_col cost/results.csv round | sort | uniq -c | xargs)" "2 1 2 2"
bad=$(python3 - cost/results.csv <<'PY'
import csv, sys
price = {"t1": 1.0, "t2": 3.0, "t3": 0.5, "t4": 4.0, "t5": 0.8}
for r in csv.DictReader(open(sys.argv[1])):
    want = float(r["runtime_seconds"]) / 3600 * price[r["instance_type"]]
    if abs(float(r["cost_usd"]) - want) > 1e-9 + 1e-6 * want:
        print(r["instance_type"], r["cost_usd"], want)
PY
)
expect_eq "cost search: every cost is runtime x the profile's price" "$bad" ""
# A type without a price: the cost is unknown there, so the model learns the cost itself.
sed -e 's/ t5: {cpus: 2, memory: 256MiB, price_per_hour: 0.8}/ t5: {cpus: 2, memory: 256MiB}/' \
  -e 's/iterations: 2/iterations: 1/' cost.yaml > cost2.yaml
"$ORCHESTRATE" run cost2.yaml --monitor "$MONITOR" --output cost2 --seed 2 >cost2.out 2>cost2.err
expect_eq "cost search with an unpriced type exits 0" "$?" 0
check "cost search with an unpriced type says the model learns the cost" \
  grep -q 'search: some instance type has no price: the model learns the cost itself' cost2.err
# The node count searched with the type: the price of a point is the type's $/h x nodes.
sed -e 's/^search:/nodes: {min: 1, max: 4}\nsearch:/' -e 's/  tune_instance_type: true/  tune_instance_type: true\n  tune_nodes: true/' \
  cost.yaml > cost3.yaml
"$ORCHESTRATE" run cost3.yaml --monitor "$MONITOR" --output cost3 --seed 4 >cost3.out 2>cost3.err
expect_eq "cost search over types and nodes exits 0" "$?" 0
check "cost search over types and nodes: the model learns the runtime" \
  grep -q 'search: the model learns the runtime' cost3.err
bad=$(python3 - cost3/results.csv <<'PY'
import csv, sys
price = {"t1": 1.0, "t2": 3.0, "t3": 0.5, "t4": 4.0, "t5": 0.8}
rows = list(csv.DictReader(open(sys.argv[1])))
if len(rows) != 4:
    print("rows:", len(rows))
for r in rows:
    n = int(r["nodes"])
    want = float(r["runtime_seconds"]) / 3600 * price[r["instance_type"]] * n
    if not 1 <= n <= 4 or r["point_tag"] != "nodes-%d" % n or \
            abs(float(r["cost_usd"]) - want) > 1e-9 + 1e-6 * want:
        print(r["instance_type"], n, r["point_tag"], r["cost_usd"], want)
PY
)
expect_eq "cost search over types and nodes: 4 runs, each costing runtime x price x nodes" "$bad" ""
