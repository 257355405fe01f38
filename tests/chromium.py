"""Headless Chromium for the browser tests, with nothing but the chromium binary.

``open_page`` loads a file:// URL with every host unresolvable (no network),
lets the page's timers run for a virtual time budget, and returns the DOM after
its scripts ran, plus every console message Chromium logged (``--enable-logging``
prints them on stderr as ``INFO:CONSOLE(...)`` lines). A URL fragment drives
the page: ``#steps=5`` opens the step-through at step 5, ``#play`` plays it.
``screenshot`` writes a PNG; ``png_colours`` decodes one with zlib alone and
counts its distinct colours (a blank page has one).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND"]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


def _run(args: list[str], url: str, budget_ms: int) -> subprocess.CompletedProcess:
    chromium = find_chromium()
    with tempfile.TemporaryDirectory(prefix="zramsim-chromium-") as profile:
        return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}",
                               f"--virtual-time-budget={budget_ms}", *args, url],
                              capture_output=True, text=True, timeout=120)


def url_of(path: Path, fragment: str = "") -> str:
    return Path(path).resolve().as_uri() + (f"#{fragment}" if fragment else "")


def open_page(path: Path, fragment: str = "", budget_ms: int = 3000) -> tuple[str, list[str]]:
    """(DOM after the scripts ran, console messages) of the page at ``path``."""
    done = _run(["--enable-logging=stderr", "--v=0", "--dump-dom"], url_of(path, fragment),
                budget_ms)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def screenshot(path: Path, png: Path, size: str = "1200,1600", fragment: str = "",
               budget_ms: int = 3000) -> bytes:
    """Render the page into ``png`` (width,height in pixels) and return its bytes."""
    _run([f"--window-size={size}", f"--screenshot={png}"], url_of(path, fragment), budget_ms)
    return Path(png).read_bytes()


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of raw pixel bytes) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, width = 8, b"", 0
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"PNG depth {depth} colour type {colour}"
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((x + p) & 255 for x, p in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                up_left = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, prev[i], up_left)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [b"".join(r[i:i + 3] for i in range(0, stride, bpp)) if bpp == 4 else r
                           for r in rows]


def png_colours(data: bytes) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not white) of a PNG."""
    width, height, rows = png_pixels(data)
    colours, white = set(), 0
    for row in rows:
        for i in range(0, len(row), 3):
            pixel = row[i:i + 3]
            colours.add(pixel)
            white += pixel == b"\xff\xff\xff"
    return len(colours), 1 - white / (width * height)
