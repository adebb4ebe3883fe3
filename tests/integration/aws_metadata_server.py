#!/usr/bin/env python3
"""A local stand-in for the two AWS credential endpoints a workload reaches over HTTP, as
documented (there is no real one outside AWS):
  - EC2 IMDSv2: PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds) gives a
    token; GETs under /latest/meta-data/ need it in X-aws-ec2-metadata-token (401 without):
    iam/security-credentials/ lists the role, iam/security-credentials/ROLE gives the JSON
    credentials with Expiration, placement/region the region, instance-type MD_INSTANCE_TYPE
    (when set);
  - ECS/Batch container credentials: GET /ecs/creds (the FULL_URI or RELATIVE_URI target),
    which needs Authorization: MD_ECS_TOKEN when that is set.
Credentials come from MD_KEY_ID / MD_SECRET (and MD_TOKEN if set); they expire
MD_EXPIRES_IN seconds after each fetch. GET /__counts returns how many credential fetches
each endpoint served, so tests can see refreshes.

    MD_KEY_ID=... MD_SECRET=... [MD_HOST=ADDRESS] aws_metadata_server.py PORT"""
import datetime
import http.server
import json
import os
import sys
import threading

ROLE = "bench-role"
TOKEN = "imds-session-token-123"
counts = {"imds_token": 0, "imds_creds": 0, "ecs_creds": 0}
lock = threading.Lock()


def creds_json():
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=int(os.environ.get("MD_EXPIRES_IN", "3600")))
    doc = {
        "Code": "Success",
        "Type": "AWS-HMAC",
        "AccessKeyId": os.environ["MD_KEY_ID"],
        "SecretAccessKey": os.environ["MD_SECRET"],
        "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if os.environ.get("MD_TOKEN"):
        doc["Token"] = os.environ["MD_TOKEN"]
    return json.dumps(doc)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def count(self, what):
        with lock:
            counts[what] += 1

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.reply(404, "not found")
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400, "missing TTL header")
        self.count("imds_token")
        self.reply(200, TOKEN)

    def do_GET(self):
        if self.path == "/__counts":
            with lock:
                return self.reply(200, json.dumps(counts), "application/json")
        if self.path.startswith("/ecs/"):
            want = os.environ.get("MD_ECS_TOKEN")
            if want and self.headers.get("Authorization") != want:
                return self.reply(401, "bad authorization token")
            self.count("ecs_creds")
            return self.reply(200, creds_json(), "application/json")
        if not self.path.startswith("/latest/meta-data/"):
            return self.reply(404, "not found")
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.reply(401, "IMDSv2 token required")
        rest = self.path[len("/latest/meta-data/"):]
        if rest == "iam/security-credentials/":
            return self.reply(200, ROLE)
        if rest == "iam/security-credentials/" + ROLE:
            self.count("imds_creds")
            return self.reply(200, creds_json(), "application/json")
        if rest == "placement/region":
            return self.reply(200, "eu-west-3")
        if rest == "instance-type" and os.environ.get("MD_INSTANCE_TYPE"):
            return self.reply(200, os.environ["MD_INSTANCE_TYPE"])
        self.reply(404, "not found")

    def log_message(self, fmt, *args):
        sys.stderr.write("metadata: " + (fmt % args) + "\n")


def main():
    host = os.environ.get("MD_HOST", "127.0.0.1")   # the link-local test binds 169.254.x.y
    server = http.server.ThreadingHTTPServer((host, int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
