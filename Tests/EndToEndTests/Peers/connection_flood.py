#!/usr/bin/env python3
"""Opens many idle SMTP connections at once and watches how the server gets rid of them.

Usage: connection_flood.py --port PORT --sources A,B,... --per-source N --watch SECONDS

Opens N connections from each loopback source address (asyncio, standard library only),
reads the first reply of each, and then sends nothing. Prints one line once every
connection has its first reply (or failed to connect):
    holding GREETED at=UNIX_TIME
then watches the connections that were greeted until the server has closed them all or
SECONDS have passed, and prints one JSON object:
    greeted, refused (first reply not 220), failed (no connection or no reply),
    first_replies {"CODE ENHANCED": count}, closing_replies {"CODE ENHANCED": count} (the
    last reply before the server closed a greeted connection), closed_by_server, still_open,
    first_close, last_close (Unix times, null if none).
The process needs a descriptor per connection: raise RLIMIT_NOFILE before starting it.
"""
import argparse
import asyncio
import json
import sys
import time


def reply_key(line):
    """'421 4.7.0 Too many ...' -> '421 4.7.0'."""
    words = line.decode("utf-8", "replace").split()
    return " ".join(words[:2])


class Flood:
    def __init__(self, port):
        self.port = port
        self.first_replies = {}
        self.closing_replies = {}
        self.failed = 0
        self.greeted = []
        self.close_times = []

    async def open(self, source, gate):
        async with gate:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", self.port, local_addr=(source, 0)), 30)
                line = await asyncio.wait_for(reader.readline(), 30)
            except (OSError, asyncio.TimeoutError):
                self.failed += 1
                return
        if not line:
            self.failed += 1
            writer.close()
            return
        key = reply_key(line)
        self.first_replies[key] = self.first_replies.get(key, 0) + 1
        if key.startswith("220"):
            self.greeted.append((reader, writer))
        else:
            writer.close()

    async def watch(self, reader, writer):
        """Reads until the server closes the connection; remembers its last reply."""
        last = None
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                last = line
        except OSError:
            pass
        self.close_times.append(time.time())
        key = reply_key(last) if last else "none"
        self.closing_replies[key] = self.closing_replies.get(key, 0) + 1
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sources", required=True)
    parser.add_argument("--per-source", type=int, required=True)
    parser.add_argument("--watch", type=float, required=True)
    options = parser.parse_args()
    flood = Flood(options.port)
    # Connect in waves no larger than the server's listen backlog, so that no SYN is dropped
    # and retried a second later.
    gate = asyncio.Semaphore(256)
    sources = options.sources.split(",")
    await asyncio.gather(*(flood.open(source, gate) for source in sources for _ in range(options.per_source)))
    sys.stdout.write("holding %d at=%.6f\n" % (len(flood.greeted), time.time()))
    sys.stdout.flush()
    watchers = [asyncio.ensure_future(flood.watch(reader, writer)) for reader, writer in flood.greeted]
    if watchers:
        await asyncio.wait(watchers, timeout=options.watch)
    json.dump({
        "greeted": len(flood.greeted),
        "refused": sum(count for key, count in flood.first_replies.items() if not key.startswith("220")),
        "failed": flood.failed,
        "first_replies": flood.first_replies,
        "closing_replies": flood.closing_replies,
        "closed_by_server": len(flood.close_times),
        "still_open": len(flood.greeted) - len(flood.close_times),
        "first_close": min(flood.close_times, default=None),
        "last_close": max(flood.close_times, default=None),
    }, sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
