#!/usr/bin/env bash
# images/examples/debian.Containerfile works as written: built on a real Debian bookworm
# (a debootstrap rootfs imported into podman, as these machines reach no registry) with the
# monitor-only image, it runs a runscript under the static monitor as ENTRYPOINT, exits with
# the script's status, and writes results to a bind-mounted folder, both with a job's own
# command line and with the image's default CMD and MONITOR_RESULT_URL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman_env.sh"

[ -x "$ROOT/build/static/monitor_system" ] || { fail "build/static/monitor_system is missing: run make static"; exit 1; }
podman_env_setup
rootfs=$("$ROOT/tools/bookworm_rootfs.sh" 2>"$TMP/rootfs.err")
rc=$?
[ "$rc" -eq 3 ] && skip "debootstrap cannot reach the Debian mirror: $(tail -n 1 "$TMP/rootfs.err")"
[ "$rc" -eq 0 ] || { fail "tools/bookworm_rootfs.sh failed: $(tail -n 3 "$TMP/rootfs.err")"; exit 1; }

tag=it-debex-$$
base=localhost/$tag-base
monitor=localhost/$tag-monitor
image=localhost/$tag
on_exit "podman rmi -f $image $monitor $base"

check "import the bookworm rootfs as a base image" \
  sh -c "podman import -q '$rootfs' '$base' >/dev/null"

mkdir -p "$TMP/mctx/amd64" "$TMP/ctx" "$TMP/out"
cp "$ROOT/build/static/monitor_system" "$TMP/mctx/amd64/"
check "monitor-only image builds" sh -c \
  "podman build -q -f '$ROOT/images/monitor.Containerfile' -t '$monitor' '$TMP/mctx' >/dev/null"

cat >"$TMP/ctx/runscript.sh" <<'EOF'
#!/bin/sh
. /etc/os-release
echo "running on $PRETTY_NAME with args: $*"
head -c 5000000 /dev/zero | sha256sum >/dev/null
echo -3.5 > benchmark_custom.txt
exit 4
EOF
chmod +x "$TMP/ctx/runscript.sh"
check "debian.Containerfile builds" sh -c "podman build -q -f '$ROOT/images/examples/debian.Containerfile' \
  --build-arg MONITOR_IMAGE='$monitor' --build-arg BASE_IMAGE='$base' -t '$image' '$TMP/ctx' >'$TMP/build.log' 2>&1 \
  || { tail -n 20 '$TMP/build.log'; exit 1; }"

# A job's own command line: monitor options, then --cmd and the workload with arguments.
podman run --rm --network host -v "$TMP/out:/out" "$image" \
  --quiet --interval 0.05 --result-url /out/job --cmd /app/runscript.sh 8 16 >"$TMP/stdout" 2>"$TMP/stderr"
expect_eq "container exits with the runscript's status" "$?" 4
check "runscript ran on Debian with its arguments" grep -q 'Debian GNU/Linux 12.*args: 8 16' "$TMP/stdout"
summary=$(find "$TMP/out/job" -name summary.json 2>/dev/null | head -n 1)
check "summary.json written" test -s "$summary"
if [ -s "$summary" ]; then
  expect_eq "summary exit_code" "$(jq -r .exit_code "$summary")" 4
  expect_eq "summary custom_metric" "$(jq -r .custom_metric "$summary")" -3.5
  expect_eq "summary command" "$(jq -c .command "$summary")" '["/app/runscript.sh","8","16"]'
fi
csv=$(find "$TMP/out/job" -name timeseries.csv 2>/dev/null | head -n 1)
check "timeseries.csv has samples" sh -c "[ \$(wc -l <'$csv') -ge 2 ]"

# The image's default CMD, with results where MONITOR_RESULT_URL points.
podman run --rm --network host -v "$TMP/out:/out" -e MONITOR_RESULT_URL=/out/default \
  "$image" >"$TMP/stdout2" 2>"$TMP/stderr2"
expect_eq "default CMD runs the runscript (status 4)" "$?" 4
check "MONITOR_RESULT_URL is honoured" sh -c "find '$TMP/out/default' -name summary.json | grep -q ."
[ -s "$TMP/stderr" ] && sed 's/^/stderr: /' "$TMP/stderr" | tail -n 10
true
