#!/usr/bin/env bash
# Retries and failure handling of the S3 client, through a fault-injecting proxy in front of
# signature-checking moto: 503 SlowDown and 500 are retried until the upload lands; parts
# whose connection is reset mid-body are sent again and the object is byte-identical; a part
# whose answer never comes is dropped after the stall limit and sent again; bytes changed on
# the way are caught (with MD5 the server's ETag is not ours; with CRC32 the echoed checksum
# or the object's composite checksum is not ours) and sent again; a 403
# is not retried (one request); when a multipart upload fails for good it is aborted (no
# orphan upload left); an endpoint that stays down fails with a clear message and leaves the
# file in place; a download whose ranged GETs are cut mid-body is fetched again, intact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3_helpers.sh"

moto_start 3 "$TMP/moto.log"
moto=$moto_url
read -r key secret < <(moto_user "$moto" faults-tester)
[ -n "${secret:-}" ] || { fail "could not create an IAM user on moto"; exit 1; }
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$TMP/none AWS_SHARED_CREDENTIALS_FILE=$TMP/none
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL_S3 AWS_MAX_ATTEMPTS
aws --endpoint-url "$moto" s3 mb s3://faults >/dev/null
cd "$TMP"

proxy_pid=""
start_proxy() {  # FAULTS -> sets proxy_port, exports AWS_ENDPOINT_URL
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null
  proxy_port=$(free_port)
  FAULTS=$1 python3 "$ROOT/tests/integration/s3_fault_proxy.py" "$proxy_port" "127.0.0.1:$moto_port" \
    >>"$TMP/proxy.log" 2>&1 &
  proxy_pid=$!
  on_exit "kill $proxy_pid"
  wait_for_port "$proxy_port" 20 || { fail "fault proxy did not start"; exit 1; }
  export AWS_ENDPOINT_URL=http://127.0.0.1:$proxy_port
}
seen() { python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))[sys.argv[2]])' "http://127.0.0.1:$proxy_port/__counts" "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
direct() { aws --endpoint-url "$moto" "$@"; }
orphans() { direct s3api list-multipart-uploads --bucket faults --query 'length(Uploads || `[]`)' --output text; }

printf 'small\n' >small.txt
start_proxy slowdown:2
check "503 SlowDown twice, then success" "$MONITOR" upload --quiet small.txt s3://faults/slow/
expect_eq "three requests reached the proxy" "$(seen requests)" "3"

head -c $((12 * 1024 * 1024 + 99)) /dev/urandom >big.bin
start_proxy error500:1,reset-part:2
check "multipart upload through a 500 and two reset parts" \
  "$MONITOR" upload --quiet --part-size 5242880 --multipart-threshold 5242880 big.bin s3://faults/big/
expect_eq "three faults were injected" "$(seen faults)" "3"
direct s3 cp s3://faults/big/big.bin back.bin >/dev/null 2>&1
expect_eq "the object is byte-identical" "$(sha back.bin)" "$(sha big.bin)"
expect_eq "no orphan multipart upload" "$(orphans)" "0"

start_proxy stall-part:1
start=$SECONDS
check "a part whose answer never comes is abandoned and sent again" \
  "$MONITOR" upload --quiet --stall-timeout 2 --part-size 5242880 --multipart-threshold 5242880 big.bin s3://faults/stall/
check "within seconds, not the default 30" test $((SECONDS - start)) -lt 20
direct s3 cp s3://faults/stall/big.bin back_stall.bin >/dev/null 2>&1
expect_eq "the object is byte-identical" "$(sha back_stall.bin)" "$(sha big.bin)"

# Downloads: ranged GETs whose connection drops three quarters through the body are fetched
# again; whole blocks of a dropped attempt may already be on disk (direct I/O), and the
# retry writes its range again from the start.
start_proxy reset-get:3
check "a download through three ranged GETs reset mid-body" "$ORCHESTRATE" s3 cp --quiet \
  --part-size 5242880 --multipart-threshold 5242880 s3://faults/big/big.bin down_reset.bin
expect_eq "three faults were injected" "$(seen faults)" "3"
expect_eq "the download is byte-identical" "$(sha down_reset.bin)" "$(sha big.bin)"
check "no .part file left" test ! -e down_reset.bin.part

# MD5: moto does not check Content-MD5 either, but its ETag is the MD5 of what it stored.
start_proxy corrupt-put:1,corrupt-part:2
check "uploads whose bytes were changed on the way are sent again (md5)" \
  "$MONITOR" upload --quiet --checksum md5 small.txt s3://faults/corrupt/
expect_eq "the small object is intact" "$(direct s3 cp s3://faults/corrupt/small.txt - 2>/dev/null)" "small"
check "a multipart upload with two corrupted parts (md5)" \
  "$MONITOR" upload --quiet --checksum md5 --part-size 5242880 --multipart-threshold 5242880 big.bin s3://faults/corrupt/
expect_eq "three corruptions were injected" "$(seen faults)" "3"
direct s3 cp s3://faults/corrupt/big.bin back2.bin >/dev/null 2>&1
expect_eq "and the object is byte-identical" "$(sha back2.bin)" "$(sha big.bin)"

# CRC32: moto echoes the part checksums unchecked (S3 would refuse the part), but computes
# the object's composite checksum from the parts it stored: a difference has the whole
# upload done again.
start_proxy corrupt-part:1
out=$("$MONITOR" upload --quiet --checksum crc32 --part-size 5242880 --multipart-threshold 5242880 big.bin s3://faults/crc/ 2>&1); rc=$?
expect_eq "a CRC32 multipart upload with a corrupted part succeeds" "$rc" "0"
check "after the composite checksum showed the damage" grep -q "stored other bytes.*uploading it again" <<<"$out"
direct s3 cp s3://faults/crc/big.bin back3.bin >/dev/null 2>&1
expect_eq "and the object is byte-identical" "$(sha back3.bin)" "$(sha big.bin)"
expect_eq "no orphan multipart upload" "$(orphans)" "0"
# The checksum a server echoes is compared with ours: a different one is sent again.
start_proxy corrupt-echo:1
check "a PUT whose echoed CRC32 differs is sent again" \
  "$MONITOR" upload --quiet --checksum crc32 small.txt s3://faults/echo/
expect_eq "two requests for the small file" "$(seen requests)" "2"
start_proxy corrupt-echo:1
out=$("$MONITOR" upload --quiet --checksum crc32 --part-size 5242880 --multipart-threshold 5242880 big.bin s3://faults/echo/ 2>&1); rc=$?
expect_eq "a multipart upload whose first part's echoed CRC32 differs succeeds" "$rc" "0"
check "after sending that part again" grep -q "(part [0-9] of 3): the server stored other bytes.*sending it again" <<<"$out"
direct s3 cp s3://faults/echo/big.bin back4.bin >/dev/null 2>&1
expect_eq "and the object is byte-identical" "$(sha back4.bin)" "$(sha big.bin)"

start_proxy deny
out=$("$MONITOR" upload small.txt s3://faults/denied/ 2>&1); rc=$?
check "403 AccessDenied fails" test "$rc" -ne 0
expect_eq "and is not retried" "$(seen requests)" "1"
check "the error names the code and the object" bash -c 'grep -q "AccessDenied" <<<"$1" && grep -q "s3://faults/denied/small.txt" <<<"$1"' _ "$out"

start_proxy reset-part:1000
out=$(AWS_MAX_ATTEMPTS=2 "$MONITOR" upload --part-size 5242880 --multipart-threshold 5242880 big.bin s3://faults/doomed/ 2>&1); rc=$?
check "a multipart upload whose parts always fail fails" test "$rc" -ne 0
expect_eq "and is aborted (no orphan upload)" "$(orphans)" "0"

dead=$(free_port)
out=$(AWS_MAX_ATTEMPTS=2 AWS_ENDPOINT_URL=http://127.0.0.1:$dead "$MONITOR" upload small.txt s3://faults/down/ 2>&1); rc=$?
check "an endpoint that stays down fails" test "$rc" -ne 0
check "with a clear message" grep -qi "connect" <<<"$out"
check "and the file is still on disk" test -s small.txt
