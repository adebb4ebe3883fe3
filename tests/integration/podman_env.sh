# Sourced by integration tests that run containers, after tests/integration/lib.sh:
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/podman_env.sh"
#   podman_env_setup                   # or skips the test (exit 77) when podman cannot run
#   podman run --rm --network host IMAGE ...
#   podman_service_start               # Docker API on a private socket; exports DOCKER_HOST
#   podman_scratch_image TAG DIR       # builds DIR/Containerfile as localhost/TAG
# The configuration is the one shared/DESIGN.md ("Containers here") records as working on
# these machines: runc, cgroupfs, file events, vfs storage. The config files belong to the
# test (under $TMP); images live in the machine's usual store so tests share the layers.

# Writes the test's containers.conf and storage.conf and points podman at them.
podman_env_setup() {
  command -v podman >/dev/null || skip "podman is not installed (tools/install_deps.sh --test)"
  command -v runc >/dev/null || skip "runc is not installed (tools/install_deps.sh --test)"
  local dir=$TMP/podman-conf
  mkdir -p "$dir"
  cat >"$dir/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  cat >"$dir/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "${PODMAN_RUNROOT:-/run/containers/storage}"
graphroot = "${PODMAN_GRAPHROOT:-/var/lib/containers/storage}"
EOF
  export CONTAINERS_CONF=$dir/containers.conf
  export CONTAINERS_STORAGE_CONF=$dir/storage.conf
  podman info >"$TMP/podman-info.log" 2>&1 ||
    skip "podman cannot run here: $(tail -n 1 "$TMP/podman-info.log")"
}

# Builds DIR/Containerfile (or Dockerfile) into localhost/TAG. Quiet unless it fails.
podman_scratch_image() {  # tag, context dir
  if ! podman build -q -t "localhost/$1" "$2" >"$TMP/podman-build-$1.log" 2>&1; then
    echo "podman build of $1 failed:" >&2
    tail -n 20 "$TMP/podman-build-$1.log" >&2
    return 1
  fi
}

# Removes an image at exit (images are named per test so parallel tests do not collide).
podman_remove_image_at_exit() {  # tag
  on_exit "podman rmi -f localhost/$1"
}

# Starts `podman system service` serving the Docker API on a socket under $TMP and waits
# until it answers. Exports DOCKER_HOST (and PODMAN_SOCKET, the path). Stopped at exit.
podman_service_start() {
  PODMAN_SOCKET=$TMP/podman.sock
  export PODMAN_SOCKET
  podman system service --time=0 "unix://$PODMAN_SOCKET" >"$TMP/podman-service.log" 2>&1 &
  PODMAN_SERVICE_PID=$!
  on_exit "podman_service_stop"
  local i
  for i in $(seq 1 200); do
    if curl -sf --unix-socket "$PODMAN_SOCKET" http://d/_ping >/dev/null 2>&1; then
      export DOCKER_HOST=unix://$PODMAN_SOCKET
      return 0
    fi
    kill -0 "$PODMAN_SERVICE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "podman system service did not answer on $PODMAN_SOCKET:" >&2
  tail -n 20 "$TMP/podman-service.log" >&2
  return 1
}

podman_service_stop() {
  [ -n "${PODMAN_SERVICE_PID:-}" ] || return 0
  kill "$PODMAN_SERVICE_PID" 2>/dev/null
  local i
  for i in $(seq 1 50); do
    kill -0 "$PODMAN_SERVICE_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$PODMAN_SERVICE_PID" 2>/dev/null
  wait "$PODMAN_SERVICE_PID" 2>/dev/null
  PODMAN_SERVICE_PID=
  unset DOCKER_HOST
}
