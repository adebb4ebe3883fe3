#!/bin/sh
# param_tuning: a blocked matrix multiply whose speed depends on THREADS and BLOCK.
#   runscript.sh THREADS BLOCK [N]     (N: matrix size, default 1024)
# Writes -GFLOP/s to ./benchmark_custom.txt: the search minimises the custom metric, so the
# fastest (THREADS, BLOCK) for each instance type is the one with the lowest value.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: runscript.sh THREADS BLOCK [N]" >&2
  exit 2
fi
here=$(dirname "$0")
prog=$here/tune
[ -x "$prog" ] || prog=$here/bin/tune
if [ ! -x "$prog" ]; then
  echo "runscript.sh: $here/bin/tune is missing: run examples/build.sh first" >&2
  exit 127
fi
exec "$prog" -n "${3:-1024}" -m benchmark_custom.txt "$1" "$2"
