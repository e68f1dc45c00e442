#!/usr/bin/env python3
"""An SMTP session over STARTTLS that stays open while the test reloads backstop.

Usage: held_tls_session.py PORT PROCEED_FILE. Connects, EHLO, STARTTLS, EHLO, then prints
`ready subject=<CN of the certificate it got>` and waits (up to 60 s) for PROCEED_FILE to
exist; then sends one message in the same session and prints
`sent <code> <reply> subject=<CN of its session's certificate>` and QUITs.
"""
import os
import smtplib
import ssl
import sys
import time

port, proceed = int(sys.argv[1]), sys.argv[2]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE


def common_name(client):
    der = client.sock.getpeercert(binary_form=True)
    # The subject's CN comes after the issuer's (the last one): find it without extra modules.
    marker = bytes([0x06, 0x03, 0x55, 0x04, 0x03])  # OID 2.5.4.3 (commonName)
    index = der.rfind(marker)
    length = der[index + 6]
    return der[index + 7:index + 7 + length].decode()


client = smtplib.SMTP("127.0.0.1", port, timeout=30)
client.ehlo("held.example.org")
client.starttls(context=context)
client.ehlo("held.example.org")
print(f"ready subject={common_name(client)}", flush=True)
deadline = time.time() + 60
while not os.path.exists(proceed) and time.time() < deadline:
    time.sleep(0.05)
client.mail("held@example.org")
client.rcpt("user@example.test")
code, reply = client.data(b"Subject: across a reload\r\n\r\nsent on a session opened before SIGHUP\r\n")
print(f"sent {code} {reply.decode()} subject={common_name(client)}", flush=True)
client.quit()
