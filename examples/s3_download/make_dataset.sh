#!/bin/sh
# Uploads a synthetic data set for the s3_download example: FILES objects of SIZE_MB each,
# random bytes, under s3://BUCKET/PREFIX/.
#   make_dataset.sh s3://BUCKET/PREFIX/ [FILES [SIZE_MB]]     (defaults: 8 files of 64 MiB)
# Uses $S3_CLI (default: orchestrate s3), which takes "cp SRC DST".
set -eu
dst=${1:?usage: make_dataset.sh s3://BUCKET/PREFIX/ [FILES [SIZE_MB]]}
files=${2:-8}
size_mb=${3:-64}
cli=${S3_CLI:-orchestrate s3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
i=0
while [ "$i" -lt "$files" ]; do
  name=$(printf 'part-%05d.bin' "$i")
  head -c $((size_mb * 1048576)) /dev/urandom >"$dir/$name"
  # shellcheck disable=SC2086 # $cli is a command and its first words
  $cli cp "$dir/$name" "${dst%/}/$name"
  rm -f "$dir/$name"
  i=$((i + 1))
done
echo "uploaded $files x $size_mb MiB to $dst"
