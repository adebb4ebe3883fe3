#!/usr/bin/env bash
# The README's first command, `make demo` (tools/demo.sh), as a user runs it: builds, runs
# the prime_numbers example on the local backend and ends with the ranked table and the
# path of report.html. The package and build steps are skipped: the test machine has the
# packages (the fresh-machine test covers tools/install_deps.sh), and the demo runs this test
# run's binaries in BUILD (with sanitizers under `make test`).
. "$(dirname "$0")/lib.sh"

out=$TMP/demo
if SKIP_INSTALL=1 SKIP_BUILD=1 BUILD=$BUILD "$ROOT/tools/demo.sh" --output "$out" >"$TMP/demo.out" 2>&1; then
  pass "tools/demo.sh exits 0"
else
  fail "tools/demo.sh: $(tail -n 8 "$TMP/demo.out")"
fi
check "it ends with the report's path" sh -c "tail -n 1 '$TMP/demo.out' | grep -q '^report: *$out/report.html\$'"
check "report.html is there" test -s "$out/report.html"
check "the ranked table names both instance types" \
  sh -c "grep -q 'c7i.large' '$TMP/demo.out' && grep -q 'c7i.xlarge' '$TMP/demo.out'"
rows=$(($(wc -l <"$out/results.csv") - 1))
expect_eq "results.csv has the 8 jobs" "$rows" 8
