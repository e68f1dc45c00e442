#!/usr/bin/env python3
"""A webhook receiver for Backstop's notifications, on 127.0.0.1.

Prints `ready port=N` once listening, then one line per POST:
`event <unix time of arrival> <status it answered> <request body on one line>`.
With --fail-first N, the first N requests are answered 503 (to exercise retries).
With --cert and --key, it serves HTTPS with that certificate; a client that refuses the
certificate is printed as `refused <why>`.
"""
import argparse
import http.server
import ssl
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--cert")
parser.add_argument("--key")
args = parser.parse_args()
lock = threading.Lock()
seen = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global seen
        arrived = time.time()
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace").replace("\n", " ")
        with lock:
            seen += 1
            status = 503 if seen <= args.fail_first else 200
        reply = b"ok\n" if status == 200 else b"try later\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
        ctype = self.headers.get("Content-Type", "")
        print(f"event {arrived:.3f} {status} {ctype} {body}", flush=True)

    def log_message(self, *_):
        pass


class Server(http.server.ThreadingHTTPServer):
    def get_request(self):
        connection, address = self.socket.accept()
        if context is not None:
            try:
                connection = context.wrap_socket(connection, server_side=True)
            except (ssl.SSLError, OSError) as error:
                print(f"refused {error}", flush=True)
                connection.close()
                raise
        return connection, address


context = None
if args.cert:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
server = Server(("127.0.0.1", args.port), Handler)
print(f"ready port={args.port}", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
sys.exit(0)
