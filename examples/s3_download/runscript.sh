#!/bin/sh
# s3_download: how fast can this instance read my data from S3?
#   runscript.sh s3://BUCKET/PREFIX/ [ROUNDS]
# Downloads every object under the prefix ROUNDS times (default 1) into a scratch directory
# with the same S3 client monitor_system uploads its results with (parallel ranged GETs for
# large objects), prints MiB/s and writes -MiB/s to ./benchmark_custom.txt (the optimiser
# minimises, so the fastest instance has the lowest value). The monitor's net_rx columns
# show the same traffic from the network's side.
#
# The client is, in this order: $S3_CLI (a command that takes "cp --recursive SRC DST"),
# the image's /monitor_system ("monitor_system s3 cp"), or `orchestrate s3` on PATH.
# Credentials come from the usual chain (the job's role on AWS Batch).
set -eu
src=${1:?usage: runscript.sh s3://BUCKET/PREFIX/ [ROUNDS]}
rounds=${2:-1}
if [ -n "${S3_CLI:-}" ]; then
  cli=$S3_CLI
elif [ -x /monitor_system ]; then
  cli="/monitor_system s3"
elif command -v orchestrate >/dev/null 2>&1; then
  cli="orchestrate s3"
else
  echo "runscript.sh: no S3 client: set S3_CLI, or run in the image (/monitor_system)" >&2
  exit 127
fi
scratch=./s3-download.$$
trap 'rm -rf "$scratch"' EXIT INT TERM

uptime_seconds() { read -r up _ </proc/uptime; echo "$up"; }

total_bytes=0
start=$(uptime_seconds)
i=1
while [ "$i" -le "$rounds" ]; do
  rm -rf "$scratch"
  mkdir -p "$scratch"
  # shellcheck disable=SC2086 # $cli is a command and its first words
  $cli cp --recursive "$src" "$scratch/"
  bytes=$(find "$scratch" -type f -exec cat {} + | wc -c)
  if [ "$bytes" -eq 0 ]; then
    echo "runscript.sh: nothing downloaded from $src" >&2
    exit 1
  fi
  total_bytes=$((total_bytes + bytes))
  i=$((i + 1))
done
end=$(uptime_seconds)
awk -v b="$total_bytes" -v s="$start" -v e="$end" -v r="$rounds" 'BEGIN {
  t = e - s; if (t < 0.01) t = 0.01
  printf "downloaded %d bytes in %d round(s), %.2f s: %.2f MiB/s\n", b, r, t, b / 1048576 / t
  printf "%.6f\n", -(b / 1048576 / t) > "benchmark_custom.txt"
}'
