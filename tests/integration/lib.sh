# Sourced by integration tests. Gives check/expect helpers, a private temp dir cleaned at
# exit, free-port picking, and the RESULT line tests/run_tests.sh adds up.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
MONITOR=${MONITOR:-$BUILD/monitor_system}
ORCHESTRATE=${ORCHESTRATE:-$BUILD/orchestrate}
T_PASSED=0
T_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/it.XXXXXX")
_cleanup_hooks=()
on_exit() { _cleanup_hooks+=("$1"); }
_finish() {
  local rc=$?
  for h in "${_cleanup_hooks[@]}"; do eval "$h" >/dev/null 2>&1 || true; done
  rm -rf "$TMP"
  if [ "$rc" -ne 77 ]; then
    echo "RESULT passed=$T_PASSED failed=$T_FAILED"
    [ "$T_FAILED" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
    exit 1
  fi
}
trap _finish EXIT

pass() { T_PASSED=$((T_PASSED + 1)); echo "ok   $*"; }
fail() { T_FAILED=$((T_FAILED + 1)); echo "FAIL $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d (command: $*)"; fi; }
# expect_eq DESCRIPTION ACTUAL EXPECTED
expect_eq() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: got '$2', expected '$3'"; fi; }
skip() { echo "SKIP $*"; exit 77; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_for_port PORT [SECONDS]
wait_for_port() {
  local i
  for i in $(seq 1 $((${2:-20} * 10))); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
