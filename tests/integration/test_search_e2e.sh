#!/usr/bin/env bash
# The search end to end through `orchestrate run` on the local backend, on workloads whose
# result is a known function of their ARGS:
#  - runtime: the workload sleeps 0.2 + 0.02 (x - 19)^2 seconds (x in 10..30) and the search
#    minimises runtime: bayes must land within 2 of x = 19 in 11 evaluations of 21 points;
#  - a grid over an integer list x a categorical is the full factorial: 3 x 2 points, each
#    once, then the search stops by itself;
#  - categorical + integer with the custom metric (x - 3)^2 + [mode != "b"]: bayes finds
#    (3, b) among 16 points.
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
