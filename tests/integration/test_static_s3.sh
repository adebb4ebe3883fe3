#!/usr/bin/env bash
# The static x86-64 monitor uploads its results to S3 from a chroot that holds nothing but
# it, busybox and an /etc/hosts: the endpoint is named by host name ("localhost"), so DNS
# goes through the c-ares built into the binary (a scratch image has no glibc NSS), and
# the S3 server is moto with signature checking on (SigV4 from the static OpenSSL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3_helpers.sh"

bin=${STATIC_BUILD:-$ROOT/build/static}/monitor_system
[ -x "$bin" ] || { fail "$bin is missing: run make static"; exit 1; }
busybox=$(command -v busybox || echo /bin/busybox)
[ -x "$busybox" ] || skip "busybox-static is not installed"

moto_start 3 "$TMP/moto.log"
read -r key secret < <(moto_user "$moto_url" static-tester)
[ -n "${secret:-}" ] || { fail "could not create an IAM user on moto"; exit 1; }
bucket=static-chroot-results
aws_user=(env AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_DEFAULT_REGION=us-east-1
          AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
          aws --endpoint-url "$moto_url")
check "bucket created" sh -c "$(printf '%q ' "${aws_user[@]}") s3 mb s3://$bucket >/dev/null"

root=$TMP/root
mkdir -p "$root/bin" "$root/proc" "$root/etc" "$root/tmp"
cp "$bin" "$root/monitor_system"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"

# Only what the monitor needs reaches the chroot: credentials, region, the endpoint by name.
unshare --mount --pid --fork --kill-child sh -c \
  'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" \
  /bin/busybox env -i AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" \
  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
  AWS_ENDPOINT_URL="http://localhost:$moto_port" \
  /monitor_system --quiet --interval 0.05 --instance-type c7i.large --workdir /tmp/work \
  --result-url "s3://$bucket/chroot/" --cmd /bin/sh -c 'echo uploaded-run; exit 2' \
  >"$TMP/stdout" 2>"$TMP/stderr"
expect_eq "exit status of the workload" "$?" 2
check "workload output passed through" grep -q uploaded-run "$TMP/stdout"

# (no prefix in the listing: moto's signature check rejects a "/" in a signed prefix query)
"${aws_user[@]}" s3 ls --recursive "s3://$bucket" >"$TMP/ls" 2>&1
cat "$TMP/ls"
for f in timeseries.csv summary.json stdout.log stderr.log; do
  check "$f uploaded to S3" grep -q "/$f\$" "$TMP/ls"
done
key_summary=$(awk '/summary.json$/ {print $4; exit}' "$TMP/ls")
if [ -n "$key_summary" ]; then
  "${aws_user[@]}" s3 cp "s3://$bucket/$key_summary" "$TMP/summary.json" >/dev/null 2>&1
  expect_eq "uploaded summary has the exit code" "$(jq -r .exit_code "$TMP/summary.json")" 2
fi
check "the secret key never reaches the monitor's output" \
  sh -c "! grep -qF '$secret' '$TMP/stdout' '$TMP/stderr'"
[ -s "$TMP/stderr" ] && sed 's/^/stderr: /' "$TMP/stderr" | tail -n 20
true
