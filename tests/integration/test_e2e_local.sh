#!/usr/bin/env bash
# End to end on the local backend, with the shipped quick-start config unchanged:
# examples/prime_numbers/config.yaml -> orchestrate run -> jobs under monitor_system ->
# results collected -> results.csv, summary.csv and report.html checked for content (8 rows,
# plausible runtimes, costs from the profiles' price table, per-job files), then a rerun
# that must not repeat any job. Then the param_tuning example's Bayesian search, shortened.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/example_lib.sh"

[ -x "$MONITOR" ] || { fail "monitor_system not built at $MONITOR"; exit 1; }
[ -x "$ORCHESTRATE" ] || { fail "orchestrate not built at $ORCHESTRATE"; exit 1; }
export MONITOR_SYSTEM=$MONITOR   # the monitor orchestrate runs jobs under
check "examples build (examples/build.sh)" "$ROOT/examples/build.sh"

out=$TMP/out
cfg=$ROOT/examples/prime_numbers/config.yaml
start=$SECONDS
if "$ORCHESTRATE" run "$cfg" --output "$out" >"$TMP/run.out" 2>"$TMP/run.err"; then
  pass "orchestrate run prime_numbers/config.yaml ($((SECONDS - start)) s)"
else
  fail "orchestrate run failed: $(tail -n 5 "$TMP/run.err")"
fi
for f in results.csv summary.csv report.html state.db; do
  check "output has $f" test -s "$out/$f"
done

# results.csv: the contract's columns in order, one row per job, every number checked.
python3 - "$out" >"$TMP/results-check.out" 2>&1 <<'PY'
import csv, json, math, os, sys
out = sys.argv[1]
ok = True
def check(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok = ok and cond
want = ("experiment,instance_type,point_tag,replicate,round,state,exit_code,runtime_seconds,"
        "cpu_seconds,peak_memory_bytes,custom_metric,nodes,price_per_hour,price_source,cost_usd,"
        "queue_seconds,backend_id,result_dir").split(",")
rows = list(csv.reader(open(os.path.join(out, "results.csv"))))
header, data = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
check(header[:len(want)] == want, "results.csv columns in the contract's order")
check(header[len(want):] == ["param_threads"], "param_ columns: %s" % header[len(want):])
check(len(data) == 8, "8 rows (2 types x 2 points x 2 replicates): %d" % len(data))
prices = {"c7i.large": 0.08925, "c7i.xlarge": 0.1785}
seen = set()
for r in data:
    key = (r["instance_type"], r["point_tag"], r["replicate"])
    check(key not in seen, "job %s appears once" % (key,))
    seen.add(key)
    check(r["experiment"] == "prime-numbers", "experiment name")
    check(r["instance_type"] in prices, "instance type %s is a profile" % r["instance_type"])
    check(r["state"] == "succeeded" and r["exit_code"] == "0", "%s succeeded with 0" % (key,))
    rt = float(r["runtime_seconds"] or "nan")
    check(0.05 < rt < 120, "%s runtime %.3f s is plausible" % (key, rt))
    cpu = float(r["cpu_seconds"] or "nan")
    check(0.05 < cpu < 4 * rt + 1, "%s cpu %.3f s is plausible" % (key, cpu))
    check(int(r["peak_memory_bytes"] or 0) > 100000, "%s peak memory counted" % (key,))
    cm = float(r["custom_metric"] or "nan")
    check(0 < cm <= rt, "%s custom metric (sieve seconds %.3f) within the runtime" % (key, cm))
    price = prices.get(r["instance_type"], -1)
    check(r["price_per_hour"] and abs(float(r["price_per_hour"]) - price) < 1e-9,
          "%s price %s is the profile's %s" % (key, r["price_per_hour"], price))
    nodes = int(r["nodes"] or 0)
    check(nodes == 1, "nodes 1")
    want_cost = rt / 3600 * price * nodes
    cost = float(r["cost_usd"] or "nan")
    check(abs(cost - want_cost) <= 1e-6 * want_cost + 1e-9,
          "%s cost %.9f = runtime x price / 3600 (%.9f)" % (key, cost, want_cost))
    check(r["param_threads"] in ("1", "2"), "params")
    check(r["round"] == "0", "round 0 in a plain plan")
    d = os.path.join(out, r["result_dir"])
    for f in ("timeseries.csv", "summary.json", "stdout.log", "stderr.log"):
        check(os.path.isfile(os.path.join(d, f)), "%s has %s" % (r["result_dir"], f))
    if os.path.isfile(os.path.join(d, "summary.json")):
        sj = json.load(open(os.path.join(d, "summary.json")))
        same = all(abs(float(r[c]) - float(sj[k])) <= 1e-6 * max(1.0, abs(float(sj[k])))
                   for c, k in (("runtime_seconds", "wall_seconds"), ("cpu_seconds", "cpu_seconds"),
                                ("peak_memory_bytes", "peak_memory_bytes"), ("custom_metric", "custom_metric")))
        check(same, "%s: results.csv carries the job's summary.json figures" % (key,))
        check(sj.get("instance", {}).get("type") == r["instance_type"], "%s: the monitor was told its profile" % (key,))
    log = open(os.path.join(d, "stdout.log")).read() if os.path.isfile(os.path.join(d, "stdout.log")) else ""
    check("primes up to 2000000000: 98222287" in log, "%s counted the right number of primes" % (key,))
check(len({r["replicate"] for r in data}) == 2, "replicates 0 and 1")
def mean(xs): return sum(xs) / len(xs)
check({r["param_threads"] for r in data} == {"1", "2"}, "both thread counts ran")

# summary.csv: one row per (type, point) with n, failures, means consistent with results.
srows = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
check(len(srows) == 4, "summary.csv has 4 rows: %d" % len(srows))
for s in srows:
    mine = [r for r in data if r["instance_type"] == s["instance_type"] and r["point_tag"] == s["point_tag"]]
    check(s["n"] == "2" and s["n_failed"] == "0", "%s %s: n 2, none failed" % (s["instance_type"], s["point_tag"]))
    if mine:
        m = mean([float(r["runtime_seconds"]) for r in mine])
        check(abs(float(s["runtime_mean"]) - m) <= 1e-3 * m, "runtime_mean %s = mean of its rows %.4f" % (s["runtime_mean"], m))
        c = mean([float(r["cost_usd"]) for r in mine])
        check(abs(float(s["cost_mean"]) - c) <= 1e-3 * c + 1e-12, "cost_mean %s = mean of its rows" % s["cost_mean"])
        check(abs(float(s["price_per_hour"]) - prices[s["instance_type"]]) < 1e-9, "summary price")
sys.exit(0 if ok else 1)
PY
rc=$?
if [ "$rc" -eq 0 ]; then pass "results.csv and summary.csv content ($(grep -c '^ok' "$TMP/results-check.out") checks)"
else fail "results.csv/summary.csv:"; grep '^FAIL' "$TMP/results-check.out" | head -n 20; fi

# report.html: one self-contained file naming both types, with figures and no remote fetches.
report=$out/report.html
check "report.html names both instance types" sh -c "grep -q c7i.large '$report' && grep -q c7i.xlarge '$report'"
check "report.html has figures" sh -c "grep -q -E '<svg|<img' '$report'"
check "report.html loads nothing from the network" sh -c "! grep -q -E '(src|href)=\"https?://' '$report'"
check "the run ended with the ranked table" grep -q 'c7i.xlarge' "$TMP/run.out"

# A rerun resumes: nothing is run again, the results are the same.
sum_before=$(cat "$out"/runs/*/*/*/summary.json | sha256sum)
"$ORCHESTRATE" run "$cfg" --output "$out" >"$TMP/rerun.out" 2>&1
expect_eq "rerun exits 0" "$?" 0
expect_eq "rerun repeats no job (summaries unchanged)" "$(cat "$out"/runs/*/*/*/summary.json | sha256sum)" "$sum_before"
expect_eq "rerun: results.csv still 8 rows" "$(csv_rows "$out/results.csv")" 8
"$ORCHESTRATE" status "$cfg" --output "$out" >"$TMP/status.out" 2>&1
expect_eq "status exits 0" "$?" 0
check "status counts 8 succeeded" grep -q -E '(succeeded[^0-9]*8|8[^0-9]*succeeded)' "$TMP/status.out"

# The parameter-tuning example's search, shortened (fewer rounds, smaller matrices).
tune=$TMP/param_tuning
mkdir -p "$tune"
cp -r "$ROOT/examples/param_tuning/." "$tune/"
sed -i -e 's/iterations: 4/iterations: 2/' -e 's/"768"/"256"/' "$tune/config.yaml"
if "$ORCHESTRATE" run "$tune/config.yaml" --output "$TMP/tune-out" >"$TMP/tune.out" 2>"$TMP/tune.err"; then
  pass "orchestrate run param_tuning (bayes, parallel_samples 2)"
else
  fail "param_tuning run: $(tail -n 5 "$TMP/tune.err")"
fi
python3 - "$TMP/tune-out/results.csv" >"$TMP/tune-check.out" 2>&1 <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ok = True
def check(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok = ok and cond
points = {}
for r in rows:
    points.setdefault((r["param_threads"], r["param_block"]), []).append(r)
check(len(rows) >= 8, "at least 8 runs: %d" % len(rows))
check(all(len(v) == 2 for v in points.values()), "every point run twice (replicates)")
check(all(r["state"] == "succeeded" for r in rows), "every run succeeded")
check(all(float(r["custom_metric"]) < 0 for r in rows), "custom metric is -GFLOP/s")
check(all(1 <= int(t) <= 4 and b in "8 16 32 64 128 256 512".split() for t, b in points), "points inside the space")
rounds = {int(r["round"]) for r in rows}
check(len(rounds) >= 2, "several search rounds: %s" % sorted(rounds))
sys.exit(0 if ok else 1)
PY
if [ $? -eq 0 ]; then pass "param_tuning results: distinct points, replicates, rounds, metric"
else fail "param_tuning results:"; grep '^FAIL' "$TMP/tune-check.out"; fi

# The search's report: convergence and evaluated-points figures, all decoded by Chromium.
tr=$TMP/tune-out/report.html
check "search report has the convergence figure" grep -q 'id="fig-convergence"' "$tr"
for f in convergence parameters; do
  check "figures/$f.svg and .png written" sh -c "test -s '$TMP/tune-out/figures/$f.svg' && head -c 8 '$TMP/tune-out/figures/$f.png' | grep -q PNG"
done
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chromium" ]; then
  prof=$(mktemp -d "$TMP/chrome.XXXXXX")
  cmd=("$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$prof" --dump-dom "file://$tr")
  if unshare -n true 2>/dev/null; then cmd=(unshare -n "${cmd[@]}"); fi
  timeout 90 "${cmd[@]}" >"$TMP/tune-dom.html" 2>/dev/null
  status=$(grep -o '<span id="figure-status"[^>]*>' "$TMP/tune-dom.html")
  total=$(echo "$status" | sed -n 's/.*data-total="\([0-9]*\)".*/\1/p')
  loaded=$(echo "$status" | sed -n 's/.*data-loaded="\([0-9]*\)".*/\1/p')
  check "search report: Chromium finds its figures (${total:-0})" test "${total:-0}" -ge 6
  expect_eq "search report: every figure decoded" "${loaded:-0}" "${total:-x}"
else
  fail "chromium missing (tools/install_deps.sh --test)"
fi
