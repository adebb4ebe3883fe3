# Sourced by the S3 client's integration tests after lib.sh: moto_server with signature
# checking and an IAM user made with the aws CLI (Debian's awscli; nothing that needs boto3
# in the system Python).
#   moto_start COUNT LOG      starts moto_server with INITIAL_NO_AUTH_ACTION_COUNT=COUNT on a
#                             free port; sets moto_port and moto_url; stopped at exit
#   moto_user URL NAME        3 unsigned IAM calls (user, inline allow-all policy, access
#                             key); prints "ACCESS_KEY_ID SECRET_ACCESS_KEY"

moto_start() {
  command -v moto_server >/dev/null || { fail "moto_server not installed (tools/install_deps.sh --test)"; exit 1; }
  moto_port=$(free_port)
  INITIAL_NO_AUTH_ACTION_COUNT=$1 moto_server -H 127.0.0.1 -p "$moto_port" >"$2" 2>&1 &
  on_exit "kill $!"
  moto_url=http://127.0.0.1:$moto_port
  wait_for_port "$moto_port" 30 || { fail "moto_server did not start"; exit 1; }
}

moto_user() {
  command -v aws >/dev/null || { fail "aws CLI not installed (tools/install_deps.sh --test)"; exit 1; }
  local iam=(env AWS_ACCESS_KEY_ID=bootstrap AWS_SECRET_ACCESS_KEY=bootstrap
             AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null
             AWS_SHARED_CREDENTIALS_FILE=/dev/null aws --endpoint-url "$1" iam)
  "${iam[@]}" create-user --user-name "$2" >/dev/null || return 1
  "${iam[@]}" put-user-policy --user-name "$2" --policy-name all --policy-document \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' || return 1
  "${iam[@]}" create-access-key --user-name "$2" \
    --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text
}
