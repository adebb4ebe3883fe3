#!/usr/bin/env bash
# monitor_system's exit status: the workload's own (0..255), 128+N for death by signal N,
# 127/126 for a missing/non-executable command; everything after --cmd belongs to the
# command; --shell; usage errors. Each run still leaves a summary with the status.
. "$(dirname "$0")/lib.sh"
cd "$TMP"

run() { "$MONITOR" --quiet --interval 0.05 --workdir "$TMP/out" "$@"; }
status_of() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["status"], s["exit_code"], s["signal"])' "$TMP/out/summary.json"; }

for code in 0 1 2 42 126 127 128 200 255; do
  run --cmd sh -c "exit $code"
  expect_eq "exit status $code passes through" "$?" "$code"
done
expect_eq "summary of exit 255" "$(status_of)" "failed 255 None"
run --cmd true
expect_eq "summary of success" "$(status_of)" "succeeded 0 None"

for sig in 9 15 6 10; do
  run --cmd sh -c "kill -$sig \$\$"
  expect_eq "death by signal $sig gives 128+$sig" "$?" "$((128 + sig))"
done
expect_eq "summary of a signalled workload" "$(status_of)" "signalled None 10"

run --cmd "$TMP/does-not-exist" 2>"$TMP/err"
expect_eq "missing command gives 127" "$?" 127
expect_eq "summary of a missing command" "$(status_of)" "not_started 127 None"
check "the reason is logged" grep -q "No such file" "$TMP/err"
check "a CSV exists even so" test -s "$TMP/out/timeseries.csv"

printf 'echo hi\n' >"$TMP/noexec.sh"
chmod 644 "$TMP/noexec.sh"
run --cmd "$TMP/noexec.sh" 2>/dev/null
expect_eq "non-executable command gives 126" "$?" 126
run --cmd /etc 2>/dev/null
expect_eq "a directory gives 126" "$?" 126

out=$(run --cmd printf '%s|' --interval -g --help -- x)
expect_eq "everything after --cmd is the command's" "$out" "--interval|-g|--help|--|x|"
check "stdout.log holds the output too" grep -qx -- "--interval|-g|--help|--|x|" <(cat "$TMP/out/stdout.log"; echo)

out=$(run --shell --cmd 'echo "$1-$2" | tr a-z A-Z' ab cd)
expect_eq "--shell runs sh -c with arguments" "$out" "AB-CD"
out=$(run --cmd sh -c 'echo "$0"' 'a b;c')
expect_eq "no shell without --shell: argv stays intact" "$out" "a b;c"

"$MONITOR" --interval 0.001 --cmd true 2>/dev/null
expect_eq "usage error exits 2" "$?" 2
"$MONITOR" 2>/dev/null
expect_eq "no command exits 2" "$?" 2
"$MONITOR" --help >/dev/null
expect_eq "--help exits 0" "$?" 0
check "--version names the program" sh -c "'$MONITOR' --version | grep -q '^monitor_system '"

# The man page documents every option --help lists and every fixed CSV column.
man_text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$ROOT/man/monitor_system.1")
for opt in $("$MONITOR" --help | grep -oE -- '(^| )--?[a-z0-9][a-z0-9-]*' | sort -u); do
  case "$man_text" in *"$opt"*) ;; *) fail "man page lacks option $opt" ;; esac
done
"$MONITOR" --quiet --workdir "$TMP/man" --cmd true
missing=""
for col in $(head -n1 "$TMP/man/timeseries.csv" | tr ',' '\n' | grep -vE '^net_[a-z0-9_]+_(rx|tx)_(bytes|packets)$|^gpu[0-9]+_'); do
  grep -qF ".B $col" <<<"$man_text" || missing="$missing $col"
done
expect_eq "the man page documents every CSV column" "$missing" ""
