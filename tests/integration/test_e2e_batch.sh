#!/usr/bin/env bash
# End to end on AWS Batch, emulated: the prime example's x86-64 image (FROM scratch,
# busybox-static, the static monitor_system as ENTRYPOINT) -> `orchestrate setup` and
# `orchestrate run` against moto's Batch -> moto runs each job as a podman container (Docker
# API from `podman system service`) -> the monitor in the container uploads its results to
# moto's S3 with signature checking on, using keys it gets from a container-credentials
# endpoint as a Batch job role would -> orchestrate collects -> results.csv, summary.csv and
# report.html checked for content (rows, runtimes, costs from the price table) -> teardown.
# Prices: m5.large's from the Price List API (`orchestrate prices --update` against
# tests/integration/pricing_server.py, the local stand-in for that API, cached and then
# used offline by the run), c7i.large's from the config's own price table, which wins.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/example_lib.sh"
. "$(dirname "$0")/podman_env.sh"
. "$(dirname "$0")/batch_moto_lib.sh"

static=${STATIC_MONITOR:-$ROOT/build/static/monitor_system}
[ -x "$static" ] || { fail "$static is missing: run make static"; exit 1; }
[ -x "$ORCHESTRATE" ] || { fail "orchestrate not built at $ORCHESTRATE"; exit 1; }
command -v moto_server >/dev/null || { fail "moto_server is not installed (tools/install_deps.sh --test)"; exit 1; }
podman_env_setup
podman_service_start || { fail "podman system service did not start"; exit 1; }

# The image, named per test run so parallel runs do not collide.
name=e2e-prime-$$
image=localhost/$name:x86_64
if MONITOR_STATIC=$static "$ROOT/examples/build_image.sh" prime_numbers x86_64 "$image" >"$TMP/image.log" 2>&1; then
  pass "prime_numbers image built ($image)"
else
  fail "image build: $(tail -n 5 "$TMP/image.log")"; exit 1
fi
podman_remove_image_at_exit "$name:x86_64"

# moto: three unsigned calls (IAM user, policy, key), signatures checked from then on.
batch_moto_start
python3 "$ROOT/tests/integration/moto_make_bucket.py" "$endpoint" e2e-results
read -r service_role instance_profile < <(python3 "$ROOT/tests/integration/moto_batch_roles.py" "$endpoint")

# The containers' credentials, as a job role's: from a container-credentials endpoint.
batch_creds_start

# The example's Batch config with this test's bucket, image, roles and endpoint, a price
# table, and a smaller LIMIT: 2 types x 1 point x 2 replicates = 4 jobs. (The point's tag
# is part of the S3 keys; moto's signature check rejects keys holding '=' or ',', which
# real S3 accepts, and the tag encoding avoids both.)
cfg=$TMP/config-batch.yaml
sed -e "s|s3://my-benchmark-bucket/benchmarks/|s3://e2e-results/bench/|" \
    -e "s|^image: .*|image: $image|" \
    -e "s|^instance_types: .*|instance_types: [m5.large, c7i.large]|" \
    -e "s|^replicates: .*|replicates: 2|" \
    -e "s|^job_timeout: .*|job_timeout: 5m|" \
    -e "s|^experiment: .*|experiment: prime-batch-$$|" \
    -e "s|values: \[20000000000\]|values: [300000000]|" \
    "$ROOT/examples/prime_numbers/config-batch.yaml" >"$cfg"
cat >>"$cfg" <<YAML
  service_role_arn: $service_role
  instance_role: $instance_profile
env:
  AWS_ENDPOINT_URL: $endpoint
  AWS_REGION: us-east-1
  AWS_CONTAINER_CREDENTIALS_FULL_URI: http://127.0.0.1:$creds_port/v2/credentials/e2e
pricing:
  cache: $TMP/prices/prices-us-east-1.json
prices:
  c7i.large: 0.08925
YAML

# The Price List API's stand-in, checking SigV4 with the test's key.
pport=$(free_port)
python3 "$ROOT/tests/integration/pricing_server.py" "$pport" \
  "$ROOT/tests/integration/fixtures/pricing/products.json" --log "$TMP/pricing.log" \
  --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" >"$TMP/pricing.out" 2>&1 &
pricing_pid=$!
on_exit "kill $pricing_pid"
wait_for_port "$pport" 20 || { fail "pricing server did not start"; exit 1; }
if AWS_ENDPOINT_URL_PRICING=http://127.0.0.1:$pport "$ORCHESTRATE" prices --update --no-facts \
     --region us-east-1 --cache-dir "$TMP/prices" m5.large >"$TMP/prices.out" 2>&1; then
  pass "orchestrate prices --update (Price List API stand-in)"
else
  fail "orchestrate prices --update: $(tail -n 5 "$TMP/prices.out")"
fi

if "$ORCHESTRATE" setup "$cfg" >"$TMP/setup.out" 2>&1; then pass "orchestrate setup"
else fail "orchestrate setup: $(tail -n 5 "$TMP/setup.out")"; fi
on_exit "'$ORCHESTRATE' teardown '$cfg'"

out=$TMP/out
start=$SECONDS
if timeout 150 "$ORCHESTRATE" run "$cfg" --output "$out" >"$TMP/run.out" 2>"$TMP/run.err"; then
  pass "orchestrate run on moto's Batch ($((SECONDS - start)) s)"
else
  fail "orchestrate run: $(tail -n 8 "$TMP/run.err")"
fi
check "the containers fetched their credentials" grep -q 'credentials request' "$TMP/creds.log"

python3 - "$out" "$$" >"$TMP/check.out" 2>&1 <<'PY'
import csv, json, os, sys
out, pid = sys.argv[1], sys.argv[2]
ok = True
def check(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok = ok and cond
prices = {"c7i.large": 0.08925, "m5.large": 0.096}   # config table; Price List fixture
data = list(csv.DictReader(open(os.path.join(out, "results.csv"))))
check(len(data) == 4, "4 rows (2 types x 1 point x 2 replicates): %d" % len(data))
check(len({(r["instance_type"], r["replicate"]) for r in data}) == len(data), "no job twice")
for r in data:
    key = "%s/%s" % (r["instance_type"], r["replicate"])
    check(r["experiment"] == "prime-batch-" + pid, key + " experiment")
    check(r["state"] == "succeeded" and r["exit_code"] == "0", key + " succeeded: %s %s" % (r["state"], r["exit_code"]))
    check(r["backend_id"] != "", key + " has its Batch job id")
    check(r.get("param_limit") == "300000000" and r.get("param_threads") == "2", key + " parameters")
    rt = float(r["runtime_seconds"] or "nan")
    check(0.01 < rt < 120, key + " runtime %.3f s plausible" % rt)
    price = float(r["price_per_hour"] or "nan")
    check(abs(price - prices.get(r["instance_type"], -1)) < 1e-9, key + " price from the price table %s" % r["price_per_hour"])
    if r["instance_type"] == "m5.large":
        check("price-list" in r["price_source"], key + " priced from the Price List cache: %s" % r["price_source"])
    else:
        check("price-list" not in r["price_source"] and r["price_source"] != "", key + " priced from the config: %s" % r["price_source"])
    cost = float(r["cost_usd"] or "nan")
    want = rt / 3600 * price * int(r["nodes"] or 1)
    check(abs(cost - want) <= 1e-6 * want + 1e-9, key + " cost %.9f = runtime x price (%.9f)" % (cost, want))
    cm = float(r["custom_metric"] or "nan")
    check(0 < cm <= rt, key + " custom metric (sieve seconds) %.3f within the runtime" % cm)
    d = os.path.join(out, r["result_dir"])
    for f in ("timeseries.csv", "summary.json", "stdout.log", "stderr.log"):
        check(os.path.isfile(os.path.join(d, f)), key + " collected " + f)
    if os.path.isfile(os.path.join(d, "summary.json")):
        s = json.load(open(os.path.join(d, "summary.json")))
        check(s.get("status") == "succeeded", key + " summary status")
        check(s.get("instance", {}).get("type") == r["instance_type"], key + " monitor knew its instance type")
        check("primes up to 300000000: 16252325" in open(os.path.join(d, "stdout.log")).read(), key + " right prime count")
srows = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
check(len(srows) == 2 and all(s["n"] == "2" and s["n_failed"] == "0" for s in srows), "summary.csv: 2 rows of n=2")
report = open(os.path.join(out, "report.html")).read() if os.path.isfile(os.path.join(out, "report.html")) else ""
check("c7i.large" in report and "m5.large" in report, "report.html names both types")
check("<svg" in report or "<img" in report, "report.html has figures")
sys.exit(0 if ok else 1)
PY
if [ $? -eq 0 ]; then pass "results.csv, summary.csv, report.html content ($(grep -c '^ok' "$TMP/check.out") checks)"
else
  fail "results:"; grep '^FAIL' "$TMP/check.out" | head -n 20
  # What the failed jobs said (their CloudWatch log, fetched by orchestrate).
  for log in $(find "$out/runs" -name batch.log 2>/dev/null | head -n 2); do
    echo "--- $log"; tail -n 15 "$log"
  done
fi

# The same objects are in moto's S3, under RESULTS_URL/EXPERIMENT/TYPE/POINT/REPLICATE/.
python3 - "$endpoint" "$$" >"$TMP/s3.out" 2>&1 <<'PY'
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
# The whole bucket, filtered here: moto's signature check rejects a prefix holding '/'
# (getmoto/moto#5948).
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="e2e-results").get("Contents", [])
        if o["Key"].startswith("bench/prime-batch-%s/" % sys.argv[2])]
print("\n".join(keys))
sys.exit(0 if sum(k.endswith("/summary.json") for k in keys) == 4 else 1)
PY
if [ $? -eq 0 ]; then pass "4 summaries uploaded to S3 by the containers"
else fail "objects in S3: $(head -n 8 "$TMP/s3.out")"; fi

if "$ORCHESTRATE" teardown "$cfg" >"$TMP/teardown.out" 2>&1; then pass "orchestrate teardown"
else fail "orchestrate teardown: $(tail -n 5 "$TMP/teardown.out")"; fi
