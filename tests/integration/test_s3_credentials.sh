#!/usr/bin/env bash
# The credential chain against signature-checking moto: environment, shared credentials and
# config files (AWS_PROFILE, --profile, "[profile x]", credential_process), the order of
# the chain, ECS container credentials (FULL_URI + authorization token file) and EC2
# IMDSv2 from a local stand-in of those endpoints (aws_metadata_server.py), refresh of
# credentials that are about to expire, and web identity through moto's STS
# AssumeRoleWithWebIdentity.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3_helpers.sh"
start_metadata() {  # EXPIRES_IN -> sets md_port
  md_port=$(free_port)
  MD_KEY_ID=$key MD_SECRET=$secret MD_EXPIRES_IN=$1 MD_ECS_TOKEN=ecs-auth-token \
    python3 "$ROOT/tests/integration/aws_metadata_server.py" "$md_port" >"$TMP/md$md_port.log" 2>&1 &
  on_exit "kill $!"
  wait_for_port "$md_port" 20 || { fail "metadata stand-in did not start"; exit 1; }
}
counts() { python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))[sys.argv[2]])' "http://127.0.0.1:$1/__counts" "$2"; }

moto_start 3 "$TMP/moto.log"
endpoint=http://127.0.0.1:$moto_port
read -r key secret < <(moto_user "$endpoint" creds-tester)
[ -n "${secret:-}" ] || { fail "could not create an IAM user on moto"; exit 1; }

# A clean slate: nothing from the caller's environment may leak into the chain.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE \
  AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
  AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN \
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_EC2_METADATA_SERVICE_ENDPOINT AWS_ENDPOINT_URL_S3
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL=$endpoint
export AWS_EC2_METADATA_DISABLED=true HOME=$TMP/home
export AWS_CONFIG_FILE=$TMP/config AWS_SHARED_CREDENTIALS_FILE=$TMP/credentials
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
cd "$TMP"
printf 'payload\n' >f.txt
up() { "$MONITOR" upload --quiet "$@"; }

AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret aws --endpoint-url "$endpoint" s3 mb s3://creds >/dev/null
check "environment credentials" env AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" \
  "$MONITOR" upload --quiet f.txt s3://creds/env/

out=$(up f.txt s3://creds/none/ 2>&1); rc=$?
check "no credentials anywhere fails" test "$rc" -ne 0
check "naming every source it tried" bash -c 'grep -q environment <<<"$1" && grep -q "profile default" <<<"$1" && grep -q container <<<"$1" && grep -q imds <<<"$1"' _ "$out"

cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOF
# a comment
[default]
aws_access_key_id = AKIAWRONGWRONGWRONG0
aws_secret_access_key = wrong

[bench]
aws_access_key_id = $key
aws_secret_access_key = $secret
EOF
cat >"$AWS_CONFIG_FILE" <<EOF
[default]
region = us-east-1

[profile fromconfig]
aws_access_key_id = $key
aws_secret_access_key = $secret
s3 =
  addressing_style = path

[profile proc]
credential_process = cat $TMP/process.json
EOF
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}\n' "$key" "$secret" >process.json
check "AWS_PROFILE selects a credentials-file profile" env AWS_PROFILE=bench "$MONITOR" upload --quiet f.txt s3://creds/profile/
check "--profile does too" "$MONITOR" upload --quiet --profile bench f.txt s3://creds/profile2/
check "a [profile x] section of the config file" env AWS_PROFILE=fromconfig "$MONITOR" upload --quiet f.txt s3://creds/config/
check "credential_process" env AWS_PROFILE=proc "$MONITOR" upload --quiet f.txt s3://creds/process/
out=$(up f.txt s3://creds/default/ 2>&1); rc=$?
check "the default profile's wrong key is used (and refused) when nothing is selected" \
  bash -c '[ "$1" -ne 0 ] && grep -q InvalidAccessKeyId <<<"$2"' _ "$rc" "$out"
out=$(AWS_ACCESS_KEY_ID=AKIAWRONGWRONGWRONG1 AWS_SECRET_ACCESS_KEY=x AWS_PROFILE=bench "$MONITOR" upload --quiet f.txt s3://creds/order/ 2>&1); rc=$?
check "the environment comes before the profile" test "$rc" -ne 0
: >"$AWS_SHARED_CREDENTIALS_FILE"
: >"$AWS_CONFIG_FILE"

# ECS/Batch container credentials.
start_metadata 3600
printf 'ecs-auth-token\n' >ecs.token
mkdir -p three && for i in 1 2 3; do printf '%s\n' "$i" >"three/$i.txt"; done
check "container credentials (FULL_URI + token file), three files" \
  env AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$md_port/ecs/creds" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$TMP/ecs.token" "$MONITOR" upload --quiet three/1.txt three/2.txt three/3.txt s3://creds/ecs/
expect_eq "fetched once for all requests (not near expiry)" "$(counts "$md_port" ecs_creds)" "1"
check "a wrong container token is refused" bash -c '! env AWS_CONTAINER_CREDENTIALS_FULL_URI="$1" AWS_CONTAINER_AUTHORIZATION_TOKEN=nope "$2" upload --quiet f.txt s3://creds/ecsbad/ 2>/dev/null' _ "http://127.0.0.1:$md_port/ecs/creds" "$MONITOR"

# EC2 IMDSv2.
check "IMDSv2 credentials, three files" env AWS_EC2_METADATA_DISABLED=false \
  AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$md_port" "$MONITOR" upload --quiet three/1.txt three/2.txt three/3.txt s3://creds/imds/
expect_eq "one IMDS session token" "$(counts "$md_port" imds_token)" "1"
expect_eq "credentials fetched once" "$(counts "$md_port" imds_creds)" "1"

# Credentials that expire within the refresh window are fetched again before each use.
start_metadata 120
check "IMDSv2 credentials close to expiry" env AWS_EC2_METADATA_DISABLED=false \
  AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$md_port" "$MONITOR" upload --quiet three/1.txt three/2.txt three/3.txt s3://creds/refresh/
n=$(counts "$md_port" imds_creds)
check "were refreshed before every request ($n fetches for 3 uploads)" test "$n" -ge 3
head -c $((11 * 1024 * 1024)) /dev/urandom >mp.bin
before=$(counts "$md_port" imds_creds)
check "a multipart upload with credentials close to expiry" env AWS_EC2_METADATA_DISABLED=false \
  AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$md_port" "$MONITOR" upload --quiet \
  --part-size 5242880 --multipart-threshold 5242880 mp.bin s3://creds/refresh-mp/
n=$(( $(counts "$md_port" imds_creds) - before ))
check "refreshed them in the middle of it ($n fetches for 5 requests: create, 3 parts, complete)" test "$n" -ge 5
check "all three objects arrived" bash -c '[ "$(AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 aws --endpoint-url "$3" s3 ls s3://creds --recursive | grep -c " refresh/")" = 3 ]' _ "$key" "$secret" "$endpoint"

# Web identity through moto's STS. moto authenticates AssumeRoleWithWebIdentity itself once
# its unsigned allowance is spent (real STS never does), so this runs on a second server whose
# allowance covers the role set-up, the bucket and exactly our one STS call; the upload that
# follows is signature-checked with the temporary credentials (and their session token).
moto_start 4 "$TMP/moto2.log"
wi=http://127.0.0.1:$moto_port
boot() { AWS_ACCESS_KEY_ID=bootstrap AWS_SECRET_ACCESS_KEY=bootstrap aws --endpoint-url "$wi" "$@"; }
role=$(boot iam create-role --role-name wi --query Role.Arn --output text \
  --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}')
boot iam put-role-policy --role-name wi --policy-name all \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
boot s3 mb s3://webid >/dev/null
printf 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJiZW5jaCJ9.\n' >web.token
check "web identity (AssumeRoleWithWebIdentity on moto's STS)" env AWS_ENDPOINT_URL="$wi" \
  AWS_WEB_IDENTITY_TOKEN_FILE="$TMP/web.token" AWS_ROLE_ARN="$role" AWS_ROLE_SESSION_NAME=bench \
  "$MONITOR" upload --quiet f.txt s3://webid/web/
check "the STS request reached moto" grep -q "POST / HTTP" "$TMP/moto2.log"
