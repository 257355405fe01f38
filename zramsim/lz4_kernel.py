"""The compressed length the kernel's lz4 produces for one page, in pure Python.

Why: zram's lz4 backend calls the kernel's ``lib/lz4`` (LZ4 1.7.3-era greedy
compressor, acceleration 1). The python-lz4 wheels bundle LZ4 1.9.x, which
differs by one position at the end of the input: 1.9 may still start a match
at ``len - 12`` where 1.7.3 stops searching at ``len - 13``. So 1.9's length
is the same or a few bytes smaller on a couple of pages in a hundred. This
module re-implements the 1.7.3 greedy parse (not its byte output, only the
sequence lengths) so that the simulator can reproduce the kernel exactly.

``Lz4Kernel`` (algorithm ``lz4-kernel``) uses it only where it can matter: the
two parses differ only if 1.9's search found a match one position later than
1.7.3's may look, and such a match ends within 12 bytes of the page end. When
1.9's block ends in 12 or more literals its length is the kernel's; otherwise
the pure-Python parse decides. Most compressible pages end in a short literal
run, so the parse runs on ~80% of pages (~1 ms each): 0.83 ms a page on
average over 2,275 /usr/lib pages, against 0.016 ms for plain ``lz4``.

The parse, for a page of ``n`` bytes (no dictionary, 16-bit position table):

- a table of 2**13 positions indexed by ``(word32 * 2654435761 mod 2**32) >> 19``;
- scan forward for a position whose 4 bytes equal those at the table's last
  position with the same hash; the stride grows by one every 64 misses;
  searching stops when the next position would pass ``n - 12``;
- extend a match backwards over equal bytes, forwards up to ``n - 5``;
- after a match, record ``end - 2`` and try ``end`` at once for another match.

Each sequence costs ``1 + ext(literals) + literals + 2 + ext(match - 4)``
bytes and the final literal run ``1 + ext(run) + run``, where
``ext(x) = 0 if x < 15 else (x - 15) // 255 + 1``. Worked example: 20
literals then a 40-byte match take 1 + 1 + 20 + 2 + 1 = 25 bytes: the token,
one extra byte because 20 literals overflow the token's 4-bit field (ext(20) = 1),
the 20 literals, the 2-byte offset, and one extra byte for the match length
(ext(40 - 4) = 1).
"""

from __future__ import annotations


import lz4.block

from zramsim.lz4_block import Lz4
from zramsim.u32_words import u32_words

MINMATCH = 4
LASTLITERALS = 5
MFLIMIT = 12
HASH_SHIFT = 32 - 13
PRIME, MASK32 = 2654435761, 0xFFFFFFFF   # the 4-byte hash: (word * PRIME mod 2**32) >> 19
SKIP_TRIGGER = 6


def _ext(count: int) -> int:
    return 0 if count < 15 else (count - 15) // 255 + 1




def _match_end(src: bytes, end: int, other: int, limit: int) -> int:
    """First position from ``end`` (< ``limit``) where ``src`` differs from ``other`` on.

    Compares 32-byte slices first (one C memcmp each), then bytes inside the
    slice that differs.
    """
    while end < limit:
        step = min(32, limit - end)
        if src[end:end + step] == src[other:other + step]:
            end += step
            other += step
            continue
        while src[end] == src[other]:
            end += 1
            other += 1
        break
    return end


def kernel_lz4_len(src: bytes, acceleration: int = 1) -> int:
    """Length of the kernel's lz4 output for ``src`` (a page, < 64 KiB).

    ``acceleration`` is zram's lz4 ``level`` (default 1): the forward search
    stride starts at ``acceleration`` instead of 1 (and still grows every 64
    misses).
    """
    n = len(src)
    if n < MFLIMIT + 1:
        return 1 + _ext(n) + n
    words = u32_words(src)
    table = [0] * (1 << 13)
    mflimit = n - MFLIMIT
    matchlimit = n - LASTLITERALS
    out = 0
    anchor = 0
    ip = 1
    table[(words[0] * PRIME & MASK32) >> HASH_SHIFT] = 0
    while True:
        # forward search for a 4-byte match
        forward = ip
        step = 1
        attempts = acceleration << SKIP_TRIGGER
        while True:
            ip = forward
            forward += step
            step = attempts >> SKIP_TRIGGER
            attempts += 1
            if forward > mflimit:
                return out + 1 + _ext(n - anchor) + n - anchor
            word = words[ip]
            h = (word * PRIME & MASK32) >> HASH_SHIFT
            match = table[h]
            table[h] = ip
            if words[match] == word:
                break
        while ip > anchor and match > 0 and src[ip - 1] == src[match - 1]:
            ip -= 1
            match -= 1
        literals = ip - anchor
        out += 1 + _ext(literals) + literals
        while True:
            end = _match_end(src, ip + MINMATCH, match + MINMATCH, matchlimit)
            out += 2 + _ext(end - ip - MINMATCH)
            ip = anchor = end
            if ip > mflimit:
                return out + 1 + _ext(n - anchor) + n - anchor
            table[(words[ip - 2] * PRIME & MASK32) >> HASH_SHIFT] = ip - 2
            h = (words[ip] * PRIME & MASK32) >> HASH_SHIFT
            match = table[h]
            table[h] = ip
            if words[match] != words[ip]:
                break
            out += 1  # a token with no literals before the next match
        ip += 1


def _final_literals_may_be_short(block: bytes) -> bool:
    """True unless the block surely ends in >= 12 literals.

    A final run of L < 15 literals is the token ``L << 4`` followed by L bytes,
    so a run of 5..11 leaves that token byte at ``block[-(L + 1)]``. If no such
    byte is where it would have to be, the run is at least 12 bytes long.
    """
    return any(len(block) > run and block[-(run + 1)] == run << 4 for run in range(5, 12))


def _extended(data: bytes, ip: int, length: int) -> tuple[int, int]:
    """A 4-bit length field of 15 continues in bytes of 255 and one final byte."""
    if length == 15:
        while data[ip] == 255:
            length += 255
            ip += 1
        length += data[ip]
        ip += 1
    return length, ip


def block_length(data: bytes, page_size: int) -> int:
    """Bytes of the LZ4 block at the start of ``data`` that decodes to ``page_size``.

    Walks the sequences (token, literal length, literals, offset, match length)
    until the output reaches ``page_size`` right after a literal run.
    """
    ip = out = 0
    while True:
        token = data[ip]
        ip += 1
        run, ip = _extended(data, ip, token >> 4)
        ip += run
        out += run
        if out >= page_size:
            return ip
        match, ip = _extended(data, ip + 2, token & 15)   # after the 2-byte offset
        out += match + 4


class Lz4Kernel(Lz4):
    """lz4 whose lengths are the kernel's on every page: python-lz4 plus the 1.7.3 parse.

    The stored bytes are python-lz4's block, padded with zeros to the kernel's
    length when the kernel's output would be longer; reads decode the block and
    ignore the padding.
    """

    name = "lz4-kernel"

    def compress(self, page: bytes) -> bytes:
        block = super().compress(page)
        if block is page or not _final_literals_may_be_short(block):
            return block
        exact = kernel_lz4_len(page, self.acceleration)
        return block + bytes(exact - len(block)) if exact > len(block) else block

    def decompress(self, data: bytes, page_size: int) -> bytes:
        end = block_length(data, page_size)
        return lz4.block.decompress(data[:end], uncompressed_size=page_size)

    def clone(self) -> Lz4Kernel:
        """An independent instance for another thread."""
        return Lz4Kernel(self.acceleration)
