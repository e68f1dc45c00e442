#!/usr/bin/env python3
"""The tests' own authoritative DNS server: answers from a zone table on a loopback UDP and
TCP port, so that no test touches the real DNS. Standard library only.

    dns_server.py ZONE.json [--host 127.0.0.1] [--silent] [--log QUERIES.log]

ZONE.json: {"records": [{"name": "mx.example.test", "type": "A", "ttl": 300, "data": "192.0.2.1"}, ...],
            "delays": {"slow.example.test": 0.5}}   (seconds before answering a name; optional)
data by type: A/AAAA an address, MX [preference, "exchange"], TXT ["string", ...] (each one
character-string; "\\u00ff" escapes stand for octets), PTR/CNAME a name.

Prints the port on the first line of stdout once both sockets listen. A UDP answer longer than
512 octets is sent truncated (TC set) so the client asks again over TCP. A name with no
records is NXDOMAIN unless it is an empty non-terminal; a name with records of other types is
NODATA. CNAMEs are followed inside the zone. --silent reads queries and never answers (a dead
server, for timeouts). --log appends "NAME TYPE PROTO" per query, flushed at once.
"""
import json
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}
NAMES = {number: name for name, number in TYPES.items()}
UDP_LIMIT = 512


def encode_name(name):
    out = b""
    for label in name.strip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def decode_question(message):
    """The query's ID, flags, name (lowercased) and type; None when it is not a query we read."""
    if len(message) < 12:
        return None
    ident, flags, qdcount = struct.unpack("!HHH", message[:6])
    if qdcount != 1:
        return None
    labels, offset = [], 12
    while True:
        if offset >= len(message):
            return None
        length = message[offset]
        offset += 1
        if length == 0:
            break
        if length > 63 or offset + length > len(message):
            return None
        labels.append(message[offset:offset + length].decode("ascii", "replace").lower())
        offset += length
    if offset + 4 > len(message):
        return None
    qtype, _ = struct.unpack("!HH", message[offset:offset + 4])
    return ident, flags, ".".join(labels), qtype, message[12:offset + 4]


class Zone:
    def __init__(self, records):
        self.records = []
        for record in records:
            self.records.append((record["name"].strip(".").lower(), TYPES[record["type"]],
                                 int(record.get("ttl", 300)), record["data"]))

    def rdata(self, rtype, data):
        if rtype == 1:
            return socket.inet_pton(socket.AF_INET, data)
        if rtype == 28:
            return socket.inet_pton(socket.AF_INET6, data)
        if rtype == 15:
            return struct.pack("!H", data[0]) + encode_name(data[1])
        if rtype in (5, 12):
            return encode_name(data)
        if rtype == 16:
            out = b""
            for text in data:
                raw = text.encode("latin-1")
                out += bytes([len(raw)]) + raw
            return out
        raise ValueError(rtype)

    def answer(self, name, qtype):
        """(rcode, [(owner, type, ttl, rdata)])."""
        answers, owner, seen = [], name, set()
        while owner not in seen:
            seen.add(owner)
            matching = [r for r in self.records if r[0] == owner and r[1] == qtype]
            if matching:
                answers += matching
                break
            alias = [r for r in self.records if r[0] == owner and r[1] == 5]
            if alias and qtype != 5:
                answers += alias
                owner = alias[0][3].strip(".").lower()
                continue
            break
        if answers:
            return 0, answers
        exists = any(r[0] == name or r[0].endswith("." + name) for r in self.records)
        return (0 if exists else 3), []

    def response(self, query, limit):
        ident, flags, name, qtype, question = query
        rcode, answers = self.answer(name, qtype)
        body = b""
        for owner, rtype, ttl, data in answers:
            rdata = self.rdata(rtype, data)
            body += encode_name(owner) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata
        # QR, AA, the client's RD; the RCODE.
        reply_flags = 0x8400 | (flags & 0x0100) | rcode
        header = struct.pack("!HHHHHH", ident, reply_flags, 1, len(answers), 0, 0)
        message = header + question + body
        if limit is not None and len(message) > limit:
            header = struct.pack("!HHHHHH", ident, reply_flags | 0x0200, 1, 0, 0, 0)
            message = header + question
        return message


class Server:
    def __init__(self, zone, silent, log, delays):
        self.zone, self.silent, self.log, self.delays = zone, silent, log, delays
        self.lock = threading.Lock()

    def note(self, query, proto):
        if self.log is None:
            return
        with self.lock:
            self.log.write("%s %s %s\n" % (query[2], NAMES.get(query[3], str(query[3])), proto))
            self.log.flush()

    def answer(self, message, proto, limit):
        query = decode_question(message)
        if query is None:
            return None
        self.note(query, proto)
        if self.silent:
            return None
        delay = self.delays.get(query[2])
        if delay:
            time.sleep(delay)
        return self.zone.response(query, limit)


def main():
    # A parent that ignores or blocks SIGTERM passes that on; the tests stop this server with it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    args = sys.argv[1:]
    zone_path = args.pop(0)
    host, silent, log_path = "127.0.0.1", False, None
    while args:
        flag = args.pop(0)
        if flag == "--host":
            host = args.pop(0)
        elif flag == "--silent":
            silent = True
        elif flag == "--log":
            log_path = args.pop(0)
        else:
            sys.exit("unknown argument " + flag)
    with open(zone_path) as handle:
        table = json.load(handle)
    zone = Zone(table["records"])
    delays = {name.strip(".").lower(): float(seconds) for name, seconds in table.get("delays", {}).items()}
    server = Server(zone, silent, open(log_path, "a") if log_path else None, delays)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class UDPHandler(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            reply = server.answer(data, "udp", UDP_LIMIT)
            if reply is not None:
                sock.sendto(reply, self.client_address)

    class TCPHandler(socketserver.BaseRequestHandler):
        def handle(self):
            connection = self.request
            while True:
                prefix = self.read(connection, 2)
                if prefix is None:
                    return
                message = self.read(connection, struct.unpack("!H", prefix)[0])
                if message is None:
                    return
                reply = server.answer(message, "tcp", None)
                if reply is None:
                    # Silent: hold the connection until the client gives up.
                    while connection.recv(4096):
                        pass
                    return
                connection.sendall(struct.pack("!H", len(reply)) + reply)

        @staticmethod
        def read(connection, count):
            data = b""
            while len(data) < count:
                chunk = connection.recv(count - len(data))
                if not chunk:
                    return None
                data += chunk
            return data

    class UDPServer(socketserver.ThreadingUDPServer):
        address_family = family
        daemon_threads = True

    class TCPServer(socketserver.ThreadingTCPServer):
        address_family = family
        daemon_threads = True
        allow_reuse_address = True

    for _ in range(50):
        udp = UDPServer((host, 0), UDPHandler)
        port = udp.server_address[1]
        try:
            tcp = TCPServer((host, port), TCPHandler)
            break
        except OSError:
            udp.server_close()
    else:
        sys.exit("no port free for both UDP and TCP")
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    print(port, flush=True)
    udp.serve_forever()


if __name__ == "__main__":
    main()
