#!/bin/sh
# prime_numbers: counts the primes up to LIMIT with THREADS threads.
#   runscript.sh [LIMIT [THREADS]]     (defaults: 2000000000, every online CPU)
# Writes the seconds spent to ./benchmark_custom.txt, which monitor_system reports as the
# custom metric. The program sits next to this script in the image (/app/primes) and in
# bin/ of a source checkout (examples/build.sh).
set -eu
limit=${1:-2000000000}
threads=${2:-$(nproc)}
here=$(dirname "$0")
prog=$here/primes
[ -x "$prog" ] || prog=$here/bin/primes
if [ ! -x "$prog" ]; then
  echo "runscript.sh: $here/bin/primes is missing: run examples/build.sh first" >&2
  exit 127
fi
exec "$prog" -t "$threads" -m benchmark_custom.txt "$limit"
