#!/usr/bin/env bash
# Installs what building (and, with --test, testing) needs on Debian bookworm.
#   tools/install_deps.sh            build the dynamic binaries (make)
#   tools/install_deps.sh --static   also the static builds (make static, static-arm64):
#                                    musl, the aarch64 cross compiler, a deb-src entry
#   tools/install_deps.sh --test     everything `make test` needs (implies --static)
# Idempotent and quiet: packages already present are not fetched again; apt's output goes
# to a log that is shown only when something fails.
set -euo pipefail
want_test=0
want_static=0
for a in "$@"; do
  case "$a" in
    --test) want_test=1; want_static=1 ;;
    --static) want_static=1 ;;
    *) echo "install_deps.sh: unknown option '$a' (--static, --test)" >&2; exit 2 ;;
  esac
done

build_pkgs=(build-essential pkg-config libcurl4-openssl-dev libssl-dev libexpat1-dev
            libjansson-dev libdeflate-dev libnl-3-dev libnl-route-3-dev libyaml-dev libsqlite3-dev
            gnuplot-nox)
static_pkgs=(musl-tools flex bison dpkg-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross
             binutils-aarch64-linux-gnu file xz-utils cmake)
test_pkgs=(clang libclang-rt-14-dev podman runc busybox-static qemu-user-static
           gcc-aarch64-linux-gnu musl-tools flex bison awscli chromium man-db groff-base
           sqlite3 iproute2 procps python3 debootstrap curl ca-certificates git
           python3-venv jq sysstat python3-psutil linux-perf python3-boto3 bc docker.io)

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
log=$(mktemp "${TMPDIR:-/tmp}/install_deps.XXXXXX")
trap 'rm -f "$log"' EXIT
quiet() {
  if ! "$@" >>"$log" 2>&1; then
    echo "install_deps.sh: failed: $*" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# `make static` builds its libraries from Debian's source packages (apt-get source).
need_update=0
deb_src=/etc/apt/sources.list.d/monitor-system-deb-src.sources
if [ "$want_static" -eq 1 ] && [ ! -e "$deb_src" ] &&
   ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  $SUDO tee "$deb_src" >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  need_update=1
fi

pkgs=("${build_pkgs[@]}")
[ "$want_static" -eq 1 ] && pkgs+=("${static_pkgs[@]}")
[ "$want_test" -eq 1 ] && pkgs+=("${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node comes with npm on machines that have it from NodeSource; otherwise Debian's pair.
if [ "$want_test" -eq 1 ] && ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ] || [ "$need_update" -eq 1 ]; then
  quiet $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install_deps.sh: installing ${missing[*]}" >&2
  quiet $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
fi

# moto (the AWS emulator the tests run) is not packaged in bookworm: a venv of its own,
# with moto_server linked onto the PATH.
if [ "$want_test" -eq 1 ] && ! command -v moto_server >/dev/null; then
  venv=${XDG_CACHE_HOME:-$HOME/.cache}/monitor_system-moto
  [ -x "$venv/bin/moto_server" ] || {
    quiet python3 -m venv "$venv"
    quiet "$venv/bin/pip" install -q 'moto[server]>=5.2,<5.3'
  }
  $SUDO ln -sf "$venv/bin/moto_server" /usr/local/bin/moto_server
fi

# The ARM64 example images: QEMU registered with binfmt_misc (what systemd-binfmt does at
# boot on machines that have it), and Debian's static busybox for arm64, cached.
if [ "$want_test" -eq 1 ]; then
  here=$(dirname "$0")
  # A container without the privilege to mount binfmt_misc still gets everything else;
  # the ARM64 image tests then say what is missing.
  $SUDO "$here/register_binfmt.sh" ||
    echo "install_deps.sh: warning: ARM64 images will not run here (binfmt_misc)" >&2
  quiet "$here/fetch_busybox.sh" aarch64
fi
exit 0
