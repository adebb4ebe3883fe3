#!/usr/bin/env bash
# Prints the path of a static busybox for ARCH, fetching Debian's busybox-static for that
# architecture once into a cache when the machine's own /bin/busybox is of another one.
#   tools/fetch_busybox.sh aarch64|arm64|x86_64
# The ARM64 example images (FROM scratch) need an ARM64 /bin/sh. The package comes from the
# machine's own apt sources, read with a private list and cache directory: the machine's
# dpkg architectures and apt state are left as they were (no `dpkg --add-architecture`).
# The cache is ${XDG_CACHE_HOME:-~/.cache}/monitor_system-deps/busybox-ARCH/busybox.
set -euo pipefail

case "${1:-}" in
  aarch64|arm64) deb_arch=arm64; elf='ARM aarch64' ;;
  x86_64|amd64)  deb_arch=amd64; elf='x86-64' ;;
  *) echo "usage: fetch_busybox.sh aarch64|x86_64" >&2; exit 2 ;;
esac

is_static_busybox() {  # path: a statically linked busybox of the wanted architecture?
  [ -x "$1" ] && file -L "$1" | grep -q "$elf.*statically linked"
}

if is_static_busybox /bin/busybox; then
  echo /bin/busybox
  exit 0
fi

cache=${XDG_CACHE_HOME:-$HOME/.cache}/monitor_system-deps/busybox-$deb_arch
if is_static_busybox "$cache/busybox"; then
  echo "$cache/busybox"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fetch_busybox.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$cache"
apt_private=(-o "APT::Architecture=$deb_arch" -o "APT::Architectures::=$deb_arch"
             -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work"
             -o "Dir::Cache::archives=$work/archives" -o Debug::NoLocking=1)
if ! apt-get "${apt_private[@]}" update -qq >"$work/apt.log" 2>&1 ||
   ! (cd "$work" && apt-get "${apt_private[@]}" download "busybox-static:$deb_arch" \
        >>"$work/apt.log" 2>&1); then
  echo "fetch_busybox.sh: could not fetch Debian's busybox-static for $deb_arch:" >&2
  tail -n 15 "$work/apt.log" >&2
  exit 1
fi
deb=$(ls "$work"/busybox-static_*_"$deb_arch".deb)
dpkg-deb -x "$deb" "$work/root"
if ! is_static_busybox "$work/root/bin/busybox"; then
  echo "fetch_busybox.sh: $deb holds no static $deb_arch busybox" >&2
  exit 1
fi
# Into place by rename, so an interrupted fetch never leaves half a binary in the cache.
cp "$work/root/bin/busybox" "$cache/busybox.tmp"
mv "$cache/busybox.tmp" "$cache/busybox"
echo "$cache/busybox"
