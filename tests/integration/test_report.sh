#!/usr/bin/env bash
# The report of a small REAL run: `orchestrate run` on the local backend (three instance
# profiles: one priced in the config, one priced from an On-demand cache file, one without
# a price; two points that work and one that fails; two replicates), then report.html opened
# in headless Chromium with no network: every figure decodes, the tables hold the numbers of
# results.csv, the price sources and dates are named, failures show their log tail. The
# screenshot is kept under build/test-artifacts/report.png.
. "$(dirname "$0")/lib.sh"

[ -x "$ORCHESTRATE" ] || { fail "orchestrate not built at $ORCHESTRATE"; exit 1; }
[ -x "$MONITOR" ] || { fail "monitor_system not built at $MONITOR"; exit 1; }
command -v gnuplot >/dev/null || { fail "gnuplot missing (tools/install_deps.sh)"; exit 1; }
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { fail "chromium missing (tools/install_deps.sh --test)"; exit 1; }
export MONITOR_SYSTEM=$MONITOR

# An On-demand price cache as `orchestrate prices --update` writes it, dated.
export XDG_CACHE_HOME=$TMP/cache HOME=$TMP AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
mkdir -p "$XDG_CACHE_HOME/orchestrate"
fetched=$(date -u -d '-2 days' +%F)
cat >"$XDG_CACHE_HOME/orchestrate/prices-us-east-1.json" <<JSON
{"region": "us-east-1", "kind": "on-demand", "source": "aws-price-list", "currency": "USD",
 "fetched_at": "${fetched}T06:00:00.000Z", "prices": {"m5.large": 0.096}}
JSON

cat >"$TMP/config.yaml" <<'YAML'
experiment: report-check
backend: local
replicates: 2
monitor_args: [--interval, "0.05"]
instance_types: [local-small, m5.large, local-free]
command: [sh, -c, 'n=$1; if [ "$n" -le 0 ]; then echo "error: n must be positive, got $n" >&2; exit 3; fi; i=0; while [ $i -lt $n ]; do i=$((i+1)); done; echo "$n" >benchmark_custom.txt; echo "counted to $n"', sh, ARGS]
parameters:
  n: {type: int, values: [100000, 200000, -1]}
local:
  engine: process
  concurrency: 2
  profiles:
    local-small: {cpus: 1, price_per_hour: 0.05}
    m5.large: {cpus: 2}
    local-free: {cpus: 1}
YAML
out=$TMP/out
if "$ORCHESTRATE" run "$TMP/config.yaml" --output "$out" >"$TMP/run.out" 2>"$TMP/run.err"; then
  pass "orchestrate run (local backend, 18 jobs)"
else
  fail "orchestrate run failed: $(tail -n 5 "$TMP/run.err")"
fi
check "report.html written" test -s "$out/report.html"
check "terminal table printed, winners marked" sh -c "grep -q 'Ranked by runtime' '$TMP/run.out' && grep -q fastest '$TMP/run.out' && grep -q cheapest '$TMP/run.out'"
check "terminal names the cached price's source and date" grep -q "AWS Price List API, On-demand Linux, us-east-1, fetched $fetched" "$TMP/run.out"

# `orchestrate report` rebuilds it from what the run left.
rm -f "$out/report.html" "$out"/figures/*.svg
check "orchestrate report rebuilds report.html" "$ORCHESTRATE" report "$TMP/config.yaml" --output "$out"
check "report.html back" test -s "$out/report.html"
for f in runtime_by_type cost_by_type cost_vs_runtime timeseries parameters; do
  check "figures/$f.svg and .png for slides" sh -c "test -s '$out/figures/$f.svg' && head -c 8 '$out/figures/$f.png' | grep -q PNG"
done
check "self-contained: nothing fetched from the network" sh -c "! grep -q -E '(src|href)=\"(https?:)?//' '$out/report.html'"

# Headless Chromium, no network (its own network namespace where the kernel lets us).
browse() {  # extra chromium args...
  local prof
  prof=$(mktemp -d "$TMP/chrome.XXXXXX")
  local cmd=("$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
             --disable-background-networking --disable-component-update --disable-sync
             --user-data-dir="$prof" "$@" "file://$out/report.html")
  if unshare -n true 2>/dev/null; then cmd=(unshare -n "${cmd[@]}"); fi
  timeout 90 "${cmd[@]}" 2>>"$TMP/chromium.err"
}
browse --dump-dom >"$TMP/dom.html"
check "Chromium rendered the page" grep -q 'id="results-table"' "$TMP/dom.html"
status=$(grep -o '<span id="figure-status"[^>]*>' "$TMP/dom.html")
total=$(echo "$status" | sed -n 's/.*data-total="\([0-9]*\)".*/\1/p')
loaded=$(echo "$status" | sed -n 's/.*data-loaded="\([0-9]*\)".*/\1/p')
expect_eq "five figures in the page" "${total:-0}" 5
expect_eq "every figure decoded (naturalWidth > 0)" "${loaded:-0}" "${total:-x}"

artifacts=$ROOT/build/test-artifacts
mkdir -p "$artifacts"
browse --window-size=1280,6400 --screenshot="$artifacts/report.png" >/dev/null
check "screenshot saved to build/test-artifacts/report.png" sh -c "head -c 8 '$artifacts/report.png' | grep -q PNG"
cp "$out/figures/timeseries.png" "$artifacts/report-timeseries.png" 2>/dev/null

# The tables in the rendered page hold results.csv's numbers.
python3 - "$out/results.csv" "$TMP/dom.html" "$fetched" >"$TMP/tables.out" 2>&1 <<'PY'
import csv, math, statistics, sys
from html.parser import HTMLParser
results, dom, fetched = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
ok = True
def check(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok = ok and cond

class Tables(HTMLParser):
    def __init__(self):
        super().__init__(); self.tables = {}; self.cur = None; self.row = None; self.cell = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id"): self.cur = self.tables.setdefault(a["id"], [])
        elif tag == "tr" and self.cur is not None: self.row = {"attrs": a, "cells": []}
        elif tag in ("td", "th") and self.row is not None: self.cell = ""
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None: self.row["cells"].append(self.cell); self.cell = None
        elif tag == "tr" and self.row is not None: self.cur.append(self.row); self.row = None
        elif tag == "table": self.cur = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d

p = Tables(); p.feed(dom)
rows = list(csv.reader(open(results)))
shown = [r["cells"] for r in p.tables.get("results-table", [])]
check(shown == rows, "every run table equals results.csv cell for cell (%d rows)" % len(rows))

summary = list(csv.reader(open(results.replace("results.csv", "summary.csv"))))
check([r["cells"] for r in p.tables.get("summary-table", [])] == summary,
      "summary.csv shown cell for cell (%d rows)" % len(summary))
data = [dict(zip(rows[0], r)) for r in rows[1:]]
rank = p.tables.get("ranking-table", [])
head = rank[0]["cells"] if rank else []
col = {name: i for i, name in enumerate(head)}
def close(shown_text, want, what):
    if want is None or (isinstance(want, float) and math.isnan(want)):
        check(shown_text == "", "%s is empty when unknown (got %r)" % (what, shown_text)); return
    check(shown_text != "" and abs(float(shown_text) - want) <= 1e-3 * abs(want) + 1e-12,
          "%s: shown %s, results.csv gives %.6g" % (what, shown_text, want))
groups = {}
for r in data:
    groups.setdefault((r["instance_type"], r["point_tag"]), []).append(r)
check(len(rank) - 1 == len(groups), "ranking has one row per (type, point): %d" % (len(rank) - 1))
for tr in rank[1:]:
    key = (tr["attrs"].get("data-type"), tr["attrs"].get("data-point"))
    runs = groups.get(key, [])
    good = [r for r in runs if r["state"] == "succeeded"]
    c = tr["cells"]
    name = "%s %s" % key
    check(c[col["runs ok"]] == str(len(good)) and c[col["failed"]] == str(len(runs) - len(good)),
          "%s: runs ok/failed counts" % name)
    rt = [float(r["runtime_seconds"]) for r in good]
    cost = [float(r["cost_usd"]) for r in good if r["cost_usd"]]
    close(c[col["runtime mean (s)"]], statistics.mean(rt) if rt else None, name + " runtime mean")
    close(c[col["runtime sd (s)"]], statistics.stdev(rt) if len(rt) > 1 else (0.0 if rt else None), name + " runtime sd")
    close(c[col["cost mean (USD)"]], statistics.mean(cost) if cost and len(cost) == len(good) else None, name + " cost mean")
    price = next((r["price_per_hour"] for r in runs if r["price_per_hour"]), "")
    close(c[col["$/hour"]], float(price) if price else None, name + " $/hour")
    if good and key[0] != "local-free":
        want = statistics.mean(rt) / 3600 * float(price)
        close(c[col["cost mean (USD)"]], want, name + " cost = runtime x $/h")
# ranked best first by mean runtime
means = [float(tr["cells"][col["runtime mean (s)"]]) for tr in rank[1:] if tr["cells"][col["runtime mean (s)"]]]
check(means == sorted(means), "ranking is in order of mean runtime")
check("fetched " + fetched in dom and "aws-price-list:us-east-1:" + fetched in dom, "price source and date named")
check("No price for <b>local-free</b>" in dom, "the unpriced type is explained, its cost left empty")
check("error: n must be positive, got -1" in dom, "failures show the log tail")
check(all(r["cost_usd"] == "" for r in data if r["instance_type"] == "local-free"), "no cost (not 0) without a price")
sys.exit(0 if ok else 1)
PY
rc=$?
sed 's/^/    /' "$TMP/tables.out"
if [ "$rc" -eq 0 ]; then pass "tables equal results.csv"; else fail "tables differ from results.csv"; fi

# The chosen run's time series (--run), and the stale-price note following the config's
# pricing.max_age_days (the cache above is two days old).
check "no stale-price note under the default 30 days" sh -c "! grep -q 'The price list these costs use was fetched' '$out/report.html'"
check "report --run draws the chosen run" "$ORCHESTRATE" report "$TMP/config.yaml" --output "$out" --run local-small/n-200000/1
check "the report names the chosen run" grep -q "Time series of run local-small / n-200000 / replicate 1" "$out/report.html"
"$ORCHESTRATE" report "$TMP/config.yaml" --output "$out" --run no-such/run/0 >"$TMP/badrun.out" 2>&1
check "an unknown --run is named in a warning" grep -q "no run 'no-such/run/0' in results.csv" "$TMP/badrun.out"
sed 's/^backend: local$/backend: local\npricing: {max_age_days: 1}/' "$TMP/config.yaml" >"$TMP/stale.yaml"
check "report with pricing.max_age_days: 1" "$ORCHESTRATE" report "$TMP/stale.yaml" --output "$out"
check "a price list older than max_age_days is flagged" grep -q "The price list these costs use was fetched 2 days ago" "$out/report.html"
