#!/usr/bin/env bash
# Installs what building (and, with --test, testing) needs on Debian bookworm.
# Idempotent: packages already present are not fetched again.
set -euo pipefail
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

build_pkgs=(build-essential pkg-config libcurl4-openssl-dev libssl-dev libexpat1-dev
            libjansson-dev libnl-3-dev libnl-route-3-dev libyaml-dev libsqlite3-dev
            gnuplot-nox)
test_pkgs=(clang libclang-rt-14-dev podman runc busybox-static qemu-user-static
           gcc-aarch64-linux-gnu musl-tools flex bison awscli chromium man-db groff-base
           sqlite3 iproute2 procps python3 debootstrap)

pkgs=("${build_pkgs[@]}")
[ "$want_test" -eq 1 ] && pkgs+=("${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node comes with npm on machines that have it from NodeSource; otherwise Debian's pair.
if [ "$want_test" -eq 1 ] && ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
