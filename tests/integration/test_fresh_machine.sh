#!/usr/bin/env bash
# The README's set-up works on a fresh Debian bookworm machine: a minimal bookworm
# (debootstrap --variant=minbase) gets a clean clone of this repository's HEAD, runs
# tools/install_deps.sh, builds (make) and runs a unit subset, all inside a chroot.
#
# Caches, outside the clone, in ${XDG_CACHE_HOME:-~/.cache}/monitor_system-fresh/:
#   bookworm-minbase.tar            tools/bookworm_rootfs.sh: debootstrap (cold: a minute)
#   bookworm-deps-<hash>.tar        the same after install_deps.sh, keyed by that script's
#                                   hash: a changed install_deps.sh is proven from scratch
# The chroot uses this machine's Debian mirror and apt settings (what a fresh machine of
# this farm has). Then tools/demo.sh, the README's first command, runs inside too (FRESH_DEMO=0
# leaves it out). The README's second command runs in full on the CI machine itself; here
# its first half (install_deps.sh) is proven and the suite is represented by a unit subset.
. "$(dirname "$0")/lib.sh"

command -v debootstrap >/dev/null || { fail "debootstrap is missing: tools/install_deps.sh --test installs it"; exit 1; }
command -v unshare >/dev/null || skip "unshare (util-linux) is missing"
[ "$(id -u)" -eq 0 ] || skip "needs root for chroot and mounts"

cache=${XDG_CACHE_HOME:-$HOME/.cache}/monitor_system-fresh
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}   # as tools/bookworm_rootfs.sh
mkdir -p "$cache"
exec 8>"$cache/lock"
flock 8   # one builder of the cached trees at a time

# A clean clone: only what is committed reaches the fresh machine.
git clone -q --no-local "$ROOT" "$TMP/clone" || { fail "git clone of $ROOT"; exit 1; }
rev=$(git -C "$TMP/clone" rev-parse --short HEAD)
deps_key=$(sha256sum "$TMP/clone/tools/install_deps.sh" | cut -c1-12)
base_tar=$cache/bookworm-minbase.tar
deps_tar=$cache/bookworm-deps-$deps_key.tar
root=$TMP/root

# Runs a shell command inside the chroot, with /proc, /sys and /dev in a private mount
# namespace (they vanish with it).
in_chroot() {  # command string
  unshare --mount --fork sh -c '
    r=$0
    mount -t proc proc "$r/proc" && mount -t sysfs sys "$r/sys" && mount --rbind /dev "$r/dev" &&
    exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$1"' \
    "$root" "$1"
}

if [ ! -s "$base_tar" ]; then
  t0=$SECONDS
  "$ROOT/tools/bookworm_rootfs.sh" >"$TMP/rootfs.out" 2>"$TMP/rootfs.err"
  rc=$?
  [ "$rc" -eq 3 ] && { cat "$TMP/rootfs.err"; skip "debootstrap cannot reach the Debian mirror"; }
  [ "$rc" -eq 0 ] || { fail "debootstrap failed"; cat "$TMP/rootfs.err"; exit 1; }
  echo "debootstrap (cold cache) took $((SECONDS - t0)) s"
fi

mkdir -p "$root"
if [ -s "$deps_tar" ]; then
  tar -C "$root" -xf "$deps_tar"
  echo "using the cached chroot with install_deps.sh $deps_key already run"
else
  tar -C "$root" -xf "$base_tar"
  # This machine's mirror and apt settings (snapshot mirrors need Check-Valid-Until off).
  rm -f "$root/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" 2>/dev/null ||
    echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
  for f in /etc/apt/apt.conf.d/99*; do [ -f "$f" ] && cp "$f" "$root/etc/apt/apt.conf.d/"; done
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp -a "$TMP/clone" "$root/src"

t0=$SECONDS
in_chroot 'cd /src && tools/install_deps.sh' >"$TMP/install.log" 2>&1
rc=$?
echo "install_deps.sh in the fresh chroot: $((SECONDS - t0)) s"
expect_eq "tools/install_deps.sh succeeds on fresh bookworm ($rev)" "$rc" 0
[ "$rc" -eq 0 ] || { tail -n 30 "$TMP/install.log"; exit 1; }
if [ ! -s "$deps_tar" ]; then
  # Cache the installed tree without the clone, for the next run.
  tar -C "$root" --exclude=./src --exclude=./proc/* --exclude=./sys/* -cf "$deps_tar.tmp" . &&
    mv "$deps_tar.tmp" "$deps_tar"
  find "$cache" -maxdepth 1 -name 'bookworm-deps-*.tar' ! -name "$(basename "$deps_tar")" -delete
fi

in_chroot 'cd /src && tools/install_deps.sh' >"$TMP/install2.log" 2>&1
expect_eq "install_deps.sh is idempotent (second run)" "$?" 0
check "second install_deps.sh run installs nothing" \
  sh -c "! grep -q 'installing' '$TMP/install2.log'"

t0=$SECONDS
in_chroot 'cd /src && make -j"$(nproc)" >/tmp/make.log 2>&1 || { tail -n 40 /tmp/make.log; exit 1; }' \
  >"$TMP/make.out" 2>&1
rc=$?
echo "make in the fresh chroot: $((SECONDS - t0)) s"
expect_eq "make builds on fresh bookworm" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/    | /' "$TMP/make.out"
check "build/monitor_system built" test -x "$root/src/build/monitor_system"
check "build/orchestrate built" test -x "$root/src/build/orchestrate"

in_chroot 'cd /src && make -s unit-bins-common >/tmp/unit.log 2>&1 && tests/run_tests.sh --unit-only unit/common' \
  >"$TMP/unit.out" 2>&1
rc=$?
expect_eq "unit subset (common) passes in the chroot" "$rc" 0
tail -n 5 "$TMP/unit.out"

if [ "${FRESH_DEMO:-1}" = 1 ]; then
  t0=$SECONDS
  in_chroot 'cd /src && tools/demo.sh' >"$TMP/demo.out" 2>&1
  rc=$?
  echo "tools/demo.sh in the fresh chroot: $((SECONDS - t0)) s"
  expect_eq "tools/demo.sh (the README's first command) works on fresh bookworm" "$rc" 0
  check "the demo ends with the path of report.html" \
    sh -c "tail -n 3 '$TMP/demo.out' | grep -q 'report.html'"
  report=$(sed -n 's/^report: *//p' "$TMP/demo.out" | tail -n 1)
  check "the demo's report.html exists ($report)" test -s "$root$report"
  tail -n 15 "$TMP/demo.out"
fi
