"""Page content generators: synthetic pages that compress like real memory.

A zram experiment is only as good as the pages written to the device: zsmalloc's
size classes, the same-filled shortcut and the huge-page rule all react to the
*compressed length* of each page, so the generators aim at the lz4 length
distribution of real pages, not at looking pretty. Each kind imitates one source
of anonymous or page-cache memory:

| kind     | imitates                                   | lz4 length of a 4 KiB page |
|----------|--------------------------------------------|-----------------------------|
| ``zero`` | untouched or cleared memory                | same-filled, stored as 0 B  |
| ``same`` | ``memset`` with one non-zero 64-bit word   | same-filled, stored as 0 B  |
| ``text`` | English prose (docs, mail, logs)           | ~1650 B (ratio ~2.5)        |
| ``source`` | program source code                      | ~1770 B (ratio ~2.3)        |
| ``heap`` | a malloc heap: pointers, small ints, strings | ~1450 B (ratio ~2.9)      |
| ``code`` | x86-64 machine code (.text)                | ~2900 B (ratio ~1.4)        |
| ``random`` | encrypted or already-compressed data     | >= 4096 B: a huge page      |

(``docs/generators.md`` has the measured numbers against real pages.)

Every generator is ``gen(rng, page_size=4096) -> bytes`` and returns exactly
``page_size`` bytes; ``rng`` is a ``random.Random`` or an int seed, never the
global generator, so the same seed gives the same page. ``KINDS`` maps each name
to its generator so a command line can list them.

Speed matters because a default workload writes thousands of pages: generators
draw their randomness in one ``rng.randbytes`` call per page and spend it a byte
at a time, instead of calling ``rng.random()`` for every word, and ``heap`` and
``code`` pages are runs taken from a library of chunks or instructions built once
from a fixed seed. Example: a ``heap`` page is 512 words, ~35 chunks of ~120
bytes; one ``rng.choices(library, k=43)`` call picks them all (6 us a page,
against ~150 us when every word was drawn separately). The bytes of every page
are pinned to the seed (tests/test_generator_digests.py), so a faster page must
make the same random calls: a text page's 409 weighted picks go through
``workloads.draws`` (the same picks as ``choices`` from one ``getrandbits``
call), source lines are formatted a batch at a time by C-level maps, and code
pages slice one string of the whole instruction library.
"""

from __future__ import annotations

import random
import re
import struct
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from functools import cache
from itertools import accumulate, repeat
from math import floor
from operator import call, getitem, itemgetter, mod

from workloads.draws import WeightedDraw

PAGE_SIZE = 4096

# Non-zero fill words that real programs write with memset or pattern fills.
COMMON_FILLS = (
    0xFFFF_FFFF_FFFF_FFFF,
    0x0101_0101_0101_0101,
    0x2020_2020_2020_2020,
    0xAAAA_AAAA_AAAA_AAAA,
    0x0000_0000_0000_0001,
    0xDEAD_BEEF_DEAD_BEEF,
)

Generator = Callable[..., bytes]


def as_rng(rng: random.Random | int) -> random.Random:
    """Return ``rng`` itself, or a new ``random.Random`` seeded with the int."""
    return rng if isinstance(rng, random.Random) else random.Random(rng)


def _fit(data: bytes, page_size: int) -> bytes:
    """Cut or zero-pad ``data`` to exactly ``page_size`` bytes."""
    if len(data) >= page_size:
        return data[:page_size]
    return data + bytes(page_size - len(data))


def zero_page(rng: random.Random | int = 0, page_size: int = PAGE_SIZE) -> bytes:
    """An all-zero page (the rng is accepted for a uniform signature, unused)."""
    return bytes(page_size)


def same_page(rng: random.Random | int, page_size: int = PAGE_SIZE) -> bytes:
    """A page of one repeated non-zero 64-bit word: half common fills, half random."""
    rng = as_rng(rng)
    if rng.random() < 0.5:
        word = rng.choice(COMMON_FILLS)
    else:
        word = rng.getrandbits(64) or 1
    return word.to_bytes(8, "little") * (page_size // 8) + bytes(page_size % 8)


def random_page(rng: random.Random | int, page_size: int = PAGE_SIZE) -> bytes:
    """Uniform random bytes: lz4 cannot shrink them, so zram stores a huge page."""
    return as_rng(rng).randbytes(page_size)


# --- text ---------------------------------------------------------------------

_WORDS = """
the of and to a in is that for it as was with be by on not he this are or his from
at which but have an they you were her she there been one all we their has would
when if so no will can more about what up its out into them then some only other
than time also could these two may first any new like our over such very after
most through where must those well should because each just people how many
between before under while system memory page data file used number example
process value being both same kernel device without another during since against
following however within make given much order return function three point second
set way back each group large small case found even here state while where place
""".split()
_RARE = """
allocator compression fragmentation zspage threshold scheduler interrupt latency
throughput hierarchical configuration documentation implementation reclaim swap
writeback inode filesystem journal checksum buffer descriptor semaphore mutex
""".split()
_VOCAB = _WORDS + _RARE
# Zipf-like weights over the vocabulary: the k-th word has weight 1 / (k + 4).
_TEXT_CUM = list(accumulate(1.0 / (k + 4) for k in range(len(_VOCAB))))


_CONSONANTS, _VOWELS = "bcdfghklmnprstvz", "aeiou"
# byte b -> the letter of ``consonants[b % 16]`` / ``vowels[b % 5]``, for bytes.translate
_AS_CONSONANT = bytes(ord(_CONSONANTS[b % 16]) for b in range(256))
_AS_VOWEL = bytes(ord(_VOWELS[b % 5]) for b in range(256))


def _made_up_words(raw: bytes, pos: int, count: int) -> tuple[list[str], int]:
    """``count`` made-up words (names, rare terms) spelt by the random bytes from
    ``pos``, and the position after them. A word takes one byte for its length
    (2 + b % 3 syllables), then two per syllable: a consonant and a vowel."""
    region = raw[pos:pos + 9 * count]           # a word takes at most 9 bytes
    consonants = region.translate(_AS_CONSONANT)
    vowels = region.translate(_AS_VOWEL)
    # letters as they fall at even or at odd positions of the region
    even_first = bytearray(consonants)
    even_first[1::2] = vowels[1::2]
    odd_first = bytearray(vowels)
    odd_first[1::2] = consonants[1::2]
    words, at = [], 0
    for _ in range(count):
        length = 2 * (2 + region[at] % 3)
        letters = odd_first if at % 2 == 0 else even_first    # the first letter is at + 1
        words.append(letters[at + 1:at + 1 + length].decode("ascii"))
        at += 1 + length
    return words, pos + at


def _phrases(rng: random.Random, count: int) -> list[str]:
    """A page's topic: ``count`` phrases of 2-5 words that its sentences reuse.

    Each is ``rng.choices(_VOCAB, cum_weights=_TEXT_CUM, k=2 + rng.randrange(4))``
    written out: the same draws, without the call's checks (a few words each)."""
    random, randrange, vocab, cum = rng.random, rng.randrange, _VOCAB, _TEXT_CUM
    total, last = cum[-1] + 0.0, len(cum) - 1
    return [" ".join([vocab[bisect_right(cum, random() * total, 0, last)]
                      for _ in range(2 + randrange(4))]) for _ in range(count)]


def _wrap(text: str, width: int = 72) -> list[str]:
    """Break ``text`` at spaces into lines of at most ``width`` characters."""
    lines, pos, n = [], 0, len(text)
    while n - pos > width:
        cut = text.rfind(" ", pos, pos + width + 1)
        if cut <= pos:
            cut = pos + width
        lines.append(text[pos:cut])
        pos = cut + 1
    lines.append(text[pos:])
    return lines


def text_page(rng: random.Random | int, page_size: int = PAGE_SIZE) -> bytes:
    """English-like prose: sentences built from a page's recurring phrases,
    Zipf-weighted single words and a few made-up words (names, rare terms),
    wrapped at 72 columns, with blank lines between paragraphs. Real prose
    repeats phrases ("of the page", "in the system"), and that repetition, not
    the letters, is what lz4 finds."""
    rng = as_rng(rng)
    raw = rng.randbytes(page_size)
    topic = 8 << raw[0] % 3           # 8, 16 or 32 phrases: how repetitive the page is
    made_up, pos = _made_up_words(raw, 1, 12)
    pool = _phrases(rng, topic) + made_up + _VOCAB
    pieces = _text_pool_draw(topic).draw(rng, pool, page_size // 10)
    src = iter(raw[pos:])
    lines: list[str] = []
    paragraph: list[str] = []
    start = total = 0
    while total < page_size and start < len(pieces):
        end = start + 2 + next(src) % 6
        text = (", " if next(src) < 40 else " ").join(pieces[start:end])
        paragraph.append(text[0].upper() + text[1:] + ".")
        total += len(text) + 2
        start = end
        if len(paragraph) > 2 + next(src) % 6:
            lines.extend(_wrap(" ".join(paragraph)))
            lines.append("")
            paragraph = []
    lines.extend(_wrap(" ".join(paragraph)))
    return _fit("\n".join(lines).encode("ascii"), page_size)


@cache
def _text_pool_draw(topic: int) -> WeightedDraw:
    """``rng.choices`` over a text page's pool, in bulk (``workloads.draws``)."""
    return WeightedDraw(_text_pool_cum(topic))


@cache
def _text_pool_cum(topic: int) -> list[float]:
    """Cumulative weights over a text page's pool: ``topic`` phrases (weight
    1/(k+2): ~2.8 in all for 24), 12 made-up words (0.03 each) and the
    vocabulary (Zipf, scaled to 0.7 in all)."""
    weights = [1.0 / (k + 2) for k in range(topic)] + [0.03] * 12
    scale = 0.7 / _TEXT_CUM[-1]
    weights += [(b - a) * scale for a, b in zip([0.0] + _TEXT_CUM, _TEXT_CUM)]
    return list(accumulate(weights))


# --- source code ---------------------------------------------------------------

_SOURCE_LINES = (
    "def {f}({a}, {b}):",
    "def {f}(self, {a}, {b}={n}):",
    "class {C}({D}):",
    "{i}{v} = {f}({a}, {b})",
    "{i}{v} = self.{a}[{n}]",
    "{i}self.{v} = {a}",
    "{i}if {v} is None:",
    "{i}if not {v}:",
    "{i}if {a} < {n}:",
    "{i}    return {v}",
    "{i}return {f}({v})",
    "{i}for {v} in {a}:",
    "{i}while {v} > {n}:",
    "{i}{v} += {n}",
    "{i}{v}.append({a})",
    "{i}raise {C}(\"{w} {x} {y}\")",
    "{i}# {w} {x} {y} {z}",
    "{i}# {W} the {x} of {y}.",
    "{i}\"\"\"{W} {x} {y} {z}.\"\"\"",
    "{i}try:",
    "{i}except {C}:",
    "{i}with open({a}) as {v}:",
    "{i}{v} = [{a} for {a} in {b} if {a}]",
    "{i}{v} = {{\"{w}\": {a}, \"{x}\": {n}}}",
    "import {w}",
    "from {w} import {f}",
    "",
    "",
)


_FIELDS = "ifabvCDnwxyzW"            # a line's fields, in the order its row holds them


def _percent_form(template: str) -> tuple[str, itemgetter]:
    """``template`` as a %-format and the getter of its fields from a line's row:
    ``"{i}{v} = {f}({a})"`` -> ``"%s%s = %s(%s)"``, ``itemgetter(0, 4, 1, 2)``.
    A template with no field prints its one field with zero width."""
    used = [_FIELDS.index(name) for name in re.findall(r"(?<!\{)\{(\w)\}", template)]
    text = re.sub(r"(?<!\{)\{\w\}", "%s", template).replace("{{", "{").replace("}}", "}")
    return (text, itemgetter(*used)) if used else ("%.0s", itemgetter(0))


_FORMS = [_percent_form(line) for line in _SOURCE_LINES]
_TEXT_OF = [_FORMS[b % len(_FORMS)][0] for b in range(256)]        # template byte -> text
_GETTER_OF = [_FORMS[b % len(_FORMS)][1] for b in range(256)]      # template byte -> getter
# Random bytes a line takes: its classes C and D and its number n, then, unless
# it opens a block (ends with ":"), one byte that may close one (b < 90).
_OPENS = [line.endswith(":") for line in _SOURCE_LINES]
_LINE_BYTES = bytes(3 if _OPENS[b % len(_OPENS)] else 4 for b in range(256))
_NUMBER = [str(b % 64) for b in range(256)]
_NAME_WORD = [_VOCAB[b % len(_VOCAB)] for b in range(256)]
_COMMENT_WORD = [_VOCAB[b % 90] for b in range(256)]


def _depth_states() -> dict:
    """The block depth as a walk over states: ``state[move]`` is the next state
    (move 2 opens a block: one deeper, at most 4; 1 closes one: one shallower,
    at least 1; 0 stays) and ``state["i"]`` the indentation it writes, so
    ``accumulate(moves, getitem)`` walks a page's lines in C."""
    states = {depth: {"i": "    " * depth} for depth in range(1, 5)}
    for depth, state in states.items():
        state.update({0: state, 1: states[max(depth - 1, 1)], 2: states[min(depth + 1, 4)]})
    return states[1]


_FIRST_DEPTH = _depth_states()
_OPEN_MOVE = bytes(2 if _OPENS[b % len(_OPENS)] else 0 for b in range(256))
_CLOSE_MOVE = bytes(1 if b < 90 else 0 for b in range(256))
_BATCH = 12                                   # lines made at a time past the first ones


def _look_up(table, keys) -> tuple:
    """``tuple(table[k] for k in keys)``, in one C call (``itemgetter``) for two
    keys or more: half the time of a ``map`` of ``table.__getitem__``."""
    return itemgetter(*keys)(table) if len(keys) > 1 else tuple(map(table.__getitem__, keys))


def source_page(rng: random.Random | int, page_size: int = PAGE_SIZE) -> bytes:
    """Python-like source: def/class/if/for lines, comments, a small identifier pool."""
    rng = as_rng(rng)
    raw = rng.randbytes(page_size)
    count = 6 << raw[0] % 3                     # 6, 12 or 24 snake_case names
    names = list(map("_".join, zip(map(_NAME_WORD.__getitem__, raw[1:1 + 2 * count:2]),
                                   map(_NAME_WORD.__getitem__, raw[2:2 + 2 * count:2]))))
    made_up, pos = _made_up_words(raw, 1 + 2 * count, 3)
    classes = [word.capitalize() + "Error" for word in made_up]
    lines = page_size // 20                     # more lines than a page can hold
    picks = rng.randbytes(lines)
    id_bytes, word_bytes = rng.randbytes(4 * lines), rng.randbytes(4 * lines)
    name_of = (names * (256 // len(names) + 1))[:256]       # byte b -> names[b % len]
    class_of = (classes * 86)[:256]                          # byte b -> classes[b % 3]
    # a batch reads a few bytes for lines past the page's last (discarded); on a
    # tiny page they would lie past the end of raw: read zeros there.
    # from_line[j][s] is the random byte j places after s
    padded = raw + bytes(4 * lines + 4)
    from_line = (padded, padded[1:], padded[2:], padded[3:])
    text: list[str] = []
    total, depth = 0, _FIRST_DEPTH
    first = 0
    while first < lines:
        # most pages need 93-131 lines of 4 KiB: ~100 first, then a dozen at a time
        end = min(first + (max(page_size // 40, _BATCH) if first == 0 else _BATCH), lines)
        chosen = picks[first:end]
        # line k takes the random bytes from starts[k]: its classes C and D, its
        # number n and, unless it opens a block, whether it closes one
        starts = list(accumulate(chosen.translate(_LINE_BYTES), initial=pos))
        pos = starts.pop()
        closes = bytes(_look_up(from_line[3], starts)).translate(_CLOSE_MOVE)
        moves = (int.from_bytes(chosen.translate(_OPEN_MOVE), "little")
                 | int.from_bytes(closes, "little")).to_bytes(len(chosen), "little")
        depths = list(accumulate(moves.replace(b"\x03", b"\x02"), getitem, initial=depth))
        depth = depths.pop()
        ids, words = id_bytes[4 * first:4 * end], word_bytes[4 * first:4 * end]
        w = _look_up(_COMMENT_WORD, words[0::4])
        rows = zip(map(getitem, depths, repeat("i")), _look_up(name_of, ids[0::4]),
                   _look_up(name_of, ids[1::4]), _look_up(name_of, ids[2::4]),
                   _look_up(name_of, ids[3::4]),
                   _look_up(class_of, _look_up(from_line[0], starts)),
                   _look_up(class_of, _look_up(from_line[1], starts)),
                   _look_up(_NUMBER, _look_up(from_line[2], starts)),
                   w, _look_up(_COMMENT_WORD, words[1::4]), _look_up(_COMMENT_WORD, words[2::4]),
                   _look_up(_COMMENT_WORD, words[3::4]), map(str.capitalize, w))
        made = list(map(mod, _look_up(_TEXT_OF, chosen),
                        map(call, _look_up(_GETTER_OF, chosen), rows)))
        # the page ends with the line that brings the length (+ 1 a line) to page_size
        totals = list(accumulate(map((1).__add__, map(len, made)), initial=total))[1:]
        stop = bisect_left(totals, page_size)
        if stop < len(made):
            text += made[:stop + 1]
            break
        text += made
        total = totals[-1]
        first = end
    return _fit("\n".join(text).encode("ascii"), page_size)


# --- heap ----------------------------------------------------------------------

_HEAP_BASE = 0x0000_5612_3A40_0000     # brk heap of a PIE binary
_MMAP_BASE = 0x0000_7F3C_9E00_0000     # an mmap arena or shared library
# A handful of type-object pointers: objects of one type share their header word.
_TYPE_PTRS = tuple(0x0000_5612_38E0_0000 + 0x160 * k for k in range(12))
_STRINGS = tuple(w.encode() for w in _VOCAB[:120])
_HEAP_CHUNKS = (32, 32, 48, 48, 48, 64, 64, 80, 96, 112, 128, 160, 208, 256, 384, 512)


def _heap_chunk(src) -> bytes:
    """One malloc chunk: a size word (size | PREV_INUSE), then one of an object
    (reference count, type pointer, fields that are pointers into the heap or an
    mmap region, small ints or NULL), a short string, an int array, or a freed
    chunk (two free-list pointers, then zeros)."""
    size = _HEAP_CHUNKS[next(src) % 16]
    body = size // 8 - 1
    words = [size | 1]
    append = words.append
    kind = next(src)
    if kind < 140:                              # an object
        append(1 + next(src) % 40)              # reference count
        append(_TYPE_PTRS[next(src) % 12])
        for _ in range(body - 2):
            r = next(src)
            if r < 110:
                append(_HEAP_BASE + ((next(src) << 12 | next(src) << 4) & 0x3FFFF0))
            elif r < 140:
                append(_MMAP_BASE + ((next(src) << 8 | next(src)) << 4))
            elif r < 200:
                append(next(src) % 64)
            else:
                append(0)
    elif kind < 200:                            # a short string, NUL padded
        text = b" ".join(_STRINGS[next(src) % 120] for _ in range(1 + next(src) % 4))
        words.extend(struct.unpack(f"<{body}Q", _fit(text, body * 8)))
    elif kind < 225:                            # an array of small ints
        words.extend(next(src) % 200 for _ in range(body))
    else:                                       # a freed chunk
        append(_HEAP_BASE + ((next(src) << 12) & 0x3FFFF0))
        append(_HEAP_BASE + ((next(src) << 12) & 0x3FFFF0))
        words.extend(0 for _ in range(body - 2))
    return struct.pack(f"<{len(words)}Q", *words)


@cache
def _heap_library(count: int = 8192) -> tuple[bytes, ...]:
    """``count`` heap chunks from a fixed seed, built on first use: a page then
    costs one ``rng.choices`` call instead of one random draw per word."""
    src = iter(random.Random(0x4EA9).randbytes(count * 200))
    return tuple(_heap_chunk(src) for _ in range(count))


def heap_page(rng: random.Random | int, page_size: int = PAGE_SIZE) -> bytes:
    """A malloc heap page: a run of chunks (see ``_heap_chunk``) drawn from a
    fixed library. A quarter of the pages end in up to half a page of
    never-used zeros, as the top of an arena does."""
    rng = as_rng(rng)
    used = page_size
    r = rng.randrange(256)
    if r < 64:                                  # the arena's top: unused, still zero
        used -= page_size * (1 + r % 32) // 64
    # rng.choices(library, k=...) written out: the same draws without the call's checks
    library, random = _heap_library(), rng.random
    size = len(library) + 0.0
    out = b""
    while len(out) < used:
        out += b"".join([library[floor(random() * size)] for _ in range(1 + used // 96)])
    return _fit(out[:used], page_size)


# --- machine code --------------------------------------------------------------

def _rel32(src) -> bytes:
    """A call/jump displacement: nearby targets, so the high bytes are 00 or ff."""
    low = bytes((next(src), next(src), next(src) & 0x0F))
    return low + (b"\xff" if next(src) & 1 else b"\x00")


def _imm8(src) -> bytes:
    """A small stack offset or constant: a multiple of 8 most of the time."""
    return bytes(((next(src) & 0x1F) * 8 & 0xFF,))


# Each entry emits one x86-64 instruction; weights are per 256 draws.
_INSTRUCTIONS = (
    (38, lambda s: b"\x48\x89" + bytes((0xC0 | next(s) & 0x3F,))),          # mov r64, r64
    (30, lambda s: b"\x48\x8b\x45" + _imm8(s)),                              # mov rax, [rbp-x]
    (20, lambda s: b"\x48\x89\x44\x24" + _imm8(s)),                          # mov [rsp+x], rax
    (18, lambda s: b"\xe8" + _rel32(s)),                                     # call rel32
    (14, lambda s: b"\x48\x8d\x05" + _rel32(s)),                             # lea rax, [rip+x]
    (16, lambda s: bytes((0x74 | next(s) & 1, next(s) & 0x7F))),             # je/jne rel8
    (8, lambda s: b"\x0f\x84" + _rel32(s)),                                  # je rel32
    (14, lambda s: b"\x48\x85" + bytes((0xC0 | next(s) & 0x3F,))),          # test r64, r64
    (12, lambda s: b"\x48\x83\xf8" + bytes((next(s) & 0x0F,))),              # cmp rax, imm8
    (10, lambda s: b"\x31\xc0"),                                             # xor eax, eax
    (10, lambda s: b"\xb8" + bytes((next(s), next(s) & 3, 0, 0))),           # mov eax, imm32
    (12, lambda s: b"\x8b" + bytes((0x40 | next(s) & 0x3F, next(s) & 0x38))),  # mov r32, [r+x]
    (10, lambda s: bytes((0x41, 0x50 | next(s) & 7))),                       # push/pop r8-r15
    (8, lambda s: b"\x48\x83\xc4" + _imm8(s)),                               # add rsp, imm8
    (8, lambda s: bytes((0x50 | next(s) & 0x0F,))),                          # push/pop
    (12, lambda s: b"\xeb" + bytes((next(s) & 0x7F,))),                      # jmp rel8
    (10, lambda s: b"\x0f\xb6" + bytes((0x40 | next(s) & 0x3F, next(s) & 0x1F))),  # movzx
    (6, lambda s: b"\x66\x0f\x1f\x44\x00\x00"),                              # nop padding
)
_OPCODE_TABLE = tuple(emit for weight, emit in _INSTRUCTIONS for _ in range(weight))
_PROLOGUE = b"\xf3\x0f\x1e\xfa\x55\x48\x89\xe5\x41\x57\x41\x56\x53\x48\x83\xec"
_EPILOGUE = b"\x48\x83\xc4\x18\x5b\x41\x5e\x41\x5f\x5d\xc3"


@cache
def _code_library(count: int = 16384, seed: int = 0x8664) -> tuple[bytes, ...]:
    """``count`` encoded instructions drawn by weight from a fixed seed, built on
    first use; a function body is a run of them from a random start."""
    src = iter(random.Random(seed).randbytes(count * 8))
    n = len(_OPCODE_TABLE)
    return tuple(_OPCODE_TABLE[(next(src) << 8 | next(src)) % n](src) for _ in range(count))


@cache
def _code_blob() -> tuple[bytes, array]:
    """The instruction library as one string of bytes, and where each instruction
    starts in it (one more entry: the end), so a run of them is one slice."""
    library = _code_library()
    return b"".join(library), array("I", accumulate(map(len, library), initial=0))


_IMM8 = [bytes(((b & 0x1F) * 8 & 0xFF,)) for b in range(256)]     # _imm8 of byte b
_INT3 = [b"\xcc" * n for n in range(16)]


def code_page(rng: random.Random | int, page_size: int = PAGE_SIZE) -> bytes:
    """x86-64-like machine code: functions with a prologue, a weighted mix of
    common instructions (mov, call, lea, jcc, test, cmp, push, ...) and an
    epilogue, padded to 16-byte boundaries with int3 bytes."""
    rng = as_rng(rng)
    raw = rng.randbytes(page_size // 8 + 64)
    longest = 16 << raw[0] % 4      # short functions repeat prologues more
    blob, offsets = _code_blob()
    last = len(offsets) - 1 - longest - 4
    frame = len(_PROLOGUE) + 1 + len(_EPILOGUE)
    out, total = [], 0
    # function j takes 4 random bytes from 1 + 4j: where its body starts in the
    # library (2), how many instructions past 4 (1) and its stack offset (1)
    for at in range(1, len(raw) - 3, 4):
        start = (raw[at] << 8 | raw[at + 1]) * last >> 16
        first, end = offsets[start], offsets[start + 4 + raw[at + 2] % longest]
        size = frame + end - first
        out += (_PROLOGUE, _IMM8[raw[at + 3]], blob[first:end], _EPILOGUE, _INT3[-size % 16])
        total += size + -size % 16
        if total >= page_size:
            break
    return _fit(b"".join(out), page_size)


KINDS: dict[str, Generator] = {
    "zero": zero_page,
    "same": same_page,
    "text": text_page,
    "source": source_page,
    "heap": heap_page,
    "code": code_page,
    "random": random_page,
}
"""Every content kind by name; each value is ``gen(rng, page_size=4096) -> bytes``."""
