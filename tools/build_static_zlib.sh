#!/usr/bin/env bash
# Builds zlib (the uploader's CRC32) with musl from Debian's source package, for the static
# monitor, into a small prefix of its own beside the one tools/build_static_deps.sh made,
# so that adding it did not invalidate that cache (OpenSSL and the rest take minutes):
#   ${XDG_CACHE_HOME:-$HOME/.cache}/monitor_system-deps/<arch>-zlib-<hash>
# where the hash covers this script and the deps prefix (whose compiler it uses). Prints
# the prefix; its bin/pkg-config sees zlib and the deps prefix's libraries together.
#   tools/build_static_zlib.sh x86_64|aarch64 DEPS_PREFIX
set -euo pipefail
shopt -s inherit_errexit

arch=${1:?usage: build_static_zlib.sh x86_64|aarch64 DEPS_PREFIX}
deps=${2:?usage: build_static_zlib.sh x86_64|aarch64 DEPS_PREFIX}
case "$arch" in
  x86_64|aarch64) ;;
  *) echo "build_static_zlib.sh: unknown arch '$arch' (x86_64 or aarch64)" >&2; exit 2 ;;
esac
[ -x "$deps/bin/cc" ] || { echo "build_static_zlib.sh: $deps has no bin/cc" >&2; exit 1; }

self=$(readlink -f "$0")
hash=$( (cat "$self"; echo "$deps") | sha256sum | cut -c1-12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/monitor_system-deps
prefix=$cache/$arch-zlib-$hash

mkdir -p "$cache"
exec 9>"$prefix.lock"
flock 9
if [ -e "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi

rm -rf "$prefix"
mkdir -p "$prefix/bin" "$prefix/build"
log=$prefix/build.log
: >"$log"
say() { echo "build_static_zlib[$arch]: $*" >&2; }
quiet() {
  if ! "$@" >>"$log" 2>&1; then
    say "failed: $* (log: $log)"
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# The source is fetched once into the folder the other static deps share.
src=$(find "$cache/sources" -maxdepth 1 -type d -name 'zlib-[0-9]*' 2>/dev/null | sort | tail -n 1)
if [ -z "$src" ]; then
  mkdir -p "$cache/sources"
  (cd "$cache/sources" && quiet apt-get source -qq zlib)
  src=$(find "$cache/sources" -maxdepth 1 -type d -name 'zlib-[0-9]*' | sort | tail -n 1)
  [ -n "$src" ] || { say "apt-get source zlib gave no source (tools/install_deps.sh --static adds a deb-src entry)"; exit 1; }
fi

say "zlib"
b=$prefix/build/zlib
cp -a "$src" "$b"
# zlib's own configure (not autotools); --static builds libz.a only.
(cd "$b" && quiet env CC="$deps/bin/cc" CFLAGS="-O2" ./configure --static --prefix="$prefix" \
    --libdir="$prefix/lib")
(cd "$b" && quiet make -j"$(nproc 2>/dev/null || echo 2)" libz.a && quiet make install)
rm -rf "$prefix/build"

# pkg-config over both prefixes, asking for static link lines.
cat >"$prefix/bin/pkg-config" <<EOS
#!/bin/sh
PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig:$deps/lib/pkgconfig PKG_CONFIG_PATH= exec pkg-config --static "\$@"
EOS
chmod 755 "$prefix/bin/pkg-config"
touch "$prefix/.complete"
echo "$prefix"
