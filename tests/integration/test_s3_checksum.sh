#!/usr/bin/env bash
# The upload checksum (--checksum crc32|md5|auto). Against moto with signature checking:
# random files of several sizes, single PutObject and multipart (1 and 3 parts), uploaded
# with CRC32; the checksum moto keeps for each object (HeadObject, checksum mode) equals
# the one Python's zlib.crc32 gives for the file (the plain CRC32, or for multipart the
# composite "CRC32 of the parts' CRC32s-N", which moto computes from the parts it stored),
# and the aws CLI reads every object back byte for byte. The default on a custom endpoint is
# MD5 (no CRC32 kept), a bad --checksum is a usage error, a write-only user's upload
# succeeds though the checksum cannot be read back (a warning). Against s3rver (which ignores
# x-amz-checksum-*): a CRC32 multipart upload lands intact, with a warning that the server
# did not confirm the checksum.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3_helpers.sh"

moto_start 3 "$TMP/moto.log"
read -r key secret < <(moto_user "$moto_url" checksum-tester)
[ -n "${secret:-}" ] || { fail "could not create an IAM user on moto"; exit 1; }
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=$TMP/none AWS_SHARED_CREDENTIALS_FILE=$TMP/none
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL_S3 AWS_MAX_ATTEMPTS
export AWS_ENDPOINT_URL=$moto_url
awsx() { aws --endpoint-url "$moto_url" "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
part=$((5 * 1024 * 1024))
# python_crc FILE: the checksum S3 keeps for FILE uploaded in $part-byte parts from
# $part bytes on (the multipart threshold below), computed with Python's zlib.
python_crc() {
  python3 - "$1" "$part" <<'PY'
import base64, sys, zlib
data = open(sys.argv[1], "rb").read()
part = int(sys.argv[2])
b64 = lambda c: base64.b64encode(c.to_bytes(4, "big")).decode()
if len(data) < part:
    print(b64(zlib.crc32(data)))
else:
    crcs = [zlib.crc32(data[i:i + part]) for i in range(0, len(data), part)]
    print("%s-%d" % (b64(zlib.crc32(b"".join(c.to_bytes(4, "big") for c in crcs))), len(crcs)))
PY
}
# The CRC32 moto keeps for an object (without the "-N" of a composite checksum, which moto's
# HeadObject leaves out; S3's has it).
kept_crc() {
  awsx s3api head-object --bucket sums --key "$1" --checksum-mode ENABLED \
    --query ChecksumCRC32 --output text 2>/dev/null | sed 's/-[0-9]*$//'
}

check "bucket created" awsx s3 mb s3://sums >/dev/null
cd "$TMP"
for size in 0 1 1000003 $part $((2 * part + part / 2 + 7)); do
  head -c "$size" /dev/urandom >"f$size.bin"
  check "orchestrate s3 cp --checksum crc32 of $size bytes" "$ORCHESTRATE" s3 cp --quiet \
    --checksum crc32 --part-size "$part" --multipart-threshold "$part" \
    "f$size.bin" "s3://sums/crc/f$size.bin"
  expect_eq "the checksum moto keeps for $size bytes is Python's zlib.crc32's" \
    "$(kept_crc "crc/f$size.bin")" "$(python_crc "f$size.bin" | sed 's/-[0-9]*$//')"
  rm -f back.bin
  awsx s3 cp "s3://sums/crc/f$size.bin" back.bin >/dev/null 2>&1
  expect_eq "the aws CLI reads $size bytes back identical" "$(sha back.bin)" "$(sha "f$size.bin")"
done

big=f$((2 * part + part / 2 + 7)).bin
check "monitor_system upload --checksum crc32 (multipart)" "$MONITOR" upload --quiet \
  --checksum crc32 --part-size "$part" --multipart-threshold "$part" "$big" s3://sums/mon/
expect_eq "its composite checksum is Python's" "$(kept_crc "mon/$big")" "$(python_crc "$big" | sed 's/-3$//')"
# The shipped static monitors compute CRC32 with their own libdeflate build (PCLMULQDQ on
# x86-64, the ARMv8 CRC32 instructions on aarch64, chosen at run time): both must agree.
qemu=$(command -v qemu-aarch64-static || true)
for static in "$ROOT/build/static/monitor_system" "$ROOT/build/static-arm64/monitor_system"; do
  [ -x "$static" ] || continue
  run=("$static")
  case "$static" in
    *arm64*) [ -n "$qemu" ] || continue; run=("$qemu" "$static") ;;
  esac
  name=$(basename "$(dirname "$static")")
  check "$name monitor_system upload --checksum crc32" "${run[@]}" upload --quiet \
    --checksum crc32 --part-size "$part" --multipart-threshold "$part" "$big" "s3://sums/$name/"
  expect_eq "$name: its composite checksum is Python's" "$(kept_crc "$name/$big")" \
    "$(python_crc "$big" | sed 's/-3$//')"
  check "$name: a one-part upload's CRC32" "${run[@]}" upload --quiet --checksum crc32 \
    f1000003.bin "s3://sums/$name/"
  expect_eq "$name: its CRC32 is Python's" "$(kept_crc "$name/f1000003.bin")" \
    "$(python_crc f1000003.bin)"
done

check "the default on a custom endpoint" "$ORCHESTRATE" s3 cp --quiet f1000003.bin s3://sums/default/f.bin
expect_eq "is MD5: moto keeps no CRC32" "$(kept_crc default/f.bin)" "None"
out=$("$ORCHESTRATE" s3 cp --checksum sha7 f1.bin s3://sums/bad/f.bin 2>&1); rc=$?
expect_eq "an unknown --checksum is a usage error" "$rc" "2"
check "that names the choices" grep -q "crc32, md5 or auto" <<<"$out"

# A role that may write but not read (HeadObject needs s3:GetObject): the object's
# checksum cannot be read back, and that is a warning, not a failed upload.
iam=(env AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret aws --endpoint-url "$moto_url" iam)
"${iam[@]}" create-user --user-name writer >/dev/null
"${iam[@]}" put-user-policy --user-name writer --policy-name write-only --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:AbortMultipartUpload"],"Resource":"*"}]}'
read -r wkey wsecret < <("${iam[@]}" create-access-key --user-name writer \
  --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
out=$(AWS_ACCESS_KEY_ID=$wkey AWS_SECRET_ACCESS_KEY=$wsecret "$ORCHESTRATE" s3 cp --quiet \
  --checksum crc32 --part-size "$part" --multipart-threshold "$part" "$big" s3://sums/wo/big.bin 2>&1); rc=$?
expect_eq "a write-only user's CRC32 multipart upload succeeds" "$rc" "0"
check "with a warning that its checksum could not be read back" grep -q "could not be read back" <<<"$out"
rm -f back.bin
awsx s3 cp s3://sums/wo/big.bin back.bin >/dev/null 2>&1
expect_eq "and the object is intact" "$(sha back.bin)" "$(sha "$big")"

# s3rver: a second server, which neither checks nor echoes x-amz-checksum-*.
command -v node >/dev/null || { fail "node not installed (tools/install_deps.sh --test)"; exit 1; }
if [ ! -d "$ROOT/build/node_modules/@20minutes/s3rver" ]; then
  npm install --prefix "$ROOT/build" --no-audit --no-fund --no-save @20minutes/s3rver@4.0.4 \
    >"$TMP/npm.log" 2>&1 || { cat "$TMP/npm.log"; fail "npm install @20minutes/s3rver@4.0.4"; exit 1; }
fi
port=$(free_port)
mkdir -p "$TMP/store"
NODE_PATH=$ROOT/build/node_modules node --openssl-legacy-provider "$ROOT/tests/integration/s3rver_start.js" \
  "$port" "$TMP/store" sums >"$TMP/s3rver.log" 2>&1 &
on_exit "kill $!"
wait_for_port "$port" 30 || { cat "$TMP/s3rver.log"; fail "s3rver did not start"; exit 1; }
s3rver_env=(env AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_ENDPOINT_URL=http://127.0.0.1:$port)
out=$("${s3rver_env[@]}" "$ORCHESTRATE" s3 cp --quiet --checksum crc32 --part-size "$part" \
  --multipart-threshold "$part" "$big" s3://sums/s3rver/big.bin 2>&1); rc=$?
expect_eq "s3rver: a CRC32 multipart upload succeeds" "$rc" "0"
check "with a warning that the server did not confirm the checksum" grep -q "did not confirm the CRC32" <<<"$out"
rm -f back.bin
"${s3rver_env[@]}" aws s3 cp s3://sums/s3rver/big.bin back.bin >/dev/null 2>&1
expect_eq "the aws CLI reads it back identical from s3rver" "$(sha back.bin)" "$(sha "$big")"
