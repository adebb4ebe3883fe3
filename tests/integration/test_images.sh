#!/usr/bin/env bash
# images/build_images.sh builds the FROM scratch images (monitor-only per arch, the
# multi-arch OCI archive, the busybox example), and the busybox image runs a script with the
# static monitor as its ENTRYPOINT: the monitor is PID 1 in the container, the container
# exits with the script's status, and the CSV and summary land in a bind-mounted folder.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman_env.sh"

[ -x "$ROOT/build/static/monitor_system" ] || { fail "build/static/monitor_system is missing: run make static"; exit 1; }
podman_env_setup

# A repository name of our own: parallel runs and other tests never see these images.
repo=localhost/it-monitor-$$
version=$(cat "$ROOT/VERSION")
cleanup_images() {
  podman rmi -f "$repo-busybox:$version" "$repo-busybox:latest" \
    "$repo-busybox:$version-amd64" "$repo-busybox:$version-arm64" \
    "$repo:$version-amd64" "$repo:latest-amd64" "$repo:latest" "$repo:$version-arm64" "$repo:latest-arm64"
}
on_exit cleanup_images

check "build_images.sh builds the images" \
  env IMAGE_REPO="$repo" IMAGES_OUT="$TMP/images" "$ROOT/images/build_images.sh"

check "monitor-only amd64 image exists" podman image exists "$repo:$version-amd64"
expect_eq "amd64 image architecture" \
  "$(podman image inspect -f '{{.Architecture}}' "$repo:$version-amd64" 2>&1)" amd64
# FROM scratch with one file: the exported file system holds /monitor_system only.
cid=$(podman create "$repo:$version-amd64" 2>/dev/null)
expect_eq "monitor-only image holds just monitor_system" \
  "$(podman export "$cid" | tar -t | grep -v '/$' | sort | tr '\n' ' ')" "monitor_system "
podman rm -f "$cid" >/dev/null 2>&1
if [ -x "$ROOT/build/static-arm64/monitor_system" ]; then
  expect_eq "arm64 image architecture" \
    "$(podman image inspect -f '{{.Architecture}}' "$repo:$version-arm64" 2>&1)" arm64
  # The multi-arch archive: index.json -> one image index -> one manifest per platform.
  archive=$TMP/images/monitor_system-$version.oci.tar
  index=$(tar -xOf "$archive" index.json | jq -r '.manifests[0].digest' | cut -d: -f2)
  archs=$(tar -xOf "$archive" "blobs/sha256/$index" |
          jq -r '[.manifests[].platform.architecture] | sort | join(",")')
  expect_eq "multi-arch OCI archive lists both architectures" "$archs" amd64,arm64
  check "podman images still works (no local manifest list left behind)" \
    sh -c "podman images >/dev/null"
  # The arm64 shell image runs (through QEMU and binfmt_misc, as install_deps sets up).
  if "$ROOT/tools/register_binfmt.sh" --check; then
    expect_eq "the arm64 busybox image runs an arm64 shell under its arm64 monitor" \
      "$(podman run --rm --arch arm64 "$repo-busybox:$version-arm64" --quiet --cmd /bin/sh -c \
         'uname -m; cat /proc/self/maps >/dev/null; echo ppid=$PPID' 2>&1 | tr '\n' ' ')" \
      "aarch64 ppid=1 "
  else
    fail "qemu-aarch64 is not registered with binfmt_misc (tools/install_deps.sh --test)"
  fi
fi

# The workload: prints, checks who PID 1 is, writes a custom metric, exits 3.
mkdir -p "$TMP/out" "$TMP/app"
cat >"$TMP/app/run.sh" <<'EOF'
#!/bin/sh
echo "workload pid $$"
cat /proc/1/cmdline | tr '\0' ' ' > /out/pid1.txt
echo 42.5 > benchmark_custom.txt
i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done
exit 3
EOF
chmod +x "$TMP/app/run.sh"

podman run --rm --network host -v "$TMP/out:/out" -v "$TMP/app:/app:ro" \
  -e MONITOR_INSTANCE_TYPE=c7i.large "$repo-busybox:$version" \
  --quiet --interval 0.05 --result-url /out/res --workdir /work/mon \
  --cmd /app/run.sh >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
expect_eq "container exits with the script's status" "$rc" 3
check "script output passes through" grep -q 'workload pid' "$TMP/stdout"
check "the monitor is PID 1" grep -q '^/monitor_system ' "$TMP/out/pid1.txt"
pid=$(sed -n 's/workload pid //p' "$TMP/stdout")
check "the script is not PID 1 (pid $pid)" test "${pid:-1}" -ne 1

csv=$(find "$TMP/out/res" -name timeseries.csv 2>/dev/null | head -n 1)
summary=$(find "$TMP/out/res" -name summary.json 2>/dev/null | head -n 1)
check "timeseries.csv in the bind-mounted folder" test -s "$csv"
check "summary.json in the bind-mounted folder" test -s "$summary"
if [ -s "$summary" ]; then
  expect_eq "summary exit_code" "$(jq -r .exit_code "$summary")" 3
  expect_eq "summary custom_metric" "$(jq -r .custom_metric "$summary")" 42.5
  expect_eq "summary instance type" "$(jq -r .instance.type "$summary")" c7i.large
fi
[ -s "$TMP/stderr" ] && sed 's/^/stderr: /' "$TMP/stderr" | tail -n 20
true
