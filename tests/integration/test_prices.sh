#!/usr/bin/env bash
# `orchestrate prices`: On-demand prices from the Price List API (a local replay server:
# tests/integration/pricing_server.py, which checks the target, filters and the SigV4
# signature), instance facts and spot prices from moto's EC2, the cache used offline
# afterwards, the stale-cache warning, and missing prices explained instead of zeroed.
. "$(dirname "$0")/lib.sh"

[ -x "$ORCHESTRATE" ] || { fail "orchestrate not built at $ORCHESTRATE"; exit 1; }
command -v moto_server >/dev/null || skip "moto_server not installed (tools/install_deps.sh --test)"

pport=$(free_port)
mport=$(free_port)
plog=$TMP/pricing.log
python3 "$ROOT/tests/integration/pricing_server.py" "$pport" \
  "$ROOT/tests/integration/fixtures/pricing/products.json" --page-size 2 --log "$plog" \
  --access-key AKIDPRICES --secret-key pricing-secret >"$TMP/pricing.out" 2>&1 &
ppid=$!
on_exit "kill $ppid"
moto_server -H 127.0.0.1 -p "$mport" >"$TMP/moto.out" 2>&1 &
mpid=$!
on_exit "kill $mpid"
wait_for_port "$pport" 20 || { fail "pricing server did not start: $(cat "$TMP/pricing.out")"; exit 1; }
wait_for_port "$mport" 30 || { fail "moto_server did not start"; exit 1; }

export AWS_ACCESS_KEY_ID=AKIDPRICES AWS_SECRET_ACCESS_KEY=pricing-secret
export AWS_ENDPOINT_URL_PRICING=http://127.0.0.1:$pport AWS_ENDPOINT_URL_EC2=http://127.0.0.1:$mport
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_MAX_ATTEMPTS=1 HOME=$TMP
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL XDG_CACHE_HOME
cache=$TMP/cache
today=$(date -u +%F)
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# 1. --update: every page fetched, filters sent, products with several dimensions priced.
if "$ORCHESTRATE" prices --update --region us-east-1 --cache-dir "$cache" \
     m5.large t3.micro g4dn.xlarge m6g.large >"$TMP/update.out" 2>"$TMP/update.err"; then
  pass "prices --update succeeded"
else
  fail "prices --update failed: $(tail -n 5 "$TMP/update.err")"
fi
od=$cache/prices-us-east-1.json
facts=$cache/instance-types-us-east-1.json
check "On-demand cache written" test -s "$od"
expect_eq "six Linux/shared/used prices (Windows, dedicated, reservations, SQL, eu-west-1 left out)" \
  "$(json "$od" 'len(d["prices"])')" 6
expect_eq "m5.large On-demand price" "$(json "$od" 'd["prices"]["m5.large"]')" 0.096
expect_eq "t3.micro: the open-ended hourly tier of three dimensions" "$(json "$od" 'd["prices"]["t3.micro"]')" 0.0104
expect_eq "cache carries its fetch date" "$(json "$od" 'd["fetched_at"][:10]')" "$today"
expect_eq "GetProducts pages requested (6 products, 2 per page)" "$(grep -c . "$plog")" 3
expect_eq "every request had a valid signature, target and filters" \
  "$(python3 -c 'import json,sys; print(all(json.loads(l)["ok"] for l in open(sys.argv[1])))' "$plog")" True
expect_eq "filters as the older tool used" \
  "$(python3 -c 'import json,sys; print(sorted(json.loads(open(sys.argv[1]).readline())["filters"].items()))' "$plog")" \
  "[('capacitystatus', 'Used'), ('operatingSystem', 'Linux'), ('preInstalledSw', 'NA'), ('regionCode', 'us-east-1'), ('tenancy', 'Shared')]"
check "shown with its source and date" grep -q "^m5.large .*0.096 .*aws-price-list:us-east-1:$today" "$TMP/update.out"

"$ORCHESTRATE" prices --region us-east-1 --cache-dir "$cache" >"$TMP/summary.out" 2>&1
check "without types: what the cache holds and its date" \
  grep -q "6 On-demand Linux prices for us-east-1, fetched $today" "$TMP/summary.out"

# 2. Instance facts from EC2 DescribeInstanceTypes (moto).
check "instance facts cache written" test -s "$facts"
expect_eq "g4dn.xlarge: 4 vCPUs, 16 GiB, 1 T4 GPU" \
  "$(json "$facts" '[d["types"]["g4dn.xlarge"][k] for k in ("vcpus","memory_mib","gpus","gpu_model")]')" \
  "[4, 16384, 1, 'T4']"
expect_eq "m6g.large is arm64" "$(json "$facts" 'd["types"]["m6g.large"]["architecture"]')" arm64

# 3. A wrong secret is refused by the server; the cache is left as it was.
before=$(cat "$od")
if AWS_SECRET_ACCESS_KEY=WrongSecret123 "$ORCHESTRATE" prices --update --no-facts --region us-east-1 \
     --cache-dir "$cache" >/dev/null 2>"$TMP/wrong.err"; then
  fail "a wrong secret should fail"
else
  pass "a wrong secret fails"
fi
check "the error names the signature problem" grep -q "InvalidSignatureException" "$TMP/wrong.err"
check "the error shows no secret" sh -c "! grep -q -e pricing-secret -e WrongSecret123 '$TMP/wrong.err'"
expect_eq "the cache is untouched by a failed update" "$(cat "$od")" "$before"

# 4. Offline afterwards: the pricing server is gone, the cache answers.
kill "$ppid"; wait "$ppid" 2>/dev/null
if "$ORCHESTRATE" prices --region us-east-1 --cache-dir "$cache" m5.large zz9.unknown \
     >"$TMP/offline.out" 2>"$TMP/offline.err"; then
  pass "prices answers offline from the cache"
else
  fail "offline lookup failed: $(cat "$TMP/offline.err")"
fi
check "offline price of m5.large" grep -q "^m5.large .*0.096 " "$TMP/offline.out"
check "an unknown type has no price and a note (never 0)" \
  sh -c "grep -q '^zz9.unknown  *- ' '$TMP/offline.out' && grep -q 'note: no On-demand Linux price for zz9.unknown' '$TMP/offline.out'"
check "a fresh cache gives no age warning" sh -c "! grep -q 'days old' '$TMP/offline.err'"

# 5. A stale cache warns (configurable age).
python3 - "$od" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["fetched_at"] = "2025-01-01T00:00:00.000Z"
json.dump(d, open(sys.argv[1], "w"))
PY
"$ORCHESTRATE" prices --region us-east-1 --cache-dir "$cache" --max-age 30 m5.large \
  >"$TMP/stale.out" 2>"$TMP/stale.err"
check "a stale cache warns with its age" grep -q "days old (limit 30)" "$TMP/stale.err"
check "the stale price is still given, with its date" grep -q "aws-price-list:us-east-1:2025-01-01" "$TMP/stale.out"

# 6. A region without a cache: no price, and how to get one.
"$ORCHESTRATE" prices --region eu-north-1 --cache-dir "$cache" m5.large >"$TMP/nocache.out" 2>&1
check "missing cache explained" grep -q "orchestrate prices --update --region eu-north-1" "$TMP/nocache.out"

# 7. Spot prices from EC2 DescribeSpotPriceHistory (moto), cached with their date.
if "$ORCHESTRATE" prices --spot --region us-east-1 --cache-dir "$cache" m5.large \
     >"$TMP/spot.out" 2>"$TMP/spot.err"; then
  pass "spot prices fetched"
else
  fail "spot lookup failed: $(cat "$TMP/spot.err")"
fi
check "spot price and source shown" grep -q "^m5.large .*1e-05 .*aws-spot:us-east-1:$today" "$TMP/spot.out"
expect_eq "spot cache written" "$(json "$cache/prices-spot-us-east-1.json" 'd["prices"]["m5.large"]')" 1e-05
