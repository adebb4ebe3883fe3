#!/usr/bin/env bash
# The static aarch64 monitor (make static-arm64) runs under qemu-aarch64-static (called
# explicitly, so this holds without binfmt_misc) and monitors an aarch64 workload: a tiny
# static aarch64 program, itself started through qemu for the same reason. Checks the exit
# status, the CSV and the summary, including the architecture the monitor reports.
. "$(dirname "$0")/lib.sh"

STATIC=${STATIC_ARM64_BUILD:-$ROOT/build/static-arm64}
bin=$STATIC/monitor_system
[ -x "$bin" ] || { fail "$bin is missing: run make static-arm64"; exit 1; }
qemu=$(command -v qemu-aarch64-static) || skip "qemu-user-static is not installed"
command -v aarch64-linux-gnu-gcc >/dev/null || skip "gcc-aarch64-linux-gnu is not installed"

check "monitor_system is an aarch64 ELF" sh -c "file -L '$bin' | grep -q 'ARM aarch64'"
check "monitor_system is statically linked" sh -c "file -L '$bin' | grep -q 'statically linked'"

# The workload: burns some CPU, prints, exits 5.
cat >"$TMP/work.c" <<'EOF'
#include <stdio.h>
int main(void)
{
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 50000000UL; i++) x += i;
    printf("aarch64 workload done %lu\n", (unsigned long)x);
    return 5;
}
EOF
check "static aarch64 workload compiles" \
  aarch64-linux-gnu-gcc -O1 -static -o "$TMP/work" "$TMP/work.c"

"$qemu" "$bin" --quiet --interval 0.1 --workdir "$TMP/work-dir" --result-url "$TMP/res" \
  --instance-type m7g.large --cmd "$qemu" "$TMP/work" >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
expect_eq "exit status of the aarch64 workload passes through" "$rc" 5
check "workload output passed through" grep -q 'aarch64 workload done' "$TMP/stdout"

csv=$(find "$TMP/res" "$TMP/work-dir" -name timeseries.csv 2>/dev/null | head -n 1)
summary=$(find "$TMP/res" "$TMP/work-dir" -name summary.json 2>/dev/null | head -n 1)
check "timeseries.csv written" test -s "$csv"
check "summary.json written" test -s "$summary"
if [ -s "$csv" ]; then
  check "CSV header has elapsed_seconds" sh -c "head -n 1 '$csv' | grep -q elapsed_seconds"
  check "CSV has sample rows" test "$(wc -l <"$csv")" -ge 2
fi
if [ -s "$summary" ]; then
  expect_eq "summary exit_code" "$(jq -r .exit_code "$summary")" 5
  expect_eq "summary architecture" "$(jq -r .instance.architecture "$summary")" aarch64
  expect_eq "summary instance type" "$(jq -r .instance.type "$summary")" m7g.large
fi
[ -s "$TMP/stderr" ] && sed 's/^/stderr: /' "$TMP/stderr" | tail -n 20
true
