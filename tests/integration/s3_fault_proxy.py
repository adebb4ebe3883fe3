#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of an S3 server, for retry tests. Requests are
forwarded unchanged (Host included, so SigV4 signatures stay valid) except for the faults
listed in FAULTS (comma-separated):
  slowdown:N    the first N requests get 503 SlowDown
  error500:N    the first N requests get 500 InternalError
  reset-part:N  the first N part uploads (PUT ...partNumber=...) read half the body, then
                the connection is reset
  corrupt-part:N / corrupt-put:N
                one byte of the body of the first N part uploads / single PUTs is changed
                before it is forwarded (the server stores other bytes than were sent)
  stall-part:N  the first N part uploads are read and then never answered
  reset-get:N   the answers to the first N ranged GETs (Range header) carry three quarters
                of their body, then the connection is reset
  corrupt-echo:N
                the x-amz-checksum-crc32 header of the first N answers to PUTs (single
                or part) is changed, as a server that stored other bytes would answer
  deny          every request gets 403 AccessDenied
GET /__counts returns {"requests": total seen, "faults": faults injected}. With TLS_CERT and
TLS_KEY (PEM files) set, the proxy speaks HTTPS.

    FAULTS=slowdown:2 s3_fault_proxy.py PORT UPSTREAM_HOST:PORT"""
import http.client
import http.server
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time

lock = threading.Lock()
state = {"requests": 0, "faults": 0}
budget = {}
for item in filter(None, os.environ.get("FAULTS", "").split(",")):
    name, _, n = item.partition(":")
    budget[name] = int(n) if n else 10**9


def take(name):
    with lock:
        if budget.get(name, 0) > 0:
            budget[name] -= 1
            state["faults"] += 1
            return True
    return False


def error_xml(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
            '<Message>%s</Message></Error>' % (code, message)).encode()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send_body(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        if self.path == "/__counts":
            with lock:
                return self.send_body(200, json.dumps(state).encode())
        with lock:
            state["requests"] += 1
        length = int(self.headers.get("Content-Length") or 0)
        if self.command == "PUT" and "partNumber=" in self.path and take("reset-part"):
            self.rfile.read(length // 2)
            return self.reset()
        body = self.rfile.read(length) if length else b""
        if self.command == "PUT" and "partNumber=" in self.path and take("stall-part"):
            time.sleep(3600)
            return
        is_part = self.command == "PUT" and "partNumber=" in self.path
        if body and ((is_part and take("corrupt-part")) or
                     (self.command == "PUT" and not is_part and take("corrupt-put"))):
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        if "deny" in budget:
            with lock:
                state["faults"] += 1
            return self.send_body(403, error_xml("AccessDenied", "Access Denied"))
        if take("slowdown"):
            return self.send_body(503, error_xml("SlowDown", "Please reduce your request rate."))
        if take("error500"):
            return self.send_body(500, error_xml("InternalError", "We encountered an internal error."))
        self.forward(body, self.command == "PUT" and take("corrupt-echo"),
                     self.command == "GET" and "Range" in self.headers and take("reset-get"))

    def reset(self):
        # SO_LINGER 0: close with a TCP reset, as a dropped connection looks.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def forward(self, body, corrupt_echo=False, reset_body=False):
        conn = http.client.HTTPConnection(sys.argv[2], timeout=60)
        headers = {k: v for k, v in self.headers.items()}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        hop = {"transfer-encoding", "connection", "content-length", "keep-alive"}
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in hop]
        if corrupt_echo:
            # "AAAAAA==" is the CRC32 of nothing: never that of a non-empty body.
            headers = [(k, "AAAAAA==" if k.lower() == "x-amz-checksum-crc32" else v)
                       for k, v in headers]
        conn.close()
        if reset_body:
            self.send_response(resp.status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) * 3 // 4])
            self.wfile.flush()
            return self.reset()
        self.send_body(resp.status, data, headers)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    def log_message(self, fmt, *args):
        sys.stderr.write("proxy: " + (fmt % args) + "\n")


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Proxy)
    if os.environ.get("TLS_CERT"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.environ["TLS_CERT"], os.environ["TLS_KEY"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
