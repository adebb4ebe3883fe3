#!/usr/bin/env bash
# The batch backend's API cost at scale (issue 4's benchmark): plan, submit and track 1,000
# jobs (10 instance types x 10 points x 10 replicates) against moto's Batch, and print the
# API calls by operation with the client's CPU seconds and peak RSS; then the same jobs the
# older tool's way (one SubmitJob per job, every queue listed in every status per poll).
# moto runs no containers here (its batch_simple mode): the point is the API traffic.
#
#   bench/batch_bench.sh            (BUILD=build by default: `make all` first)
# Targets: <= 0.1 SubmitJob per job; one poll of all 1,000 jobs in <= 2 calls (the array
# parents' status summaries, then children only where a summary shows a change the journal
# does not record yet and cannot be inferred from the summary, at most 100 of them: one
# call); client peak RSS <= 20 MiB.
# The trade-off of that budget: when more than 100 children changed in a way that needs
# describing (they finished: the journal needs their exit codes and Batch times), the rest
# wait for the next polls, 100 per poll, at the back-off's minimum interval. So every poll
# stays within 2 calls (AWS throttles DescribeJobs), but 1,000 children finished at once
# are recorded over 10 polls and 20 calls, where describing them all in one poll took 11
# calls. The lines "polls P until all final" below show that latency and the total.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
TMP=$(mktemp -d "${TMPDIR:-/tmp}/batch-bench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

for lib in libcommon libuploader liborchestrator; do
  [ -f "$BUILD/$lib.a" ] || { echo "batch_bench: $BUILD/$lib.a missing: make BUILD=$BUILD all" >&2; exit 1; }
done
command -v moto_server >/dev/null || { echo "batch_bench: moto_server missing (tools/install_deps.sh --test)" >&2; exit 1; }
driver=$TMP/batch_driver
san=""
nm "$BUILD/libcommon.a" 2>/dev/null | grep -q __asan && san="-fsanitize=address,undefined"
# shellcheck disable=SC2046,SC2086
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT" $san -o "$driver" "$ROOT/tests/integration/batch_driver.c" \
  "$BUILD/liborchestrator.a" "$BUILD/libuploader.a" "$BUILD/libcommon.a" \
  $(make -s --no-print-directory -C "$ROOT" print-orch-libs) -lpthread -lm

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$TMP/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
# moto's "batch_simple" mode: jobs succeed without containers (1,000 job threads with a
# container engine that cannot run them hang moto 5.2's server).
curl -sf -X POST "http://127.0.0.1:$port/moto-api/config" -H 'Content-Type: application/json' \
  -d '{"batch": {"use_docker": false}}' >/dev/null
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
unset AWS_PROFILE AWS_SESSION_TOKEN
read -r service_role instance_profile < <(python3 "$ROOT/tests/integration/moto_batch_roles.py" "$AWS_ENDPOINT_URL")

write_config() {  # file experiment
  cat >"$1" <<YAML
experiment: $2
backend: batch
results_url: s3://bench-results/batch/
image: localhost/bench:none
replicates: 10
instance_types: [c5.large, c5.xlarge, m5.large, m5.xlarge, r5.large, r5.xlarge, c6i.large, m6i.large, c7i.large, m7i.large]
command: [/bin/true, ARGS]
parameters:
  n: {type: int, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
batch:
  pinning: queue-per-type
  name_prefix: bench
  service_role_arn: $service_role
  instance_role: $instance_profile
YAML
}
write_config "$TMP/new.yaml" arrays
write_config "$TMP/old.yaml" singles
"$driver" setup "$TMP/new.yaml" >"$TMP/setup.log" 2>&1 || { tail -n 5 "$TMP/setup.log" >&2; exit 1; }

measure() {  # label, command...: runs it, prints its calls line with CPU and RSS
  local label=$1; shift
  /usr/bin/time -f '%U %S %M' -o "$TMP/time" "$@" >"$TMP/out" 2>"$TMP/err" ||
    { echo "batch_bench: $label failed: $(tail -n 3 "$TMP/err")" >&2
      awk 'NF == 5 {print $2}' "$TMP/out" | sort | uniq -c >&2; exit 1; }
  read -r user sys rss <"$TMP/time"
  local calls
  calls=$(grep -E '^(calls|queue polls)' "$TMP/out" | tr '\n' ' ')
  printf '%-34s %s| cpu %.2f s, peak RSS %.1f MiB\n' "$label" "$calls" \
    "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc -l)"
}

echo "1,000 jobs = 10 types x 10 points x 10 replicates, moto $(python3 -c 'import moto; print(moto.__version__)')"
echo "-- this backend: a point's replicates as one array job; DescribeJobs by 100 ids"
measure "submit (array jobs)" "$driver" submit "$TMP/new.yaml" "$TMP/new.jobs"
measure "track until final (DescribeJobs)" "$driver" wait "$TMP/new.yaml" "$TMP/new.jobs" 120
cp "$TMP/out" "$TMP/new.states"   # the final states, as the journal would hold them
echo "  a restarted run (its journal knows the states; AWS says nothing new):"
"$driver" poll2 "$TMP/new.yaml" "$TMP/new.jobs" "$TMP/new.states" | grep '^poll' | sed 's/^/    /'
echo "  a run that knows no state (every child must be described once), polled as the run"
echo "  loop does (only jobs not final yet) until every job is final with its Batch times:"
"$driver" poll-all "$TMP/new.yaml" "$TMP/new.jobs" | grep '^poll' | sed 's/^/    /'
echo "  a journal one step behind (every child of every array finished since the last poll):"
sed 's/ succeeded 0 / running -1 /' "$TMP/new.states" >"$TMP/behind.states"
"$driver" poll-all "$TMP/new.yaml" "$TMP/new.jobs" "$TMP/behind.states" | grep '^poll' |
  sed 's/^/    /'
echo "-- the older tool's way: one SubmitJob per job; every queue listed in every status"
measure "submit (one call per job)" "$driver" submit-singly "$TMP/old.yaml" "$TMP/old.jobs"
measure "track until final (ListJobs)" "$driver" wait-queues "$TMP/old.yaml" "$TMP/old.jobs" 120
