"""Draws CineMatch's icons (a film reel on the brand's red) into the package's static/icons/:
PNGs for the manifest and Apple devices, a multi-size favicon.ico, from nothing but the standard
library. Run it again after changing the drawing: `python web/icons/draw.py`."""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "src/cinematch/entrypoints/web/static/icons"
RED, WHITE = (138, 28, 43), (255, 255, 255)
HOLES = [(0.5 + 0.19 * math.cos(a), 0.5 + 0.19 * math.sin(a)) for a in
         (math.radians(-90 + 72 * k) for k in range(5))]


def colour(x: float, y: float) -> tuple[int, int, int, int]:
    """The drawing at (x, y) in the unit square: a rounded square, a reel with five holes."""
    r, dx, dy = 0.2, max(abs(x - 0.5) - 0.5 + 0.2, 0), max(abs(y - 0.5) - 0.5 + 0.2, 0)
    if dx * dx + dy * dy > r * r:
        return (0, 0, 0, 0)
    d = math.hypot(x - 0.5, y - 0.5)
    if d < 0.34 and d > 0.045 and all(math.hypot(x - hx, y - hy) > 0.075 for hx, hy in HOLES):
        return (*WHITE, 255)
    return (*RED, 255)


def render(size: int, samples: int = 4) -> bytes:
    rows = []
    for j in range(size):
        row = bytearray(b"\0")
        for i in range(size):
            acc = [0, 0, 0, 0]
            for sj in range(samples):
                for si in range(samples):
                    c = colour((i + (si + 0.5) / samples) / size, (j + (sj + 0.5) / samples) / size)
                    for k in range(3):
                        acc[k] += c[k] * c[3]
                    acc[3] += c[3]
            alpha = acc[3] / samples ** 2
            rgb = [round(acc[k] / acc[3]) if acc[3] else 0 for k in range(3)]
            row += bytes([*rgb, round(alpha)])
        rows.append(bytes(row))
    return png(size, b"".join(rows))


def png(size: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(images: dict[int, bytes]) -> bytes:
    """A .ico whose images are PNGs (every browser since 2010 reads them)."""
    head = struct.pack("<HHH", 0, 1, len(images))
    offset, entries, data = 6 + 16 * len(images), b"", b""
    for size, image in images.items():
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), offset + len(data))
        data += image
    return head + entries + data


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size in (("icon-512.png", 512), ("icon-192.png", 192), ("apple-touch-icon.png", 180)):
        (OUT / name).write_bytes(render(size, 2 if size > 200 else 4))
    (OUT / "favicon.ico").write_bytes(ico({16: render(16), 32: render(32), 48: render(48)}))


if __name__ == "__main__":
    main()
