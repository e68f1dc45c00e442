#!/usr/bin/env python3
"""A scripted SMTP server that stands in for Backstop's primary mail host (or its bounce relay).

Usage: fake_primary.py --port PORT --store DIR [--script FILE | --script-json JSON]

Listens on 127.0.0.1:PORT (asyncio, standard library only) and prints one ready line,
    ready 127.0.0.1:PORT started=UNIX_TIME
then one line per event on stdout, flushed at once, so that a test can wait on them:
    session N                       a client connected
    greeting N CODE                 the greeting sent
    rcpt N ADDRESS CODE             the reply to one RCPT
    dot N                           the final dot of a message arrived (before any delay or limit)
    message SEQ FILE                a message was taken and stored (before its reply is sent)
    reply N CODE                    the reply after the final dot
Stop it with SIGTERM or SIGKILL by its PID.

Each accepted message is written atomically (temporary file, then rename) to DIR as
SEQ.json, SEQ counting up in arrival order from 1 and continuing after a restart in the
same directory. The file holds: seq, received_at (Unix time), session, helo, mail_from,
mail_params, rcpt_to (the accepted recipients only), rcpt_params, data (base64 of the exact
DATA bytes after removing dot-stuffing, final ".\\r\\n" excluded), size, and
sha256_after_first_field (hex SHA-256 of data after its first header field and the folded
lines that continue it: the message as it was before a relay prepended one Received: header).

The script (a JSON object, from a file or the command line; all keys optional):
    greeting        [code, text]      default [220, "fake.primary.test ESMTP"]; 421 closes
    ehlo_extensions [str]             default PIPELINING, 8BITMIME, SMTPUTF8, DSN, SIZE
    mail            {address: [code, text]}   replies to MAIL FROM (default 250)
    rcpt            {address: [code, text]}   replies to RCPT TO (default 250)
    data_reply      [code, text]      reply after the final dot (default 250)
    data_delay_ms   int               delay after the final dot, before storing and replying
    reply_delay_ms  int               delay after storing a message, before its reply: the
                                      message is taken but the client does not know it yet
    accept_limit    int               take no more than this many messages in DIR (counted by
                                      SEQ): a later final dot is held, unanswered, until the
                                      script raises or drops the limit, so a test sets the pace
A script file is read again whenever it changes, so a test can change the behaviour of a
running server (write the new file elsewhere and rename it over the old one); a session keeps
the script it started with.
"""
import argparse
import asyncio
import base64
import hashlib
import json
import os
import signal
import sys
import time

DEFAULT_EXTENSIONS = ["PIPELINING", "8BITMIME", "SMTPUTF8", "DSN", "SIZE 104857600"]


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Script:
    def __init__(self, path=None, text=None):
        self.path = path
        self.mtime = None
        self.values = json.loads(text) if text else {}
        self.reload()

    def reload(self):
        if not self.path:
            return
        try:
            status = os.stat(self.path)
            stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
        except FileNotFoundError:
            return
        if stamp != self.mtime:
            with open(self.path, "r", encoding="utf-8") as file:
                self.values = json.load(file)
            self.mtime = stamp

    def snapshot(self):
        self.reload()
        return dict(self.values)


def lookup(table, address, default):
    table = table or {}
    for key, reply in table.items():
        if key.lower() == address.lower():
            return int(reply[0]), reply[1]
    return default


def first_field_end(data):
    """Index just after the first header field (its line and any folded continuation lines)."""
    index = 0
    while True:
        newline = data.find(b"\n", index)
        if newline < 0:
            return len(data)
        index = newline + 1
        if index >= len(data) or data[index:index + 1] not in (b" ", b"\t"):
            return index


def split_address(argument, prefix):
    """'FROM:<a@b> SIZE=1' -> ('a@b', ['SIZE=1']); None if the syntax is off."""
    if not argument.upper().startswith(prefix):
        return None
    rest = argument[len(prefix):].strip()
    if not rest.startswith("<") or ">" not in rest:
        return None
    close = rest.index(">")
    return rest[1:close], rest[close + 1:].split()


class Store:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        existing = [int(name[:-5]) for name in os.listdir(directory) if name.endswith(".json") and name[:-5].isdigit()]
        self.next_seq = max(existing, default=0) + 1

    def save(self, record):
        seq = self.next_seq
        self.next_seq += 1
        record["seq"] = seq
        name = "%06d.json" % seq
        temporary = os.path.join(self.directory, "." + name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(record, file)
            file.flush()
            os.fsync(file.fileno())
        os.rename(temporary, os.path.join(self.directory, name))
        return seq, name


class Server:
    def __init__(self, script, store):
        self.script = script
        self.store = store
        self.sessions = 0

    async def within_accept_limit(self):
        """Returns once the current script's accept_limit (re-read while waiting) allows one more message."""
        while True:
            limit = self.script.snapshot().get("accept_limit")
            if limit is None or self.store.next_seq <= int(limit):
                return
            await asyncio.sleep(0.01)

    async def handle(self, reader, writer):
        self.sessions += 1
        number = self.sessions
        script = self.script.snapshot()
        emit("session %d" % number)

        def reply(code, text):
            lines = text.split("\n")
            out = "".join("%d-%s\r\n" % (code, line) for line in lines[:-1]) + "%d %s\r\n" % (code, lines[-1])
            writer.write(out.encode("utf-8"))

        try:
            code, text = script.get("greeting", [220, "fake.primary.test ESMTP"])
            reply(int(code), text)
            emit("greeting %d %d" % (number, int(code)))
            await writer.drain()
            if int(code) != 220:
                return
            helo = None
            transaction = None
            while True:
                line = await reader.readline()
                if not line:
                    return
                command = line.decode("utf-8", "replace").rstrip("\r\n")
                verb, _, argument = command.partition(" ")
                verb = verb.upper()
                if verb == "EHLO":
                    helo = argument
                    extensions = script.get("ehlo_extensions", DEFAULT_EXTENSIONS)
                    reply(250, "\n".join(["fake.primary.test greets " + argument] + extensions))
                elif verb == "HELO":
                    helo = argument
                    reply(250, "fake.primary.test")
                elif verb == "MAIL":
                    parsed = split_address(argument, "FROM:")
                    if parsed is None:
                        reply(501, "5.5.4 syntax: MAIL FROM:<address>")
                    else:
                        address, params = parsed
                        code, text = lookup(script.get("mail"), address, (250, "2.1.0 Ok"))
                        if code == 250:
                            transaction = {"mail_from": address, "mail_params": params, "rcpt_to": [], "rcpt_params": []}
                        reply(code, text)
                elif verb == "RCPT":
                    parsed = split_address(argument, "TO:")
                    if transaction is None or parsed is None:
                        reply(503, "5.5.1 need MAIL first")
                    else:
                        address, params = parsed
                        code, text = lookup(script.get("rcpt"), address, (250, "2.1.5 Ok"))
                        if code == 250:
                            transaction["rcpt_to"].append(address)
                            transaction["rcpt_params"].append(params)
                        reply(code, text)
                        emit("rcpt %d %s %d" % (number, address, code))
                elif verb == "DATA":
                    if transaction is None or not transaction["rcpt_to"]:
                        reply(554, "5.5.1 no valid recipients")
                        continue
                    reply(354, "End data with <CR><LF>.<CR><LF>")
                    await writer.drain()
                    chunks = []
                    while True:
                        data_line = await reader.readline()
                        if not data_line:
                            return  # connection lost mid-DATA: the message is not taken
                        if data_line == b".\r\n":
                            break
                        if data_line.startswith(b"."):
                            data_line = data_line[1:]
                        chunks.append(data_line)
                    data = b"".join(chunks)
                    emit("dot %d" % number)
                    delay = int(script.get("data_delay_ms", 0))
                    if delay:
                        await asyncio.sleep(delay / 1000)
                    await self.within_accept_limit()
                    code, text = script.get("data_reply", [250, "2.0.0 Ok: queued"])
                    if int(code) == 250:
                        record = dict(transaction)
                        record.update({
                            "received_at": time.time(),
                            "session": number,
                            "helo": helo,
                            "data": base64.b64encode(data).decode("ascii"),
                            "size": len(data),
                            "sha256_after_first_field": hashlib.sha256(data[first_field_end(data):]).hexdigest(),
                        })
                        seq, name = self.store.save(record)
                        emit("message %d %s" % (seq, name))
                        text = "%s as %06d" % (text, seq)
                        reply_delay = int(script.get("reply_delay_ms", 0))
                        if reply_delay:
                            await asyncio.sleep(reply_delay / 1000)
                    reply(int(code), text)
                    emit("reply %d %d" % (number, int(code)))
                    transaction = None
                elif verb == "RSET":
                    transaction = None
                    reply(250, "2.0.0 Ok")
                elif verb == "NOOP":
                    reply(250, "2.0.0 Ok")
                elif verb == "QUIT":
                    reply(221, "2.0.0 Bye")
                    await writer.drain()
                    return
                else:
                    reply(502, "5.5.2 command not recognized")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        finally:
            try:
                writer.close()
            except Exception:
                pass


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--script")
    parser.add_argument("--script-json")
    options = parser.parse_args()
    server = Server(Script(options.script, options.script_json), Store(options.store))
    listener = await asyncio.start_server(server.handle, "127.0.0.1", options.port,
                                          reuse_address=True, limit=4 * 1024 * 1024)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    emit("ready 127.0.0.1:%d started=%.6f" % (options.port, time.time()))
    async with listener:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
