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
# its first half, `tools/install_deps.sh --test`, runs in the chroot too (FRESH_TEST_DEPS=0
# leaves it out), with the farm's preinstalled Python (pyenv, which carries moto: PyPI is
# out of reach) bound in read-only as on the farm's machines, and the suite is represented
# by the tests that need what --test installs: moto and the aws CLI, node and the npm S3
# server, clang's libFuzzer. (Containers inside a chroot are out of scope.)
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
# With CHROOT_PYENV=DIR, DIR (the farm's pyenv) is bound read-only at the same path and its
# shims lead the PATH, as on the farm's machines.
in_chroot() {  # command string
  unshare --mount --fork sh -c '
    r=$0 py=$2 path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    mount -t proc proc "$r/proc" && mount -t sysfs sys "$r/sys" && mount --rbind /dev "$r/dev" || exit 1
    if [ -n "$py" ]; then
      mkdir -p "$r$py" && mount --bind "$py" "$r$py" && mount -o remount,bind,ro "$r$py" || exit 1
      path=$py/shims:$py/bin:$path
    fi
    exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH="$path" $3 \
      /bin/bash -c "$1"' \
    "$root" "$1" "${CHROOT_PYENV:-}" "${ca_env[*]}"
}
# The farm's machines trust its egress proxy's CA (in /usr/local/share/ca-certificates,
# which the ca-certificates package folds into the system bundle) and point Node, Python
# and OpenSSL at that bundle through these variables: the chroot gets the same.
ca_env=()
for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE; do
  [ -n "${!v:-}" ] && [[ "${!v}" != *" "* ]] && ca_env+=("$v=${!v}")
done

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
mkdir -p "$root/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null
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

pyenv_root=""
if moto=$(command -v moto_server) && [[ "$moto" == */shims/moto_server ]]; then
  pyenv_root=${moto%/shims/moto_server}
fi
if [ "${FRESH_TEST_DEPS:-1}" = 1 ] && [ -z "$pyenv_root" ]; then
  # install_deps.sh --test would reach for PyPI, which this farm cannot: say so plainly.
  fail "moto_server here is not the farm's pyenv one ($(command -v moto_server || echo none)): set FRESH_TEST_DEPS=0 on such machines"
elif [ "${FRESH_TEST_DEPS:-1}" = 1 ]; then
  t0=$SECONDS
  # (The proxy's CA copied in above reaches the bundle when ca-certificates is installed;
  # where the cached tree has it already, it is folded in now.)
  CHROOT_PYENV=$pyenv_root in_chroot 'cd /src &&
    { ! command -v update-ca-certificates >/dev/null || update-ca-certificates >/dev/null; } &&
    tools/install_deps.sh --test' \
    >"$TMP/install-test.log" 2>&1
  rc=$?
  echo "install_deps.sh --test in the fresh chroot: $((SECONDS - t0)) s"
  expect_eq "tools/install_deps.sh --test succeeds on fresh bookworm" "$rc" 0
  [ "$rc" -eq 0 ] || tail -n 30 "$TMP/install-test.log"
  t0=$SECONDS
  # Each test's closing line ("N passed, N failed, N skipped", counting checks), and the
  # log's tail when it did not pass.
  CHROOT_PYENV=$pyenv_root in_chroot 'cd /src && make -s -j"$(nproc)" all >/tmp/make-all.log 2>&1 ||
      { tail -n 20 /tmp/make-all.log; exit 1; }
    for t in s3_moto s3_s3rver; do
      tests/run_tests.sh "test_$t" | tail -n 1 | sed "s/^/test_$t: /"
      grep -q "^RESULT passed=[1-9][0-9]* failed=0" "build/test-logs/integration_test_$t.log" ||
        tail -n 15 "build/test-logs/integration_test_$t.log"
    done
    FUZZ_SECONDS=3 tests/fuzz/run_fuzz.sh custom_metric | tail -n 1' >"$TMP/suite.out" 2>&1
  rc=$?
  echo "tests needing the --test installs, in the fresh chroot: $((SECONDS - t0)) s"
  sed 's/^/    | /' "$TMP/suite.out"
  expect_eq "the tests run in the chroot (exit status)" "$rc" 0
  check "moto (signature checking) and the aws CLI work in the chroot: test_s3_moto passes" \
    grep -qE '^test_s3_moto: [1-9][0-9]* passed, 0 failed, 0 skipped$' "$TMP/suite.out"
  check "node, npm and s3rver work in the chroot: test_s3_s3rver passes" \
    grep -qE '^test_s3_s3rver: [1-9][0-9]* passed, 0 failed, 0 skipped$' "$TMP/suite.out"
  check "a fuzz target builds with clang's libFuzzer and runs in the chroot" \
    grep -q '^RESULT passed=1 failed=0$' "$TMP/suite.out"
fi
