#!/usr/bin/env python3
"""Reads a PNG with the standard library only (zlib) and prints JSON: width, height, the
number of distinct colours, the share of the most common one, and for each colour given as
`rrggbb` after the file name, how many pixels have it. Handles 8-bit RGB and RGBA,
non-interlaced, as Chromium writes them."""
import json
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, chunks, idat = 8, {}, b""
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IDAT":
        idat += body
    else:
        chunks.setdefault(kind, body)
    pos += 12 + length
width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
assert depth == 8 and colour_type in (2, 6) and interlace == 0, f"unsupported PNG: {depth} {colour_type} {interlace}"
channels = 3 if colour_type == 2 else 4
stride = width * channels
raw = zlib.decompress(idat)
rows, previous, i = [], bytearray(stride), 0
for _ in range(height):
    kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - channels] if x >= channels else 0
        b = previous[x]
        c = previous[x - channels] if x >= channels else 0
        if kind == 1:
            line[x] = (line[x] + a) & 0xFF
        elif kind == 2:
            line[x] = (line[x] + b) & 0xFF
        elif kind == 3:
            line[x] = (line[x] + (a + b) // 2) & 0xFF
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    rows.append(bytes(line))
    previous = line
counts = {}
for line in rows:
    for x in range(0, stride, channels):
        pixel = line[x:x + 3]
        counts[pixel] = counts.get(pixel, 0) + 1
top = max(counts.values())
wanted = {name: counts.get(bytes.fromhex(name), 0) for name in sys.argv[2:]}
print(json.dumps({"width": width, "height": height, "colours": len(counts),
                  "dominant_share": round(top / (width * height), 4), "pixels": wanted}))
