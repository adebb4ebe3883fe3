#!/usr/bin/env bash
# `make static` / `make static-arm64`: a fully static monitor_system linked with musl.
#   tools/build_static.sh x86_64   -> build/static/monitor_system
#   tools/build_static.sh aarch64  -> build/static-arm64/monitor_system
# The libraries come from tools/build_static_deps.sh and tools/build_static_libdeflate.sh (built
# once, cached outside the clone). Also builds static_probe (tools/static_probe.c), which
# calls into every one of those libraries: it proves the toolchain independently of the monitor's own code.
# The binary is stripped; its debug information is kept beside it as monitor_system.debug.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

arch=${1:?usage: build_static.sh x86_64|aarch64}
case "$arch" in
  x86_64)  out=${STATIC_BUILD:-build/static};       cross= ;;
  aarch64) out=${STATIC_BUILD:-build/static-arm64}; cross=aarch64-linux-gnu- ;;
  *) echo "build_static.sh: unknown arch '$arch' (x86_64 or aarch64)" >&2; exit 2 ;;
esac

need() { command -v "$1" >/dev/null || { echo "build_static.sh: '$1' is missing: run tools/install_deps.sh --static" >&2; exit 1; }; }
need musl-gcc
need pkg-config
[ -n "$cross" ] && need "${cross}gcc"

prefix=$(tools/build_static_deps.sh "$arch")
# libdeflate lives in a small prefix of its own (its pkg-config sees both).
zprefix=$(tools/build_static_libdeflate.sh "$arch" "$prefix")
cc=$prefix/bin/cc
pkgcfg=$zprefix/bin/pkg-config
mkdir -p "$out"

mods="libcurl openssl libcares expat jansson libnl-3.0 libnl-route-3.0"
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static \
  $($pkgcfg --cflags $mods) -o "$out/static_probe" tools/static_probe.c $($pkgcfg --libs $mods)

make --no-print-directory -j"$(nproc)" BUILD="$out" CC="$cc" AR="${cross}ar" PKGCFG="$pkgcfg" \
  LDFLAGS=-static "$out/monitor_system"

# Strip into a temporary file so an interrupted strip never leaves half a binary.
bin=$out/monitor_system
if "${cross}readelf" -S "$bin" | grep -q '\.debug_info'; then
  "${cross}objcopy" --only-keep-debug "$bin" "$bin.debug"
  "${cross}strip" --strip-all -o "$bin.tmp" "$bin"
  "${cross}objcopy" --add-gnu-debuglink="$bin.debug" "$bin.tmp"
  mv "$bin.tmp" "$bin"
fi
if "${cross}readelf" -d "$bin" 2>/dev/null | grep -q NEEDED || "${cross}readelf" -l "$bin" | grep -q INTERP; then
  echo "build_static.sh: $bin is not fully static" >&2
  exit 1
fi
echo "$bin: $(stat -c %s "$bin") bytes, static, $arch"
