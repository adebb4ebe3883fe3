# Sourced by the tests that run jobs on moto's AWS Batch (after lib.sh and podman_env.sh):
# the job image and a signature-checking moto, set up the same way for each.

# batch_monitor_image TAG: sets $image to a FROM scratch image of busybox-static and the
# static monitor_system as ENTRYPOINT (built with `make static` if missing), removed at
# exit; BATCH_TEST_IMAGE names an existing image instead.
batch_monitor_image() {
  image=${BATCH_TEST_IMAGE:-}
  [ -n "$image" ] && return 0
  local static=${STATIC_MONITOR:-$ROOT/build/static/monitor_system}
  if [ ! -x "$static" ]; then
    (cd "$ROOT" && make -s static) >"$TMP/static.log" 2>&1 ||
      { fail "make static failed: $(tail -n 5 "$TMP/static.log")"; exit 1; }
  fi
  local ctx=$TMP/image
  mkdir -p "$ctx"
  cp "$static" "$ctx/monitor_system"
  cp /bin/busybox "$ctx/busybox"
  cat >"$ctx/Containerfile" <<'CF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY monitor_system /monitor_system
ENTRYPOINT ["/monitor_system"]
CF
  local tag=$1-$$:latest
  podman_scratch_image "$tag" "$ctx" || { fail "image build"; exit 1; }
  podman_remove_image_at_exit "$tag"
  image=localhost/$tag
}

# batch_moto_start: a moto_server whose Batch runs containers through podman's Docker API;
# three unsigned calls make an IAM user, and every request after is signature-checked with
# its key. Sets $port, $endpoint, $moto_pid and exports AWS_ENDPOINT_URL, the region and
# the user's AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
batch_moto_start() {
  port=$(free_port)
  INITIAL_NO_AUTH_ACTION_COUNT=3 MOTO_DOCKER_NETWORK_MODE=host DOCKER_HOST=$DOCKER_HOST \
    moto_server -H 127.0.0.1 -p "$port" >"$TMP/moto.log" 2>&1 &
  moto_pid=$!
  on_exit "kill $moto_pid"
  wait_for_port "$port" 30 || { fail "moto_server did not start: $(tail -n 3 "$TMP/moto.log")"; exit 1; }
  endpoint=http://127.0.0.1:$port
  export AWS_ENDPOINT_URL=$endpoint AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
  read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
    < <(python3 "$ROOT/tests/integration/moto_iam_user.py" "$endpoint" batch-test)
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  [ -n "${AWS_SECRET_ACCESS_KEY:-}" ] || { fail "no IAM access key from moto"; exit 1; }
}

# batch_creds_start: the container-credentials endpoint the jobs' role uses (the jobs get
# their keys as a job role's, as on ECS/Batch), serving this test's IAM user. Sets
# $creds_port.
batch_creds_start() {
  creds_port=$(free_port)
  ECS_CREDS_KEY_ID=$AWS_ACCESS_KEY_ID ECS_CREDS_SECRET=$AWS_SECRET_ACCESS_KEY \
    python3 "$ROOT/tests/integration/ecs_credentials_server.py" "$creds_port" >"$TMP/creds.log" 2>&1 &
  on_exit "kill $!"
  wait_for_port "$creds_port" 20 || { fail "credentials endpoint did not start"; exit 1; }
}
