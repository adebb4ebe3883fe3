#!/usr/bin/env bash
# The local backend's podman engine: each job is a container of a FROM scratch image (the
# static monitor_system as ENTRYPOINT, busybox-static as /bin/sh) started with --cpus and
# --memory from its local profile; results land in the bind-mounted results directory and
# are collected into results.csv. A container that outlives a killed orchestrator is
# re-attached by name.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/podman_env.sh"

[ -x "$ORCHESTRATE" ] || skip "orchestrate not built ($ORCHESTRATE)"
STATIC=${STATIC_MONITOR:-$ROOT/build/static/monitor_system}
[ -x "$STATIC" ] || { fail "$STATIC is missing: run make static"; exit 1; }
BUSYBOX=$(command -v busybox || echo /bin/busybox)
[ -x "$BUSYBOX" ] || skip "busybox-static is not installed (tools/install_deps.sh --test)"
podman_env_setup

tag=orch-local-test-$$
ctx=$TMP/image
mkdir -p "$ctx"
cp "$STATIC" "$ctx/monitor_system"
cp "$BUSYBOX" "$ctx/sh"
cp "$ROOT/tests/data/orchestrator/work.sh" "$ctx/work.sh"
cat > "$ctx/Containerfile" <<'EOF'
FROM scratch
COPY sh /bin/sh
COPY work.sh /work.sh
COPY monitor_system /monitor_system
ENTRYPOINT ["/monitor_system"]
EOF
podman_scratch_image "$tag" "$ctx" || { fail "podman build"; exit 1; }
podman_remove_image_at_exit "$tag"
on_exit "podman ps -aq --filter label=orchestrate.experiment=podtest | xargs -r podman rm -f"

cd "$TMP" || exit 1
cat > pod.yaml <<EOF
experiment: podtest
image: localhost/$tag
replicates: 2
command: [/bin/sh, /work.sh, ARGS]
parameters:
  n: [3000, 6000]
local:
  engine: podman
  concurrency: 2
  profiles:
    small: {cpus: 0.5, memory: 64MiB, price_per_hour: 0.01}
    big: {cpus: 1, memory: 128MiB, price_per_hour: 0.02}
EOF
"$ORCHESTRATE" run pod.yaml --output out --poll 0.3 >run.out 2>run.err
expect_eq "podman run exits 0" "$?" 0
python3 - out/results.csv > rows.txt <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    print(r["instance_type"], r["point_tag"], r["replicate"], r["state"], r["exit_code"], r["custom_metric"], r["backend_id"])
PY
expect_eq "8 jobs succeeded" "$(awk '$4 == "succeeded" && $5 == 0' rows.txt | wc -l)" 8
expect_eq "the metric came from inside the containers" "$(awk '{print $6}' rows.txt | sort -u | xargs)" "-3000 -6000"
check "summary.json collected" test -s "out/runs/small/n-3000/0/summary.json"
check "timeseries.csv collected" test -s "out/runs/big/n-6000/1/timeseries.csv"
small_id=$(awk '$1 == "small" {print $7; exit}' rows.txt)
big_id=$(awk '$1 == "big" {print $7; exit}' rows.txt)
expect_eq "small profile: --memory 64MiB" "$(podman inspect --format '{{.HostConfig.Memory}}' "$small_id")" 67108864
expect_eq "small profile: --cpus 0.5" "$(podman inspect --format '{{.HostConfig.NanoCpus}}' "$small_id")" 500000000
expect_eq "big profile: --memory 128MiB" "$(podman inspect --format '{{.HostConfig.Memory}}' "$big_id")" 134217728
expect_eq "the summary names the profile" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["instance"]["type"])' out/runs/big/n-6000/0/summary.json)" big

# SIGKILL the orchestrator while containers run; the rerun re-attaches them by name. The
# count (4 s on a CPU, 8 on the small profile's half) outlasts the wait to see both run:
# at 400,000 a loaded CI machine once finished the whole run before it saw them.
sed -e 's/experiment: podtest/experiment: podresume/' -e 's/n: \[3000, 6000\]/n: [4000000]/' \
    -e 's/replicates: 2/replicates: 1/' pod.yaml > resume.yaml
on_exit "podman ps -aq --filter label=orchestrate.experiment=podresume | xargs -r podman rm -f"
"$ORCHESTRATE" run resume.yaml --output out2 --poll 0.3 >r1.out 2>r1.err &
pid=$!
for _ in $(seq 1 100); do
  [ "$(podman ps -q --filter label=orchestrate.experiment=podresume | wc -l)" -ge 2 ] && break
  sleep 0.2
done
kill -9 "$pid"; wait "$pid" 2>/dev/null
expect_eq "containers were running when the orchestrator died" \
  "$(podman ps -q --filter label=orchestrate.experiment=podresume | wc -l)" 2
"$ORCHESTRATE" run resume.yaml --output out2 --poll 0.3 >r2.out 2>r2.err
expect_eq "resumed run exits 0" "$?" 0
expect_eq "both jobs succeeded" "$(grep -c ',succeeded,0,' out2/results.csv)" 2
expect_eq "no container was started twice" \
  "$(podman ps -aq --filter label=orchestrate.experiment=podresume | wc -l)" 2
