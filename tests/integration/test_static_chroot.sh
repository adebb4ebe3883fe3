#!/usr/bin/env bash
# The static x86-64 monitor (make static) runs where no shared library exists: a chroot
# holding only it and busybox-static, with the monitor as PID 1 of a fresh PID namespace.
# It runs a busybox script, passes its output through, exits with its status, and leaves
# timeseries.csv and summary.json.
. "$(dirname "$0")/lib.sh"

STATIC=${STATIC_BUILD:-$ROOT/build/static}
bin=$STATIC/monitor_system
probe=$STATIC/static_probe
[ -x "$bin" ] || { fail "$bin is missing: run make static"; exit 1; }
busybox=$(command -v busybox || echo /bin/busybox)
[ -x "$busybox" ] || skip "busybox-static is not installed"
command -v unshare >/dev/null || skip "unshare (util-linux) is missing"

check "monitor_system is statically linked" sh -c "file -L '$bin' | grep -q 'statically linked'"
check "monitor_system has no program interpreter" sh -c "! readelf -l '$bin' | grep -q INTERP"

root=$TMP/root
mkdir -p "$root/bin" "$root/proc" "$root/out" "$root/tmp"
cp "$bin" "$root/monitor_system"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
[ -x "$probe" ] && cp "$probe" "$root/static_probe"

# Runs a command inside the chroot, in new mount and PID namespaces with its own /proc
# (the mount disappears with the namespace, nothing to clean up).
in_chroot() {
  unshare --mount --pid --fork --kill-child sh -c \
    'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" "$@"
}

if [ -x "$root/static_probe" ]; then
  out=$(in_chroot /static_probe 2>&1); rc=$?
  expect_eq "static_probe (every library) runs in the empty chroot" "$rc" 0
  echo "$out"
  check "probe sees network links through netlink" \
    sh -c "echo '$out' | grep -Eq '\"netlink_links\": *[1-9]'"
  expect_eq "libcurl is the minimal one (HTTP and HTTPS only)" \
    "$(echo "$out" | jq -c .curl_protocols 2>&1)" '["http","https"]'
  expect_eq "libcurl resolves with c-ares (no NSS in scratch images)" \
    "$(echo "$out" | jq -r .curl_ares 2>&1)" true
fi

script='echo hello-from-workload; echo to-stderr >&2; i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; exit 7'
in_chroot /monitor_system --quiet --interval 0.05 --workdir /out/work --result-url /out/res \
  --cmd /bin/sh -c "$script" >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
expect_eq "exit status of the script passes through" "$rc" 7
check "workload stdout is passed through" grep -q hello-from-workload "$TMP/stdout"
check "workload stderr is passed through" grep -q to-stderr "$TMP/stderr"

csv=$(find "$root/out" -name timeseries.csv | head -n 1)
summary=$(find "$root/out" -name summary.json | head -n 1)
check "timeseries.csv written" test -s "$csv"
check "summary.json written" test -s "$summary"
if [ -s "$csv" ]; then
  check "CSV header has elapsed_seconds" sh -c "head -n 1 '$csv' | grep -q elapsed_seconds"
  rows=$(($(wc -l <"$csv") - 1))
  check "CSV has at least one sample row ($rows)" test "$rows" -ge 1
fi
if [ -s "$summary" ]; then
  expect_eq "summary exit_code" "$(jq -r .exit_code "$summary")" 7
  expect_eq "summary status" "$(jq -r .status "$summary")" failed
fi
