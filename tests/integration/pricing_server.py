#!/usr/bin/env python3
"""A local stand-in for the AWS Price List API (no emulator serves it): replays GetProducts
from a fixture file of product documents, in the documented format (JSON 1.1; PriceList
entries are JSON documents serialised into strings; NextToken pagination), and checks what a
client must get right: POST /, X-Amz-Target AWSPriceListService.GetProducts, the JSON 1.1
content type, a SigV4 signature for service "pricing" in us-east-1 (verified with botocore
against the credentials given), ServiceCode AmazonEC2 and TERM_MATCH filters.

  pricing_server.py PORT PRODUCTS_JSON [--page-size N] [--log FILE]
                    [--access-key AK --secret-key SK]

Each request is appended to --log as one JSON line: {"ok": bool, "error": ..., "filters": ...,
"token": ..., "returned": n}."""
import argparse
import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REQUIRED = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA",
            "capacitystatus": "Used"}


def verify_sigv4(handler, body, access_key, secret_key):
    """None when the request's SigV4 signature is right, else why not."""
    auth = handler.headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no SigV4 Authorization header"
    parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    scope = parts.get("Credential", "").split("/")
    if len(scope) != 5 or scope[2:] != ["us-east-1", "pricing", "aws4_request"]:
        return "credential scope is not us-east-1/pricing: %s" % parts.get("Credential")
    if access_key and scope[0] != access_key:
        return "unknown access key"
    if not secret_key:
        return None
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:
        return None
    signed = parts["SignedHeaders"].split(";")
    headers = {h: handler.headers.get(h, "") for h in signed}
    req = AWSRequest(method="POST", url="http://%s/" % handler.headers["Host"], data=body,
                     headers=headers)
    req.context["timestamp"] = handler.headers.get("X-Amz-Date", "")
    signer = SigV4Auth(Credentials(access_key, secret_key,
                                   handler.headers.get("X-Amz-Security-Token")),
                       "pricing", "us-east-1")
    canonical = signer.canonical_request(req)
    expected = signer.signature(signer.string_to_sign(req, canonical), req)
    return None if expected == parts.get("Signature") else "SignatureDoesNotMatch"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj, record):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if self.server.log:
            with open(self.server.log, "a") as f:
                f.write(json.dumps(record) + "\n")

    def fail(self, status, kind, message, record):
        record.update(ok=False, error="%s: %s" % (kind, message))
        self.reply(status, {"__type": kind, "Message": message}, record)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        record = {"ok": True}
        if self.path != "/":
            return self.fail(400, "ValidationException", "path must be /", record)
        if self.headers.get("X-Amz-Target") != "AWSPriceListService.GetProducts":
            return self.fail(400, "UnknownOperationException",
                             "X-Amz-Target %r" % self.headers.get("X-Amz-Target"), record)
        if not self.headers.get("Content-Type", "").startswith("application/x-amz-json-1.1"):
            return self.fail(400, "ValidationException", "content type must be JSON 1.1", record)
        why = verify_sigv4(self, body, self.server.access_key, self.server.secret_key)
        if why:
            return self.fail(403, "InvalidSignatureException", why, record)
        try:
            req = json.loads(body)
        except ValueError:
            return self.fail(400, "SerializationException", "body is not JSON", record)
        if req.get("ServiceCode") != "AmazonEC2" or req.get("FormatVersion", "aws_v1") != "aws_v1":
            return self.fail(400, "ValidationException", "ServiceCode/FormatVersion", record)
        filters = {}
        for f in req.get("Filters", []):
            if f.get("Type") != "TERM_MATCH":
                return self.fail(400, "ValidationException", "filter type %r" % f.get("Type"), record)
            filters[f["Field"]] = f["Value"]
        record["filters"] = filters
        missing = [k for k, v in REQUIRED.items() if filters.get(k) != v]
        if missing or not (filters.get("regionCode") or filters.get("location")):
            return self.fail(400, "ValidationException",
                             "filters must select %s and a region" % (missing or "regionCode"), record)
        token = req.get("NextToken")
        record["token"] = token
        try:
            start = int(base64.b64decode(token).decode()) if token else 0
        except Exception:
            return self.fail(400, "InvalidNextTokenException", "bad NextToken", record)
        matches = [p for p in self.server.products
                   if all(p["product"]["attributes"].get(k) == v for k, v in filters.items())]
        size = min(self.server.page_size, int(req.get("MaxResults", 100)))
        page = matches[start:start + size]
        out = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(p) for p in page]}
        if start + size < len(matches):
            out["NextToken"] = base64.b64encode(str(start + size).encode()).decode()
        record["returned"] = len(page)
        self.reply(200, out, record)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("products")
    ap.add_argument("--page-size", type=int, default=2)
    ap.add_argument("--log")
    ap.add_argument("--access-key")
    ap.add_argument("--secret-key")
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.products = json.load(open(a.products))
    srv.page_size, srv.log = a.page_size, a.log
    srv.access_key, srv.secret_key = a.access_key, a.secret_key
    print("pricing server on %d" % a.port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
