#!/usr/bin/env python3
"""Sends one message with smtplib and SIGKILLs the server the moment its 250 arrives.

Usage: send_and_kill.py PORT SERVER_PID MESSAGE_FILE
Prints {"code", "text", "killed"} as JSON. The kill happens before anything else is done with
the reply, so whatever the server acknowledged must already be durable in its spool.
"""
import json
import os
import signal
import smtplib
import sys


def main():
    port, pid, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with open(path, "rb") as file:
        message = file.read()
    session = smtplib.SMTP("127.0.0.1", port, local_hostname="durability.test", timeout=20)
    session.ehlo()
    session.mail("sender@durability.test")
    session.rcpt("keeper@example.test")
    try:
        code, text = session.data(message)
    except smtplib.SMTPResponseException as error:
        code, text = error.smtp_code, error.smtp_error
    killed = False
    if code == 250:
        os.kill(pid, signal.SIGKILL)
        killed = True
    json.dump({"code": code, "text": text.decode("utf-8", "replace"), "killed": killed}, sys.stdout)


if __name__ == "__main__":
    main()
