#!/usr/bin/env bash
# The credential endpoints at the addresses AWS gives them, with no endpoint override: the
# uploader must find ECS/Batch container credentials at http://169.254.170.2 + the
# AWS_CONTAINER_CREDENTIALS_RELATIVE_URI that ECS and Batch set (no token: ECS gives none
# for the relative form), and EC2 IMDSv2 at http://169.254.169.254, as on AWS. Both
# addresses are put on the loopback interface for the test (root; removed afterwards) and
# served by the metadata stand-in on port 80; the uploads go to signature-checking moto.
# The monitor's instance type comes from the same IMDS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3_helpers.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root to put the link-local addresses on lo"
command -v ip >/dev/null || skip "ip (iproute2) is missing"
for a in 169.254.170.2 169.254.169.254; do
  if ip -4 addr show | grep -q "inet $a/"; then
    skip "$a is already configured here (a real AWS machine?): not touching it"
  fi
done
exec 9>/tmp/monitor_system-link-local.lock
flock 9   # one user of the two addresses at a time

moto_start 3 "$TMP/moto.log"
endpoint=http://127.0.0.1:$moto_port
read -r key secret < <(moto_user "$endpoint" link-local)
[ -n "${secret:-}" ] || { fail "could not create an IAM user on moto"; exit 1; }
AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret aws --endpoint-url "$endpoint" s3 mb s3://link-local >/dev/null

serve_on() {  # address: the stand-in on ADDRESS:80
  ip addr add "$1/32" dev lo || { fail "ip addr add $1"; exit 1; }
  on_exit "ip addr del $1/32 dev lo"
  MD_HOST=$1 MD_INSTANCE_TYPE=c7g.2xlarge MD_KEY_ID=$key MD_SECRET=$secret MD_EXPIRES_IN=3600 \
    python3 "$ROOT/tests/integration/aws_metadata_server.py" 80 >"$TMP/md-$1.log" 2>&1 &
  on_exit "kill $!"
  local i
  for i in $(seq 1 100); do
    curl -s -o /dev/null "http://$1/__counts" && return 0
    sleep 0.1
  done
  fail "the stand-in did not start on $1:80: $(tail -n 3 "$TMP/md-$1.log")"; exit 1
}
counts() { curl -s "http://$1/__counts" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE \
  AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
  AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN \
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_EC2_METADATA_SERVICE_ENDPOINT \
  AWS_EC2_METADATA_DISABLED AWS_ENDPOINT_URL_S3
export AWS_REGION=us-east-1 AWS_ENDPOINT_URL=$endpoint HOME=$TMP/home
export AWS_CONFIG_FILE=$TMP/none AWS_SHARED_CREDENTIALS_FILE=$TMP/none
cd "$TMP"
printf 'payload\n' >f.txt

serve_on 169.254.170.2
check "container credentials from 169.254.170.2 + RELATIVE_URI (as ECS and Batch set it)" \
  env AWS_EC2_METADATA_DISABLED=true AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/ecs/creds \
  "$MONITOR" upload --quiet f.txt s3://link-local/ecs/
expect_eq "the link-local endpoint served the credentials" "$(counts 169.254.170.2 ecs_creds)" 1

serve_on 169.254.169.254
check "IMDSv2 credentials from 169.254.169.254, no endpoint override" \
  "$MONITOR" upload --quiet f.txt s3://link-local/imds/
expect_eq "one IMDS session token" "$(counts 169.254.169.254 imds_token)" 1
expect_eq "credentials fetched once" "$(counts 169.254.169.254 imds_creds)" 1
# The monitor asks IMDS for the instance type when no option or variable names it and the
# machine says it is EC2: here a Xen-era instance's DMI ("Xen", "HVM domU"), put in place of
# the real one (if any) in a private mount namespace.
unshare --mount sh -c 'd=/sys/devices/virtual/dmi/id
    if [ -d "$d" ]; then mount -t tmpfs tmpfs "$d"; else mount -t tmpfs tmpfs /sys/devices/virtual && mkdir -p "$d"; fi &&
    echo Xen >"$d/sys_vendor" && echo "HVM domU" >"$d/product_name" || exit 1
    exec env -u MONITOR_INSTANCE_TYPE "$@"' _ \
  "$MONITOR" --quiet --workdir "$TMP/job" --result-url "$TMP/res" --cmd true >"$TMP/imds-type.out" 2>&1
expect_eq "monitor_system took the instance type from IMDS" \
  "$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["instance"]; print(i["type"], i["type_source"])' \
     "$TMP/res/summary.json" 2>&1)" "c7g.2xlarge imds"
check "both objects are in the bucket" bash -c \
  '[ "$(AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 aws --endpoint-url "$3" s3 ls s3://link-local --recursive | wc -l)" = 2 ]' \
  _ "$key" "$secret" "$endpoint"
