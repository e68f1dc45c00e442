#!/usr/bin/env python3
"""An SMTP client that never finishes what it sends, to see where the server cuts it off.

Usage: hostile_sender.py --port PORT --mode MODE [--source ADDRESS] [--interval SECONDS]
                         [--give-up SECONDS]

Modes:
  slowloris       after the greeting, a command line one byte every --interval seconds
  endless-line    after the greeting, one command line that never ends (4 KiB at a time)
  endless-header  EHLO, MAIL, RCPT, DATA, then header fields without end (no blank line,
                  no final dot)
It sends until the server closes the connection or --give-up seconds have passed, reading
whatever the server answers meanwhile, and prints one JSON object:
    replies    every reply line received after the setup (the greeting and, for
               endless-header, the replies up to 354 are left out)
    sent       bytes sent after the setup
    sent_before_reply   bytes sent after the setup before the first of those replies
    elapsed    seconds from the end of the setup to the close (or to giving up)
    closed     whether the server closed the connection
"""
import argparse
import json
import select
import socket
import sys
import time


def read_reply(connection, buffer):
    """Reads one complete reply (single- or multi-line); returns (last line, rest of buffer)."""
    while True:
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if len(line) < 4 or line[3:4] != b"-":
                return line.rstrip(b"\r").decode("utf-8", "replace"), buffer
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("closed during setup")
        buffer += chunk


def setup(connection, mode):
    buffer = b""
    greeting, buffer = read_reply(connection, buffer)
    if not greeting.startswith("220"):
        raise ConnectionError("greeting: " + greeting)
    if mode != "endless-header":
        return buffer
    for command, expected in ((b"EHLO hostile.client.test", "250"), (b"MAIL FROM:<hostile@sender.test>", "250"),
                              (b"RCPT TO:<user@example.test>", "250"), (b"DATA", "354")):
        connection.sendall(command + b"\r\n")
        reply, buffer = read_reply(connection, buffer)
        if not reply.startswith(expected):
            raise ConnectionError("%s: %s" % (command.decode(), reply))
    return buffer


def payload(mode):
    """An endless supply of what the mode sends, piece by piece."""
    if mode == "slowloris":
        line = b"EHLO " + b"slow" * 10_000
        while True:
            for byte in line:
                yield bytes([byte])
    elif mode == "endless-line":
        piece = b"NOOP " + b"x" * 4091
        yield piece
        piece = b"x" * 4096
        while True:
            yield piece
    else:
        number = 0
        while True:
            number += 1
            yield b"".join(b"X-Filler-%d: %s\r\n" % (number * 64 + index, b"f" * 60) for index in range(64))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["slowloris", "endless-line", "endless-header"], required=True)
    parser.add_argument("--source")
    parser.add_argument("--interval", type=float, default=0)
    parser.add_argument("--give-up", type=float, default=60)
    options = parser.parse_args()

    connection = socket.create_connection(("127.0.0.1", options.port), timeout=30,
                                          source_address=(options.source, 0) if options.source else None)
    buffer = setup(connection, options.mode)
    connection.setblocking(False)
    started = time.monotonic()
    deadline = started + options.give_up
    replies, sent, sent_before_reply, closed = [], 0, None, False
    pieces = payload(options.mode)
    pending = b""
    next_send = started
    while time.monotonic() < deadline and not closed:
        now = time.monotonic()
        wants_to_send = now >= next_send
        timeout = 0.5 if wants_to_send else min(0.5, next_send - now)
        readable, writable, _ = select.select([connection], [connection] if wants_to_send else [], [], timeout)
        if readable:
            try:
                chunk = connection.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                closed = True
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                replies.append(line.rstrip(b"\r").decode("utf-8", "replace"))
                if sent_before_reply is None:
                    sent_before_reply = sent
        if writable:
            if not pending:
                pending = next(pieces)
            try:
                count = connection.send(pending)
            except BlockingIOError:
                count = 0
            except (ConnectionResetError, BrokenPipeError):
                closed = True
                break
            pending = pending[count:]
            sent += count
            if options.interval and not pending:
                next_send = time.monotonic() + options.interval
    if buffer.strip():
        replies.append(buffer.rstrip(b"\r\n").decode("utf-8", "replace"))
    json.dump({"replies": replies, "sent": sent, "sent_before_reply": sent_before_reply,
               "elapsed": time.monotonic() - started, "closed": closed}, sys.stdout)


if __name__ == "__main__":
    main()
