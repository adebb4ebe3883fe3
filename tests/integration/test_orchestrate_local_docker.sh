#!/usr/bin/env bash
# The local backend's docker engine against a real Docker Engine (Debian's docker.io, a
# private dockerd of this test): each job is `docker run -d` of a FROM scratch image built
# by docker itself (the static monitor_system as ENTRYPOINT, busybox-static as /bin/sh),
# with --cpus, --memory and --platform from its local profile; results land in the
# bind-mounted results directory and are collected into results.csv. A container that
# outlives a killed orchestrator is re-attached by name, and `orchestrate kill` stops one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/docker_env.sh"

[ -x "$ORCHESTRATE" ] || { fail "orchestrate not built ($ORCHESTRATE)"; exit 1; }
STATIC=${STATIC_MONITOR:-$ROOT/build/static/monitor_system}
[ -x "$STATIC" ] || { fail "$STATIC is missing: run make static"; exit 1; }
BUSYBOX=$(command -v busybox || echo /bin/busybox)
[ -x "$BUSYBOX" ] || { fail "busybox-static is not installed (tools/install_deps.sh --test)"; exit 1; }
docker_daemon_start

tag=localhost/orch-docker-test:1
ctx=$TMP/image
mkdir -p "$ctx"
cp "$STATIC" "$ctx/monitor_system"
cp "$BUSYBOX" "$ctx/sh"
cp "$ROOT/tests/data/orchestrator/work.sh" "$ctx/work.sh"
printf '%s\n' 'FROM scratch' 'COPY sh /bin/sh' 'COPY work.sh /work.sh' \
  'COPY monitor_system /monitor_system' 'ENTRYPOINT ["/monitor_system"]' >"$ctx/Dockerfile"
# The classic builder: BuildKit is a separate package (docker-buildx), not needed here.
check "docker builds the FROM scratch image" env DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx"

cd "$TMP" || exit 1
cat > dock.yaml <<YAML
experiment: docktest
image: $tag
replicates: 2
command: [/bin/sh, /work.sh, ARGS]
parameters:
  n: [3000, 6000]
local:
  engine: docker
  concurrency: 2
  profiles:
    small: {cpus: 0.5, memory: 64MiB, price_per_hour: 0.01, arch: x86_64}
    big: {cpus: 1, memory: 128MiB, price_per_hour: 0.02}
YAML
"$ORCHESTRATE" run dock.yaml --output out --poll 0.3 >run.out 2>run.err
expect_eq "orchestrate run on the docker engine exits 0" "$?" 0 || tail -n 5 run.err
python3 - out/results.csv > rows.txt <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    print(r["instance_type"], r["point_tag"], r["replicate"], r["state"], r["exit_code"],
          r["custom_metric"], r["backend_id"], r["cost_usd"] or "-")
PY
expect_eq "8 jobs succeeded" "$(awk '$4 == "succeeded" && $5 == 0' rows.txt | wc -l)" 8
expect_eq "the metric came from inside the containers" "$(awk '{print $6}' rows.txt | sort -u | xargs)" "-3000 -6000"
expect_eq "every job has a cost" "$(awk '$8 != "-"' rows.txt | wc -l)" 8
check "summary.json collected" test -s "out/runs/small/n-3000/0/summary.json"
check "timeseries.csv collected" test -s "out/runs/big/n-6000/1/timeseries.csv"
small_id=$(awk '$1 == "small" {print $7; exit}' rows.txt)
big_id=$(awk '$1 == "big" {print $7; exit}' rows.txt)
expect_eq "small profile: --memory 64MiB" "$(docker inspect --format '{{.HostConfig.Memory}}' "$small_id" 2>&1)" 67108864
expect_eq "small profile: --cpus 0.5" "$(docker inspect --format '{{.HostConfig.NanoCpus}}' "$small_id" 2>&1)" 500000000
expect_eq "big profile: --memory 128MiB" "$(docker inspect --format '{{.HostConfig.Memory}}' "$big_id" 2>&1)" 134217728
expect_eq "the job's cgroup limit is the profile's (timeseries.csv)" \
  "$(python3 -c 'import csv,sys; print(sorted({r["cgroup_memory_limit_bytes"] for r in csv.DictReader(open(sys.argv[1]))}))' out/runs/small/n-3000/0/timeseries.csv 2>&1)" \
  "['67108864']"
expect_eq "the summary names the profile" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["instance"]["type"])' out/runs/big/n-6000/0/summary.json 2>&1)" big

running() { docker ps -q --filter "label=orchestrate.experiment=$1" | wc -l; }
# orphan CONFIG OUTPUT EXPERIMENT: runs orchestrate until both of the experiment's
# containers run, then SIGKILLs it, leaving them running.
orphan() {
  "$ORCHESTRATE" run "$1" --output "$2" --poll 0.3 >"$2.out" 2>&1 &
  local pid=$! i
  for i in $(seq 1 150); do
    [ "$(running "$3")" -ge 2 ] && break
    sleep 0.2
  done
  kill -9 "$pid"; wait "$pid" 2>/dev/null
}

# SIGKILL the orchestrator while containers run; the rerun re-attaches them by name. The
# count (4 s on a CPU, 8 on the small profile's half) outlasts the wait to see both run:
# at 400,000 a loaded CI machine once finished the whole run before it saw them.
sed -e 's/experiment: docktest/experiment: dockresume/' -e 's/n: \[3000, 6000\]/n: [4000000]/' \
    -e 's/replicates: 2/replicates: 1/' dock.yaml > resume.yaml
orphan resume.yaml out2 dockresume
expect_eq "containers were running when the orchestrator died" "$(running dockresume)" 2
"$ORCHESTRATE" run resume.yaml --output out2 --poll 0.3 >r2.out 2>r2.err
expect_eq "resumed run exits 0" "$?" 0
expect_eq "both jobs succeeded" "$(grep -c ',succeeded,0,' out2/results.csv)" 2
expect_eq "no container was started twice" \
  "$(docker ps -aq --filter label=orchestrate.experiment=dockresume | wc -l)" 2

# `orchestrate kill` stops what is still running after its orchestrator died.
sed -e 's/experiment: docktest/experiment: dockkill/' -e 's/n: \[3000, 6000\]/n: [50000000]/' \
    -e 's/replicates: 2/replicates: 1/' dock.yaml > kill.yaml
orphan kill.yaml out3 dockkill
expect_eq "its two containers run on without the orchestrator" "$(running dockkill)" 2
check "orchestrate kill" "$ORCHESTRATE" kill kill.yaml --output out3
expect_eq "no container of the experiment is left running" "$(running dockkill)" 0
