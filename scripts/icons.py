#!/usr/bin/env python3
"""Draws the app's install icons (static/icons/icon-192.png, icon-512.png and a maskable
512) from the same shapes as static/favicon.svg: a green rounded square with a white house.
Standard library only; run again only if the favicon changes."""
import struct
import zlib
from pathlib import Path

GREEN = (0x2F, 0x6F, 0x5E)
WHITE = (0xFF, 0xFF, 0xFF)
# favicon.svg's house, in its 32x32 box.
HOUSE = [(8, 16), (16, 9), (24, 16), (24, 24), (19, 24), (19, 19), (13, 19), (13, 24), (8, 24)]


def inside(poly, x, y):
    hit = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def draw(size, maskable):
    # A maskable icon fills its square and keeps the house in the middle 80 %.
    radius = 0 if maskable else 7
    scale = 0.8 if maskable else 1.0
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            x, y = (px + 0.5) * 32 / size, (py + 0.5) * 32 / size
            cx, cy = min(max(x, radius), 32 - radius), min(max(y, radius), 32 - radius)
            if radius and (x - cx) ** 2 + (y - cy) ** 2 > radius**2:
                row += bytes(4)
                continue
            hx, hy = 16 + (x - 16) / scale, 16.5 + (y - 16.5) / scale
            row += bytes((WHITE if inside(HOUSE, hx, hy) else GREEN) + (255,))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


out = Path(__file__).resolve().parent.parent / "static" / "icons"
out.mkdir(exist_ok=True)
(out / "icon-192.png").write_bytes(draw(192, False))
(out / "icon-512.png").write_bytes(draw(512, False))
(out / "icon-maskable-512.png").write_bytes(draw(512, True))
