#!/usr/bin/env bash
# `make install PREFIX=... DESTDIR=...` puts both binaries in bin/ and every page of man/
# in man1/ or man5/, and `man -l` renders each installed page without a warning.
. "$(dirname "$0")/lib.sh"

command -v man >/dev/null || skip "man-db is not installed (tools/install_deps.sh --test)"
dest=$TMP/dest
prefix=/opt/monitor-test
# The binaries are already built in $BUILD (make test builds them first, with its own
# flags): -o keeps make from rebuilding them here, so install only copies, and a test run
# never relinks the tree the other tests are using.
for b in monitor_system orchestrate; do
  [ -x "$BUILD/$b" ] || { fail "$BUILD/$b is missing: build first (make BUILD=$BUILD all)"; exit 1; }
done
check "make install succeeds" \
  make --no-print-directory -s -C "$ROOT" -o "$BUILD/monitor_system" -o "$BUILD/orchestrate" \
  BUILD="$BUILD" PREFIX="$prefix" DESTDIR="$dest" install
for b in monitor_system orchestrate; do
  check "$b installed and executable" test -x "$dest$prefix/bin/$b"
done
check "nothing installed outside DESTDIR+PREFIX" \
  sh -c "cd '$dest' && [ \"\$(find . -mindepth 1 -maxdepth 1)\" = './opt' ]"

pages=0
for src in "$ROOT"/man/*.[15]; do
  [ -e "$src" ] || continue
  pages=$((pages + 1))
  page=$(basename "$src")
  section=${page##*.}
  installed=$dest$prefix/share/man/man$section/$page
  check "$page installed in man$section" test -f "$installed"
  [ -f "$installed" ] || continue
  # --warnings asks groff for its warnings; any line on stderr is one.
  LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$installed" >"$TMP/$page.txt" 2>"$TMP/$page.err"
  rc=$?
  expect_eq "man -l $page exits 0" "$rc" 0
  if [ -s "$TMP/$page.err" ]; then
    fail "man -l $page printed warnings:"
    sed 's/^/    /' "$TMP/$page.err" | head -n 20
  else
    pass "man -l $page renders without warnings"
  fi
  check "$page renders a NAME section" grep -q '^NAME' "$TMP/$page.txt"
done
echo "man pages checked: $pages"
