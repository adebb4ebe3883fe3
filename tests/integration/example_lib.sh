# shellcheck shell=bash
# Sourced by the example and end-to-end tests after lib.sh: reading summary.json and CSV
# files (python3, in every test install), and running an example workload under
# monitor_system the way a container does (runscript and program side by side).

# json_get FILE KEY[.KEY...]: prints the value ("null" for null, nothing when absent).
json_get() {
  python3 - "$1" "$2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))
PY
}

# csv_rows FILE: data rows (header excluded).
csv_rows() { python3 -c 'import csv,sys; print(max(0, len(list(csv.reader(open(sys.argv[1])))) - 1))' "$1"; }

# csv_has_columns FILE COL...: every COL is in the header.
csv_has_columns() {
  python3 - "$@" <<'PY'
import csv, sys
header = next(csv.reader(open(sys.argv[1])))
missing = [c for c in sys.argv[2:] if c not in header]
if missing:
    print("missing columns: " + ", ".join(missing), file=sys.stderr)
sys.exit(1 if missing else 0)
PY
}

# csv_column_max FILE COL: the largest numeric value of COL (empty fields skipped).
csv_column_max() {
  python3 - "$1" "$2" <<'PY'
import csv, sys
vals = [float(r[sys.argv[2]]) for r in csv.DictReader(open(sys.argv[1])) if r.get(sys.argv[2])]
print(max(vals) if vals else "")
PY
}

# num_cmp A OP B: numeric comparison (floats), OP one of < <= > >= ==.
num_cmp() { python3 -c 'import sys; a,op,b=float(sys.argv[1]),sys.argv[2],float(sys.argv[3]); sys.exit(0 if eval("a"+op+"b") else 1)' "$1" "$2" "$3" 2>/dev/null; }

# stage_example EXAMPLE DIR: copies the example's runscript and its natively built program
# (examples/build.sh --arch native DIR) into DIR/app, the layout of the images.
stage_example() {
  local ex=$1 dir=$2
  mkdir -p "$dir/app"
  cp "$ROOT/examples/$ex/runscript.sh" "$dir/app/"
  if [ -d "$EXAMPLES_BIN/$ex" ]; then cp "$EXAMPLES_BIN/$ex"/* "$dir/app/"; fi
}

# build_examples_native: builds every compiled workload once per test into $EXAMPLES_BIN.
build_examples_native() {
  EXAMPLES_BIN=$TMP/examples-bin
  "$ROOT/examples/build.sh" --arch native "$EXAMPLES_BIN"
}
