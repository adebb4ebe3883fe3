#!/bin/sh
# external_sort: sorts DATA_MB of random keys with at most MEM_MB of memory, on disk.
#   runscript.sh [DATA_MB [MEM_MB [DIR]]]     (defaults: 1024, 128, a scratch dir under ./)
# Memory (tree RSS, cgroup memory) follows MEM_MB, disk I/O follows DATA_MB. Writes the
# seconds spent to ./benchmark_custom.txt. DIR should be on the disk you want to measure
# (an instance-store or EBS mount); the default is a fresh directory in the working one.
set -eu
data_mb=${1:-1024}
mem_mb=${2:-128}
dir=${3:-}
made_dir=""
if [ -z "$dir" ]; then
  dir=./extsort-scratch.$$
  made_dir=$dir
fi
here=$(dirname "$0")
prog=$here/extsort
[ -x "$prog" ] || prog=$here/bin/extsort
if [ ! -x "$prog" ]; then
  echo "runscript.sh: $here/bin/extsort is missing: run examples/build.sh first" >&2
  exit 127
fi
mkdir -p "$dir"
status=0
"$prog" -d "$dir" -m benchmark_custom.txt "$data_mb" "$mem_mb" || status=$?
# extsort removes its own files; a folder this script made goes too, a given one stays.
[ -z "$made_dir" ] || rmdir "$made_dir" 2>/dev/null || true
exit "$status"
