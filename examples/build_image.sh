#!/usr/bin/env bash
# Builds an example's container image with podman (or docker), FROM scratch: busybox-static
# for the shell, the fully static monitor_system as ENTRYPOINT, the example's static
# workload and runscript. Nothing is pulled from a registry.
#
#   examples/build_image.sh EXAMPLE ARCH [TAG]          build localhost/EXAMPLE:ARCH (or TAG)
#   examples/build_image.sh --context-only DIR EXAMPLE ARCH
#                                  only stage the build context in DIR (for docker buildx)
# EXAMPLE: prime_numbers, external_sort, param_tuning, s3_download. ARCH: x86_64, aarch64.
#
# Inputs (environment):
#   MONITOR_STATIC   the static monitor (default build/static/monitor_system, or
#                    build/static-arm64/monitor_system for aarch64: `make static[-arm64]`)
#   BUSYBOX          a static busybox of ARCH (default /bin/busybox from Debian's
#                    busybox-static for x86_64; required for aarch64)
#   CONTAINER_ENGINE podman (default) or docker
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
context_only=""
if [ "${1:-}" = "--context-only" ]; then context_only=$2; shift 2; fi
example=${1:?usage: build_image.sh [--context-only DIR] EXAMPLE ARCH [TAG]}
arch=${2:?usage: build_image.sh [--context-only DIR] EXAMPLE ARCH [TAG]}
case "$arch" in
  x86_64|amd64)  arch=x86_64;  platform=linux/amd64; make_target=static ;;
  aarch64|arm64) arch=aarch64; platform=linux/arm64; make_target=static-arm64 ;;
  *) echo "build_image.sh: unknown ARCH '$arch' (x86_64 or aarch64)" >&2; exit 2 ;;
esac
tag=${3:-localhost/${example//_/-}:$arch}
src=$root/examples/$example
containerfile=$src/Containerfile.${arch/aarch64/arm64}
[ -f "$containerfile" ] || { echo "build_image.sh: no $containerfile" >&2; exit 2; }

monitor=${MONITOR_STATIC:-$root/build/$make_target/monitor_system}
[ -x "$monitor" ] || { echo "build_image.sh: static monitor $monitor is missing: run make $make_target" >&2; exit 1; }
busybox=${BUSYBOX:-}
if [ -z "$busybox" ] && [ "$arch" = x86_64 ]; then busybox=/bin/busybox; fi
if [ -z "$busybox" ] || [ ! -x "$busybox" ]; then
  echo "build_image.sh: no static busybox for $arch (set BUSYBOX=PATH)" >&2; exit 1
fi

# The context: rootfs/ (busybox and its applet links, /tmp), the monitor, the workload.
ctx=${context_only:-$(mktemp -d "${TMPDIR:-/tmp}/example-ctx.XXXXXX")}
[ -n "$context_only" ] || trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/tmp" "$ctx/app"
chmod 1777 "$ctx/rootfs/tmp"
cp "$busybox" "$ctx/rootfs/bin/busybox"
# The applet list is asked of the x86-64 busybox (the arm64 one may not run here); both are
# built from the same Debian source, so the lists agree.
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$ctx/rootfs/bin/$applet"
done
cp "$monitor" "$ctx/monitor_system"
"$root/examples/build.sh" --arch "$arch" "$ctx/workloads" >/dev/null
if [ -d "$ctx/workloads/$example" ]; then cp "$ctx/workloads/$example"/* "$ctx/app/"; fi
rm -rf "$ctx/workloads"
cp "$src/runscript.sh" "$ctx/app/"
cp "$containerfile" "$ctx/Containerfile"
if [ -n "$context_only" ]; then
  echo "$ctx"
  exit 0
fi
engine=${CONTAINER_ENGINE:-podman}
"$engine" build -q --platform "$platform" -t "$tag" -f "$ctx/Containerfile" "$ctx" >/dev/null
echo "$tag"
