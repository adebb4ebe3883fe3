#!/usr/bin/env bash
# Builds libdeflate (the uploader's CRC32) with musl from Debian's source package, for the
# static monitor, into a small prefix of its own beside the one tools/build_static_deps.sh
# made, so that adding it did not invalidate that cache (OpenSSL and the rest take minutes):
#   ${XDG_CACHE_HOME:-$HOME/.cache}/monitor_system-deps/<arch>-libdeflate-<hash>
# where the hash covers this script and the deps prefix (whose compiler it uses). Prints
# the prefix; its bin/pkg-config sees libdeflate and the deps prefix's libraries together.
#   tools/build_static_libdeflate.sh x86_64|aarch64 DEPS_PREFIX
set -euo pipefail
shopt -s inherit_errexit

arch=${1:?usage: build_static_libdeflate.sh x86_64|aarch64 DEPS_PREFIX}
deps=${2:?usage: build_static_libdeflate.sh x86_64|aarch64 DEPS_PREFIX}
case "$arch" in
  x86_64|aarch64) ;;
  *) echo "build_static_libdeflate.sh: unknown arch '$arch' (x86_64 or aarch64)" >&2; exit 2 ;;
esac
[ -x "$deps/bin/cc" ] || { echo "build_static_libdeflate.sh: $deps has no bin/cc" >&2; exit 1; }

self=$(readlink -f "$0")
hash=$( (cat "$self"; echo "$deps") | sha256sum | cut -c1-12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/monitor_system-deps
prefix=$cache/$arch-libdeflate-$hash

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
say() { echo "build_static_libdeflate[$arch]: $*" >&2; }
quiet() {
  if ! "$@" >>"$log" 2>&1; then
    say "failed: $* (log: $log)"
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# The source is fetched once into the folder the other static deps share.
src=$(find "$cache/sources" -maxdepth 1 -type d -name 'libdeflate-[0-9]*' 2>/dev/null | sort | tail -n 1)
if [ -z "$src" ]; then
  mkdir -p "$cache/sources"
  (cd "$cache/sources" && quiet apt-get source -qq libdeflate)
  src=$(find "$cache/sources" -maxdepth 1 -type d -name 'libdeflate-[0-9]*' | sort | tail -n 1)
  [ -n "$src" ] || { say "apt-get source libdeflate gave no source (tools/install_deps.sh --static adds a deb-src entry)"; exit 1; }
fi

say "libdeflate"
b=$prefix/build/libdeflate
cp -a "$src" "$b"
# Its own Makefile (1.14 predates its CMake build); the static library only. The install
# also builds its gzip program, which is compiled, never run (so cross builds work).
(cd "$b" && quiet make -j"$(nproc 2>/dev/null || echo 2)" CC="$deps/bin/cc" DISABLE_SHARED=1 \
    PREFIX="$prefix" LIBDIR="$prefix/lib" install)
rm -rf "$prefix/build"

# pkg-config over both prefixes, asking for static link lines.
cat >"$prefix/bin/pkg-config" <<EOS
#!/bin/sh
PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig:$deps/lib/pkgconfig PKG_CONFIG_PATH= exec pkg-config --static "\$@"
EOS
chmod 755 "$prefix/bin/pkg-config"
touch "$prefix/.complete"
echo "$prefix"
