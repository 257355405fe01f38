"""The LZO1X format as the kernel writes it, and a decoder for lzo and lzo-rle.

Why: zram's default algorithm is lzo-rle; a simulated device must read back
what it stored, and the compressed length is all zram's accounting sees, so
the format is spelled out here once, for the encoder (``zramsim.lzo_compress``)
and the decoder below.

A stream is a sequence of instructions. Literal runs (bytes copied as they
are) alternate with copies from earlier output at a distance (matches); the
low 2 bits of the last-but-one byte of each match (the "state" bits) hold a
literal run of 1..3 bytes that follows it, so short runs cost no instruction
byte. First byte ``b`` (``L`` length bits, ``D`` distance bits, ``S`` state):

=============  ========================  ==========================================
``b``          instruction               rest of the instruction
=============  ========================  ==========================================
0..15 (a)      literal run of b + 3      ``b = 0``: 18 + the zero-run count below
0..15 (b)      M1: 2 bytes back 1..1024  ``b = 0000DDSS``, one byte D: 1 + (b >> 2) + 4D
0..15 (c)      M1: 3 bytes, 2049..3072   as (b), 2048 further back
16..31         M4: 3..9+ bytes, 16384+   ``b = 0001HLLL``, then 2 bytes ``DDDDDDSS DDDDDDDD``
32..63         M3: 3..33+ bytes, 1..16K  ``b = 001LLLLL``, then 2 bytes as M4
64..255        M2: 3..8 bytes, 1..2048   ``b = LLLDDDSS``, then ``DDDDDDDD``
=============  ========================  ==========================================

Which meaning a byte 0..15 has depends on what came before: (a) at the
start and after a match with no state bits, (b) after a match followed by 1..3
literals, (c) after a literal run of 4 or more. The kernel never writes M1. A
length field of all zero bits is extended: each following 0 byte adds 255,
the first non-zero byte adds itself (literal runs: ``18 + 255 * zeros + byte``,
M3: ``33 + ...``, M4: ``9 + ...``). M4's distance is ``16384 + (H << 14) +
D``; an M4 of distance 16384 (H = 0, D = 0) of 3 bytes, ``0x11 0x00 0x00``,
ends the stream. A first byte of 18..255 is a literal run of ``b - 17`` bytes.

lzo-rle (bitstream version 1) starts with ``17 1`` (plain lzo never starts
with 17) and adds one instruction: a zero run of 4..2051 bytes is the 4 bytes
``0x18 | r & 7``, ``0xFC | S``, ``0xFF``, ``r >> 3`` with ``r = run - 4``
(an M4 with H = 1 and distance 0xBFFF, which lzo-rle's compressor never uses
for a match: its longest M4 distance is 0xBFFE).

Worked example: lzo-rle of the 4096-byte zero page is 41 bytes: ``11 01``
(version 1); ``02`` and 5 zero bytes (a literal run of 5: the scan starts at
byte 5); ``1f fc ff ff``, a zero run of 4 + (7 + 8 * 255) = 2051 bytes;
``18 fc ff fc``, a zero run of 4 + 8 * 252 = 2020 bytes (up to ``n - 20``);
``00 02`` and 20 zero bytes (a literal run of 18 + 2); ``11 00 00``.
"""

from __future__ import annotations

M2_MAX_LEN, M3_MAX_LEN, M4_MAX_LEN = 8, 33, 9
M2_MAX_OFFSET, M3_MAX_OFFSET = 0x0800, 0x4000
M4_MAX_OFFSET_LZO = 0xBFFF         # also the block size - 1 of the compressor
M4_MAX_OFFSET_RLE = 0xBFFE         # 0xBFFF with H = 1 is lzo-rle's zero run
MIN_ZERO_RUN, MAX_ZERO_RUN = 4, 2051
RLE_VERSION = 1
END_MARKER = b"\x11\x00\x00"


class LzoError(ValueError):
    """A stream that is not a valid LZO1X stream of the expected length."""


def _count(data: bytes, ip: int) -> tuple[int, int]:
    """The extension of a zero length field at ``ip``: 255 per zero byte, then a byte."""
    start = ip
    while data[ip] == 0:
        ip += 1
    return 255 * (ip - start) + data[ip], ip + 1


def decompress(data: bytes, size: int) -> bytes:
    """The ``size`` bytes that the lzo or lzo-rle stream ``data`` encodes.

    Raises LzoError for a malformed stream, one that reads behind its start,
    or one that does not decode to exactly ``size`` bytes.
    """
    try:
        out = _decode(data, size)
    except IndexError:
        raise LzoError("the stream ends inside an instruction") from None
    if len(out) != size:
        raise LzoError(f"the stream decodes to {len(out)} bytes, not {size}")
    return bytes(out)


def _decode(data: bytes, size: int) -> bytearray:
    out = bytearray()
    ip = 0
    if len(data) < 3:
        raise LzoError("a stream is at least 3 bytes")
    rle = len(data) >= 5 and data[0] == 17 and data[1] != 0
    if len(data) >= 5 and data[0] == 17:
        ip = 2
    state = 0
    if data[ip] > 17:
        t = data[ip] - 17
        out += data[ip + 1:ip + 1 + t]
        ip += 1 + t
        state = t if t < 4 else 4
    while True:
        t = data[ip]
        ip += 1
        if t < 16:
            if state == 0:                            # a literal run
                if t == 0:
                    t, ip = _count(data, ip)
                    t += 15
                t += 3
                if ip + t > len(data):
                    raise LzoError("a literal run runs past the end of the stream")
                out += data[ip:ip + t]
                ip += t
                state = 4
                continue
            dist = 1 + (t >> 2) + (data[ip] << 2) + (0 if state < 4 else M2_MAX_OFFSET)
            length = 2 if state < 4 else 3
            ip += 1
        elif t >= 64:                                 # M2
            dist = 1 + ((t >> 2) & 7) + (data[ip] << 3)
            length = (t >> 5) + 1
            ip += 1
        elif t >= 32:                                 # M3
            length = (t & 31) + 2
            if length == 2:
                length, ip = _count(data, ip)
                length += 33
            dist = 1 + (data[ip] >> 2) + (data[ip + 1] << 6)
            t = data[ip]
            ip += 2
        else:                                         # M4, the end marker, a zero run
            if rle and (t & 0xF8) == 0x18 and data[ip] >= 0xFC and data[ip + 1] == 0xFF:
                run = (t & 7) + (data[ip + 2] << 3) + MIN_ZERO_RUN
                out += bytes(run)
                t = data[ip]
                ip += 3
                state = t & 3
                out += data[ip:ip + state]
                ip += state
                continue
            high = (t & 8) << 11
            length = (t & 7) + 2
            if length == 2:
                length, ip = _count(data, ip)
                length += 9
            dist = high + (data[ip] >> 2) + (data[ip + 1] << 6)
            t = data[ip]
            ip += 2
            if dist == 0:
                if length != 3 or ip != len(data):
                    raise LzoError("malformed end of stream")
                return out
            dist += 0x4000
        start = len(out) - dist
        if start < 0 or start + dist + length > size:
            raise LzoError(f"a match reaches {dist} bytes back, only {len(out)} written"
                           if start < 0 else f"the stream decodes to more than {size} bytes")
        if dist >= length:
            out += out[start:start + length]
        else:                                         # overlapping: repeat the pattern
            out += (out[start:] * (length // dist + 1))[:length]
        state = t & 3
        if state:
            out += data[ip:ip + state]
            ip += state
