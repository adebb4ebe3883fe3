#!/usr/bin/env bash
# The S3 client over HTTPS: a TLS endpoint (the fault proxy with a certificate from a test
# CA, in front of s3rver) is trusted through AWS_CA_BUNDLE, transfers work and are
# byte-identical; without that CA the certificate is refused at once (not retried) with a
# message that says so.
. "$(dirname "$0")/lib.sh"

command -v node >/dev/null || { fail "node not installed (tools/install_deps.sh --test)"; exit 1; }
command -v openssl >/dev/null || { fail "openssl not installed"; exit 1; }
cache=$ROOT/build
if [ ! -d "$cache/node_modules/@20minutes/s3rver" ]; then
  npm install --prefix "$cache" --no-audit --no-fund --no-save @20minutes/s3rver@4.0.4 \
    >"$TMP/npm.log" 2>&1 || { cat "$TMP/npm.log"; fail "npm install @20minutes/s3rver@4.0.4"; exit 1; }
fi
cd "$TMP"

# A private CA and a certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca \
  >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
  -extfile san.ext >/dev/null 2>&1
[ -s srv.pem ] || { fail "could not make a test certificate"; exit 1; }

s3port=$(free_port)
mkdir -p store
NODE_PATH=$cache/node_modules node --openssl-legacy-provider "$ROOT/tests/integration/s3rver_start.js" \
  "$s3port" "$TMP/store" bench >s3rver.log 2>&1 &
on_exit "kill $!"
wait_for_port "$s3port" 30 || { fail "s3rver did not start"; exit 1; }
tlsport=$(free_port)
TLS_CERT=$TMP/srv.pem TLS_KEY=$TMP/srv.key python3 "$ROOT/tests/integration/s3_fault_proxy.py" \
  "$tlsport" "127.0.0.1:$s3port" >proxy.log 2>&1 &
on_exit "kill $!"
wait_for_port "$tlsport" 20 || { fail "TLS proxy did not start"; exit 1; }

unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL SSL_CERT_FILE CURL_CA_BUNDLE
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$TMP/none AWS_SHARED_CREDENTIALS_FILE=$TMP/none
export AWS_ENDPOINT_URL_S3=https://127.0.0.1:$tlsport

head -c $((6 * 1024 * 1024 + 3)) /dev/urandom >data.bin
check "upload over HTTPS trusting the test CA (AWS_CA_BUNDLE)" env AWS_CA_BUNDLE="$TMP/ca.pem" \
  "$MONITOR" upload --quiet --part-size 5242880 --multipart-threshold 5242880 data.bin s3://bench/tls/
check "download over HTTPS" env AWS_CA_BUNDLE="$TMP/ca.pem" \
  "$ORCHESTRATE" s3 cp s3://bench/tls/data.bin back.bin --quiet --part-size 5242880 --multipart-threshold 5242880
check "byte-identical" cmp -s data.bin back.bin

start=$SECONDS
out=$(AWS_CA_BUNDLE= "$MONITOR" upload data.bin s3://bench/untrusted/ 2>&1); rc=$?
check "an untrusted certificate is refused" test "$rc" -ne 0
check "saying it is about the certificate" grep -qi "certificate" <<<"$out"
check "without retrying for long" test $((SECONDS - start)) -lt 10
