"""The kernel's LZO1X-1 compressor (``lzo``) and its run-length variant (``lzo-rle``).

Why: zram's default algorithm is lzo-rle, and no user-space library produces
its output; liblzo2 produces plain lzo but is a system library, not a pip
package. So both are written here from the format (``zramsim/lzo.py`` explains
the instructions) and the algorithm below, and checked against the real
kernel page by page (docs/fidelity.md).

The parse, for an input of ``n`` bytes (a page is one block; inputs longer than
``49152`` bytes, ``49151`` for lzo-rle, go in blocks of that size, each with a
fresh dictionary, and literals left over at a block's end run into the next):

- a dictionary of ``2**13`` positions, indexed by the top 13 bits of
  ``word32 * 0x1824429d mod 2**32`` (``word32``: the 4 bytes at a position,
  little-endian); every position looked at is recorded in it;
- the first position looked at is 5; after a miss the scan moves on by
  ``1 + literals // 32`` bytes, ``literals`` counting from the last
  instruction: long literal runs are crossed ever faster;
- a hit (same 4 bytes at the recorded position) becomes a match, extended
  forwards 8 bytes at a time; matching stops counting at the first 8-byte step
  that reaches ``n - 20``, so a match may end up to 11 bytes past that mark;
- lzo-rle only: 4 zero bytes at a position start a *zero run* instead
  (4 .. 2051 bytes, not beyond ``n - 20``), one 4-byte instruction, and the
  dictionary is not updated there;
- scanning stops at ``n - 20``; the rest is the final literal run, then the
  3-byte end marker.

Worked example, lzo: the 4096-byte page ``b"hello zram " * 372 + bytes(4)``.
Positions 5..10 miss; position 11 hits the dictionary's initial entry,
position 0, with the same 4 bytes: 11 literals (``08`` and 11 bytes), then a
match at distance 11. ``n - 20`` is 4076; the 8-byte steps from 11 + 4 first
reach it at 11 + 4068, so the match is 4068 bytes (it could have run to byte
4092): an M3 instruction ``20``, 15 zero bytes and ``d2`` (33 + 15 * 255 +
210 = 4068), distance ``28 00``: 19 bytes. Then the 17 bytes left as
literals (``0e`` and 17 bytes) and the end ``11 00 00``: 12 + 19 + 18 + 3 = 52.
"""

from __future__ import annotations

from array import array

from zramsim.lzo import (
    M2_MAX_LEN, M2_MAX_OFFSET, M3_MAX_LEN, M3_MAX_OFFSET, M4_MAX_LEN, M4_MAX_OFFSET_LZO,
    M4_MAX_OFFSET_RLE, MAX_ZERO_RUN, MIN_ZERO_RUN, RLE_VERSION, END_MARKER,
)
from zramsim.u32_words import u32_words

D_BITS = 13                   # the kernel's dictionary: 2**13 16-bit positions
HASH_MULTIPLIER = 0x1824429d
TAIL = 20                     # no instruction starts in the last 20 bytes of a block


def _append_count(out: bytearray, count: int) -> None:
    """A length beyond its field: a zero byte per 255, then the rest as a non-zero byte.

    ``count`` = 255 * zeros + last, with last in 1..255: 4078 is 15 zeros and 253.
    """
    zeros, rest = divmod(count - 1, 255)
    out += bytes(zeros)
    out.append(rest + 1)


def _common(src: bytes, a: int, b: int, start: int, cap: int) -> int:
    """How many bytes from ``a`` equal those from ``b`` (the first ``start`` do), at most ``cap``.

    Compares slices (one C memcmp each) of 8 bytes, then of 64, then bytes
    inside the slice that differs.
    """
    k = start
    while k < cap:
        step = 8 if k < 64 else 64
        if k + step > cap:
            step = cap - k
        if src[a + k:a + k + step] == src[b + k:b + k + step]:
            k += step
            continue
        while src[a + k] == src[b + k]:
            k += 1
        return k
    return cap


def _literals(out: bytearray, src: bytes, ii: int, ip: int, state: int) -> None:
    """Append the literal run ``src[ii:ip]`` after an instruction (its spare bits at ``state``)."""
    t = ip - ii
    if t <= 3:
        out[state] |= t
    elif t <= 18:
        out.append(t - 3)
    else:
        out.append(0)
        _append_count(out, t - 18)
    out += src[ii:ip]


def _block(src: bytes, words: list[int], base: int, end: int, carried: int,
           out: bytearray, state: int, rle: bool) -> tuple[int, int]:
    """Compress ``src[base:end]`` into ``out``; ``carried`` literals precede ``base``.

    ``state`` is where, counting back from the end of ``out``, the last
    instruction keeps its spare literal bits. Returns the literals left at the
    end (counting ``carried`` too if no instruction was written) and the new
    ``state``. The scan for a hit is the hot loop: kept flat on purpose.
    """
    ip_end = end - TAIL
    shift = 32 - D_BITS
    multiplier, d_mask = HASH_MULTIPLIER, (1 << D_BITS) - 1
    table = [base] * (1 << D_BITS)
    ii = base
    ip = base + (4 - carried if carried < 4 else 0)
    ip += 1 + ((ip - ii) >> 5)
    while True:
        while ip < ip_end:                        # scan: the hot loop
            dv = words[ip]
            if not dv and rle:
                break
            h = (dv * multiplier >> shift) & d_mask   # bits 19..31 of the product
            m_pos = table[h]
            table[h] = ip
            if words[m_pos] == dv:
                break
            ip += 1 + ((ip - ii) >> 5)
        else:
            return end - (ii - carried), state
        if carried:                               # the first instruction of this block
            ii -= carried
            carried = 0
        t = ip - ii
        if t:                                     # _literals, inlined
            if t <= 3:
                out[len(out) + state] |= t
            elif t <= 18:
                out.append(t - 3)
            else:
                out.append(0)
                _append_count(out, t - 18)
            out += src[ii:ip]
        if not dv and rle:                        # a zero run
            rest = src[ip + 4:min(ip_end, ip + MAX_ZERO_RUN + 1)]
            run = min(4 + len(rest) - len(rest.lstrip(b"\0")), MAX_ZERO_RUN)
            ip += run
            run -= MIN_ZERO_RUN
            out += ((run << 21) | 0xFFFC18 | (run & 7)).to_bytes(4, "little")
            state = -3
            ii = ip
            continue
        # A match of 4 bytes at least: the first 8 more by words (the lowest
        # differing byte ends it), then by slices.
        diff = words[ip + 4] ^ words[m_pos + 4]
        if diff:
            m_len = 4 if diff & 0xFF else 5 if diff & 0xFF00 else 6 if diff & 0xFF0000 else 7
        else:
            diff = words[ip + 8] ^ words[m_pos + 8]
            if diff:
                m_len = 8 if diff & 0xFF else 9 if diff & 0xFF00 else 10 if diff & 0xFF0000 \
                    else 11
            else:
                cap = ip_end - ip - 4                 # counting stops at the 8-byte step
                cap = 12 if cap <= 8 else 4 + ((cap + 7) >> 3 << 3)   # that reaches ip_end
                m_len = _common(src, ip, m_pos, 12, cap)
        m_off = ip - m_pos
        ip += m_len
        if m_len <= M2_MAX_LEN and m_off <= M2_MAX_OFFSET:
            m_off -= 1
            out.append(((m_len - 1) << 5) | ((m_off & 7) << 2))
            out.append(m_off >> 3)
        else:
            if m_off <= M3_MAX_OFFSET:
                m_off -= 1
                if m_len <= M3_MAX_LEN:
                    out.append(0x20 | (m_len - 2))
                else:
                    out.append(0x20)
                    _append_count(out, m_len - M3_MAX_LEN)
            else:
                m_off -= 0x4000
                high = (m_off >> 11) & 8
                if m_len <= M4_MAX_LEN:
                    out.append(0x10 | high | (m_len - 2))
                else:
                    out.append(0x10 | high)
                    _append_count(out, m_len - M4_MAX_LEN)
            out.append((m_off << 2) & 0xFF)
            out.append((m_off >> 6) & 0xFF)
        state = -2
        ii = ip


def compress(src: bytes, rle: bool = False) -> bytes:
    """The kernel's ``lzo1x_1_compress`` (``rle`` False) or ``lzorle1x_1_compress`` output."""
    out = bytearray()
    if rle:
        out += bytes((17, RLE_VERSION))
    data_start = len(out)
    block = (M4_MAX_OFFSET_RLE if rle else M4_MAX_OFFSET_LZO) + 1
    words = u32_words(src)
    n = len(src)
    pos = carried = 0
    state = -2
    while n - pos > TAIL:
        end = min(n, pos + block)
        carried, state = _block(src, words, pos, end, carried, out, state, rle)
        pos = end
    t = carried + n - pos
    if t:
        if len(out) == data_start and t <= 238:
            out.append(17 + t)
            out += src[n - t:]
        else:
            _literals(out, src, n - t, n, len(out) + state)
    out += END_MARKER
    return bytes(out)
