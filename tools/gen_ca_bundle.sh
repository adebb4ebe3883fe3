#!/bin/sh
# Writes the C initialiser of the CA bundle uploader/ca_embedded.c compiles in (the
# fallback for FROM scratch images, which hold no CA file): gen_ca_bundle.sh SRC OUT.
# A missing SRC yields an empty bundle, so builds on hosts without one still work.
set -eu
src=$1
out=$2
mkdir -p "$(dirname "$out")"
tmp=$out.tmp
if [ -r "$src" ]; then
  # Only the certificates: comments and blank lines are dropped to keep the binary small.
  sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$src" | od -An -v -tx1 |
    sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g' >"$tmp"
else
  : >"$tmp"
fi
echo '0x00' >>"$tmp"
mv "$tmp" "$out"
