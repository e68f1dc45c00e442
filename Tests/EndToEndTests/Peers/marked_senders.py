#!/usr/bin/env python3
"""Concurrent SMTP senders that record, for each message they start, how it ended.

Usage: marked_senders.py --port PORT --tag TAG --sessions S --messages M [--large-every K]

Runs S sessions at once (threads, smtplib), each sending up to M messages over one
connection, and stops a session at the first connection error (no reconnecting: the server
is expected to die under it). Message i of session s carries the marker TAG.s.i as its
Message-ID <TAG.s.i@marked.sender.test>; every K-th message is about 300 KB, larger than
Backstop keeps in memory, the rest about 2 KB.

One line per message, printed and flushed the moment its outcome is known:
    MARKER acknowledged QUEUE_ID   250 after the final dot
    MARKER refused CODE            a 4xx/5xx reply at MAIL, RCPT, DATA or after the final dot
    MARKER cut                     the connection was lost before the final dot was handed to
                                   the kernel: the server cannot have the whole message
    MARKER unknown                 the connection was lost after the final dot went out and
                                   before its reply came: the server may or may not have it
"""
import argparse
import smtplib
import sys
import threading

PRINT = threading.Lock()


def report(marker, outcome):
    with PRINT:
        sys.stdout.write("%s %s\n" % (marker, outcome))
        sys.stdout.flush()


def content(marker, large):
    lines = [
        "From: Marked Sender <sender@marked.sender.test>",
        "To: <user@example.test>",
        "Subject: crash test message %s" % marker,
        "Message-ID: <%s@marked.sender.test>" % marker,
        "",
    ]
    count = 4_000 if large else 25
    lines += ["%s line %d %s" % (marker, number, "abcdefghij" * 6) for number in range(count)]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def session(port, tag, number, messages, large_every):
    try:
        client = smtplib.SMTP("127.0.0.1", port, local_hostname="marked.sender.test", timeout=15)
        client.ehlo()
    except (OSError, smtplib.SMTPException):
        return
    for index in range(messages):
        marker = "%s.%d.%d" % (tag, number, index)
        dot_sent = False
        try:
            code, text = client.mail("sender@marked.sender.test")
            if code != 250:
                report(marker, "refused %d" % code)
                continue
            code, text = client.rcpt("user@example.test")
            if code != 250:
                report(marker, "refused %d" % code)
                client.rset()
                continue
            client.putcmd("data")
            code, text = client.getreply()
            if code != 354:
                report(marker, "refused %d" % code)
                client.rset()
                continue
            body = content(marker, large_every > 0 and index % large_every == large_every - 1)
            client.sock.sendall(body)
            client.sock.sendall(b".\r\n")
            dot_sent = True
            code, text = client.getreply()
            if code == 250:
                report(marker, "acknowledged %s" % text.decode("ascii", "replace").split()[-1])
            else:
                report(marker, "refused %d" % code)
        except (OSError, smtplib.SMTPException):
            report(marker, "unknown" if dot_sent else "cut")
            return
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--sessions", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--large-every", type=int, default=0)
    options = parser.parse_args()
    threads = [threading.Thread(target=session, args=(options.port, options.tag, number, options.messages,
                                                      options.large_every))
               for number in range(options.sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
