#!/usr/bin/env bash
# `make images`: builds with podman what can be built without a registry, all FROM scratch:
#   localhost/monitor_system:VERSION-amd64   just /monitor_system (build/static)
#   localhost/monitor_system:VERSION-arm64   just /monitor_system (build/static-arm64)
#   localhost/monitor_system:latest-amd64    (and latest-arm64: the same, retagged;
#                                            latest: the amd64 one)
#   localhost/monitor_system-busybox:VERSION the amd64 monitor + busybox-static, runnable
#                                            (also tagged VERSION-amd64, and VERSION-arm64:
#                                            the arm64 pair, Debian's arm64 busybox-static
#                                            from tools/fetch_busybox.sh)
#   build/images/monitor_system-VERSION.oci.tar
#                                            the multi-arch image (an OCI image index of
#                                            both), ready for `skopeo copy --all`
# The arm64 image is built only when build/static-arm64/monitor_system exists.
# Why the multi-arch image is an archive and not a local manifest list: podman 4.3 (bookworm)
# cannot list images while a locally made manifest list is in its store ("locating item
# named manifest-sha256:..."), which would break every other podman user of the machine.
# So the list is made in a private, throwaway store and written out as an OCI archive.
# IMAGE_REPO changes the repository name (tests use a private one so parallel runs do not
# collide), IMAGES_OUT the archive's folder. The distribution examples in images/examples/
# need a registry to pull their bases: images/README.md shows how to build them.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(cat VERSION 2>/dev/null || echo 0.0.0)
repo=${IMAGE_REPO:-localhost/monitor_system}
amd64_bin=${STATIC_BUILD:-build/static}/monitor_system
arm64_bin=${STATIC_ARM64_BUILD:-build/static-arm64}/monitor_system
busybox=$(command -v busybox || echo /bin/busybox)

command -v podman >/dev/null || { echo "build_images.sh: podman is missing (tools/install_deps.sh --test)" >&2; exit 1; }
[ -x "$amd64_bin" ] || { echo "build_images.sh: $amd64_bin is missing: run make static" >&2; exit 1; }

ctx=$(mktemp -d "${TMPDIR:-/tmp}/images.XXXXXX")
trap 'rm -rf "$ctx"' EXIT

# These machines need podman's config from shared/DESIGN.md ("Containers here"); a machine
# whose podman already works keeps its own.
if [ -z "${CONTAINERS_CONF:-}" ] && ! podman info >/dev/null 2>&1; then
  printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' >"$ctx/containers.conf"
  printf '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n' >"$ctx/storage.conf"
  export CONTAINERS_CONF=$ctx/containers.conf CONTAINERS_STORAGE_CONF=$ctx/storage.conf
fi

build() {  # tag, containerfile, context, extra podman-build args...
  local tag=$1 file=$2 dir=$3; shift 3
  if ! podman build -q -f "$file" -t "$tag" "$@" "$dir" >"$ctx/build.log" 2>&1; then
    echo "build_images.sh: podman build of $tag failed:" >&2
    tail -n 20 "$ctx/build.log" >&2
    exit 1
  fi
  echo "built $tag"
}

# The per-arch images again, in a private store, joined in a manifest list that is pushed
# into an OCI archive; the private store is then thrown away.
multiarch_archive() {
  local out=${IMAGES_OUT:-build/images} a list=localhost/monitor_system-multiarch:$version
  local archive
  mkdir -p "$out" "$ctx/store"
  archive=$(cd "$out" && pwd)/monitor_system-$version.oci.tar
  printf '[storage]\ndriver = "vfs"\nrunroot = "%s/run"\ngraphroot = "%s/graph"\n' \
    "$ctx/store" "$ctx/store" >"$ctx/store/storage.conf"
  (
    export CONTAINERS_STORAGE_CONF=$ctx/store/storage.conf
    podman manifest create "$list" >/dev/null
    for a in "${arches[@]}"; do
      build "localhost/monitor_system:$a" images/monitor.Containerfile "$ctx/bin" \
        --arch "$a" --os linux --build-arg TARGETARCH="$a" >/dev/null
      podman manifest add "$list" "containers-storage:localhost/monitor_system:$a" >/dev/null
    done
    rm -f "$archive"
    podman manifest push -q --all "$list" "oci-archive:$archive" >"$ctx/push.log" 2>&1 ||
      { cat "$ctx/push.log" >&2; exit 1; }
  )
  echo "built $archive (${arches[*]})"
}

mkdir -p "$ctx/bin/amd64" "$ctx/bin/arm64" "$ctx/busybox"
cp "$amd64_bin" "$ctx/bin/amd64/monitor_system"
arches=(amd64)
if [ -x "$arm64_bin" ]; then
  cp "$arm64_bin" "$ctx/bin/arm64/monitor_system"
  arches+=(arm64)
fi

for a in "${arches[@]}"; do
  build "$repo:$version-$a" images/monitor.Containerfile "$ctx/bin" \
    --arch "$a" --os linux --build-arg TARGETARCH="$a"
  podman tag "$repo:$version-$a" "$repo:latest-$a"
done
# `latest`: the build host's architecture, the examples' default MONITOR_IMAGE.
podman tag "$repo:$version-amd64" "$repo:latest"
multiarch_archive
# busybox_image ARCH BUSYBOX: the monitor of ARCH plus that busybox, a shell image to try
# things in. The applet names come from this machine's busybox (the other one may not run).
busybox_image() {
  local a=$1 bb=$2 dir=$ctx/busybox-$1
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/tmp"
  chmod 1777 "$dir/rootfs/tmp"
  cp "$bb" "$dir/rootfs/bin/busybox"
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$dir/rootfs/bin/$applet"
  done
  build "$repo-busybox:$version-$a" images/busybox.Containerfile "$dir" \
    --arch "$a" --os linux --build-arg MONITOR_IMAGE="$repo:$version-$a"
}
busybox_image amd64 "$busybox"
podman tag "$repo-busybox:$version-amd64" "$repo-busybox:$version"
podman tag "$repo-busybox:$version" "$repo-busybox:latest"
if [[ " ${arches[*]} " == *" arm64 "* ]]; then
  if arm64_busybox=$(tools/fetch_busybox.sh aarch64); then
    busybox_image arm64 "$arm64_busybox"
  else
    echo "build_images.sh: no arm64 busybox, so no $repo-busybox:$version-arm64" >&2
  fi
fi
