#!/usr/bin/env python3
"""A stand-in for the ECS container credentials endpoint that AWS Batch jobs get their
job role's keys from (AWS_CONTAINER_CREDENTIALS_FULL_URI). There is none outside AWS, so the
end-to-end test runs this one on loopback: it answers GET on any path with the documented
JSON (AccessKeyId, SecretAccessKey, Expiration; no Token, as the keys are an IAM user's),
serving the keys it was given in its environment, so the keys never appear in a config, a command line or a job definition.

    ECS_CREDS_KEY_ID=... ECS_CREDS_SECRET=... ecs_credentials_server.py PORT
Prints "ready" when listening; counts requests in the log on stderr."""
import datetime
import http.server
import json
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        body = json.dumps({
            "AccessKeyId": os.environ["ECS_CREDS_KEY_ID"],
            "SecretAccessKey": os.environ["ECS_CREDS_SECRET"],
            "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("credentials request: %s\n" % (fmt % args))


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
