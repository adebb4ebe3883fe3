#!/usr/bin/env bash
# Prints the path of a tarball of a minimal Debian bookworm (debootstrap --variant=minbase),
# making it first when the cache lacks it. Used by the tests that need a fresh Debian
# machine (tests/integration/test_fresh_machine.sh) or a Debian base image without a
# registry (test_images_debian.sh).
#   tools/bookworm_rootfs.sh        -> ${XDG_CACHE_HOME:-~/.cache}/monitor_system-fresh/bookworm-minbase.tar
# Exit status 3 when debootstrap cannot reach the mirror (DEBIAN_MIRROR, default
# deb.debian.org), so that callers can tell "no network" from a failure (1).
set -euo pipefail

cache=${XDG_CACHE_HOME:-$HOME/.cache}/monitor_system-fresh
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/bookworm-minbase.tar
mkdir -p "$cache"
exec 9>"$cache/rootfs.lock"
flock 9
if [ -s "$tarball" ]; then
  echo "$tarball"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "bookworm_rootfs.sh: debootstrap is missing (tools/install_deps.sh --test)" >&2; exit 1; }

work=$(mktemp -d "$cache/debootstrap.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "bookworm_rootfs.sh: debootstrap --variant=minbase bookworm from $mirror" >&2
if ! debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/log" 2>&1; then
  tail -n 5 "$work/log" >&2
  if grep -qiE 'Failed getting release file|Couldn.t download|Could not resolve|Temporary failure' "$work/log"; then
    exit 3
  fi
  exit 1
fi
tar -C "$work/root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
echo "$tarball"
