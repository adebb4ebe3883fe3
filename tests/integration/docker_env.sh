# Sourced by integration tests that need a Docker Engine, after tests/integration/lib.sh:
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/docker_env.sh"
#   docker_daemon_start        # a private dockerd of this test; exports DOCKER_HOST
#   docker build ... / docker run ...
# The daemon is Debian's docker.io (tools/install_deps.sh --test), started by the test with
# everything under $TMP: its own socket, data and exec roots, containerd namespace and pid
# file, the vfs storage driver and host networking only (no bridge, no iptables rules), so
# it touches nothing of the machine's and goes away with the test. Root only.

docker_daemon_start() {
  command -v dockerd >/dev/null || { fail "dockerd is missing (tools/install_deps.sh --test installs docker.io)"; exit 1; }
  command -v docker >/dev/null || { fail "the docker CLI is missing (tools/install_deps.sh --test)"; exit 1; }
  [ "$(id -u)" -eq 0 ] || skip "a private dockerd needs root"
  # Unix socket paths are short (108 bytes): the exec root and socket live in a short dir.
  local run
  run=$(mktemp -d /tmp/dk.XXXXXX)
  dockerd --data-root "$TMP/docker-data" --exec-root "$run/exec" -H "unix://$run/docker.sock" \
    --pidfile "$run/docker.pid" --storage-driver vfs --iptables=false --ip6tables=false \
    --bridge=none --containerd-namespace "it-$$" --containerd-plugins-namespace "it-$$-plugins" \
    >"$TMP/dockerd.log" 2>&1 &
  local pid=$!
  # Containers first (a daemon stopping leaves them), then the daemon and its containerd.
  on_exit "docker_daemon_stop $pid"
  # dockerd leaves its network namespace file mounted in the exec root.
  on_exit "awk -v r='$run/' 'index(\$2, r) == 1 {print \$2}' /proc/self/mounts | xargs -r umount; rm -rf '$run'"
  export DOCKER_HOST=unix://$run/docker.sock
  local i
  for i in $(seq 1 150); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  fail "dockerd did not start: $(tail -n 5 "$TMP/dockerd.log")"
  exit 1
}

docker_daemon_stop() {  # pid
  docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1
  kill "$1" 2>/dev/null
  local i
  for i in $(seq 1 100); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$1" 2>/dev/null
}
