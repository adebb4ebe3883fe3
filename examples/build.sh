#!/usr/bin/env bash
# Builds the compiled example workloads.
#   examples/build.sh                      native, into examples/<name>/bin/ (local backend)
#   examples/build.sh --arch native DIR    native, into DIR/<name>/
#   examples/build.sh --arch x86_64 DIR    fully static (musl-gcc) into DIR/<name>/, for images
#   examples/build.sh --arch aarch64 DIR   fully static for ARM64 (aarch64-linux-gnu-gcc)
# Binaries are written to a temporary name and renamed, so a run that reads them while a
# rebuild happens never sees half a file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arch=native
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) out=$1; shift ;;
  esac
done

CFLAGS=(-std=c11 -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -pthread)
case "$arch" in
  native)  cc=${CC:-cc}; ldflags=() ;;
  x86_64)  cc=${MUSL_CC:-musl-gcc}; ldflags=(-static) ;;
  aarch64|arm64) arch=aarch64; cc=${AARCH64_CC:-aarch64-linux-gnu-gcc}; ldflags=(-static) ;;
  *) echo "build.sh: unknown --arch '$arch' (native, x86_64, aarch64)" >&2; exit 2 ;;
esac
if [ "$arch" != native ] && [ -z "$out" ]; then
  echo "build.sh: --arch $arch needs an output directory" >&2; exit 2
fi
command -v "$cc" >/dev/null || { echo "build.sh: compiler '$cc' not found (tools/install_deps.sh --test installs it)" >&2; exit 1; }

# example directory, program, sources
targets=(
  "prime_numbers primes primes.c"
  "external_sort extsort extsort.c"
  "param_tuning tune tune.c"
)
for t in "${targets[@]}"; do
  read -r name prog src <<<"$t"
  if [ -z "$out" ]; then dest=$here/$name/bin; else dest=$out/$name; fi
  mkdir -p "$dest"
  "$cc" "${CFLAGS[@]}" "${ldflags[@]}" -o "$dest/.$prog.tmp.$$" "$here/$name/$src" -lm
  mv -f "$dest/.$prog.tmp.$$" "$dest/$prog"
done
