"""Pages to feed the real kernel when measuring: real ones and generated ones.

Measurement needs pages that look like what zram really stores. Two sources:

- real pages of this machine (ELF pages of shared libraries, plain text, Python
  sources, and the anonymous memory of this very Python process read through
  ``/proc/self/mem``). They are read at measurement time only; their bytes
  never go into a committed fixture (traces are sizes-only).
- generated pages, built only from a seeded ``random.Random``: the same seed
  gives the same pages on any machine, so these may be committed.

Every function takes an ``rng`` and returns full 4096-byte pages. File lists are
sorted before sampling, so on one machine the same seed picks the same pages.
Example: ``file_pages(elf_files(), random.Random(1), 3)`` returns 3 pages, each
at a page-aligned offset of one of the sorted ``.so`` files.
"""

from __future__ import annotations

import glob
import os
import random
import re
import sysconfig

PAGE = 4096


def elf_files() -> list[str]:
    """Shared libraries under /usr/lib that start with the ELF magic."""
    paths = sorted(set(glob.glob("/usr/lib/x86_64-linux-gnu/*.so*")
                       + glob.glob("/usr/lib/*/*.so*")))
    return [p for p in paths if _is_regular(p) and _head(p, 4) == b"\x7fELF"]


def text_files() -> list[str]:
    """Plain-text documentation files under /usr/share/doc (no compressed ones)."""
    paths = sorted(glob.glob("/usr/share/doc/**/*", recursive=True))
    return [p for p in paths if _is_regular(p) and not p.endswith((".gz", ".xz", ".bz2"))
            and _looks_text(_head(p, 512))]


def python_sources() -> list[str]:
    """The .py files of this interpreter's standard library."""
    return sorted(glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "**", "*.py"),
                            recursive=True))


def file_pages(paths: list[str], rng: random.Random, count: int) -> list[bytes]:
    """``count`` whole pages read at random page-aligned offsets of random files."""
    sized = [(p, os.path.getsize(p) // PAGE) for p in paths]
    sized = [(p, n) for p, n in sized if n > 0]
    pages = []
    while len(pages) < count:
        path, npages = rng.choice(sized)
        with open(path, "rb") as f:
            f.seek(rng.randrange(npages) * PAGE)
            page = f.read(PAGE)
        if len(page) == PAGE:
            pages.append(page)
    return pages


def heap_pages(rng: random.Random, count: int) -> list[bytes]:
    """Pages of this process's anonymous memory (Python heap and arenas).

    Builds some live objects first (from ``rng``) so the heap holds data, then
    samples ``count`` pages of the ``[heap]`` and anonymous writable mappings.
    The content depends on the process and is not reproducible.
    """
    words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 12)))
             for _ in range(20000)]
    ballast = {w: (i, float(i) / 7, [i] * (i % 5)) for i, w in enumerate(words)}
    regions = []
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            if fields[1].startswith("rw") and (len(fields) == 5 or fields[5] == "[heap]"):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                regions.extend(range(start, end, PAGE))
    pages = []
    with open("/proc/self/mem", "rb") as mem:
        for addr in rng.sample(regions, min(count * 2, len(regions))):
            try:
                mem.seek(addr)
                page = mem.read(PAGE)
            except OSError:
                continue
            if len(page) == PAGE:
                pages.append(page)
            if len(pages) == count:
                break
    del ballast
    return pages


# -- generated pages (safe to commit) -----------------------------------------

_WORDS = ("the page slot pool class zspage handle object size free write read "
          "memory kernel device compress block index table value error return "
          "struct unsigned long int static void const if else for while").split()


def text_page(rng: random.Random) -> bytes:
    """Lines of words from a small vocabulary, like source or prose."""
    out = []
    while sum(map(len, out)) < PAGE:
        out.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 12))) + "\n")
    return "".join(out).encode()[:PAGE]


def record_page(rng: random.Random) -> bytes:
    """CSV-like records: ids, timestamps, short names, amounts."""
    out, rec = [], rng.randrange(10**6)
    while sum(map(len, out)) < PAGE:
        rec += rng.randint(1, 3)
        out.append(f"{rec},{1700000000 + rec * 37},{rng.choice(_WORDS)},"
                   f"{rng.randint(0, 99999) / 100:.2f}\n")
    return "".join(out).encode()[:PAGE]


def pointer_page(rng: random.Random) -> bytes:
    """8-byte words like a heap: pointers near a base, small ints, zeros."""
    base = 0x7F0000000000 + rng.randrange(1 << 32) * PAGE
    words = []
    for _ in range(PAGE // 8):
        kind = rng.random()
        if kind < 0.5:
            words.append(base + rng.randrange(1 << 16) * 16)
        elif kind < 0.75:
            words.append(rng.randrange(256))
        else:
            words.append(0)
    return b"".join(w.to_bytes(8, "little") for w in words)


def random_page(rng: random.Random) -> bytes:
    """Incompressible bytes: the kernel stores these as huge pages."""
    return rng.randbytes(PAGE)


def fill_page(rng: random.Random) -> bytes:
    """A same-filled page: one random 8-byte word repeated 512 times."""
    return rng.randbytes(8) * (PAGE // 8)


def zero_page(rng: random.Random) -> bytes:
    """The all-zero page."""
    return bytes(PAGE)


def graded_page(rng: random.Random, random_bytes: int) -> bytes:
    """``random_bytes`` random bytes, then zeros: compressed length grows with it."""
    return rng.randbytes(random_bytes) + bytes(PAGE - random_bytes)


GENERATORS = {
    "text": text_page, "records": record_page, "pointers": pointer_page,
    "random": random_page, "fill": fill_page, "zero": zero_page,
}


def _is_regular(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)


def _head(path: str, n: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError:
        return b""


def _looks_text(head: bytes) -> bool:
    return bool(head) and b"\0" not in head and re.fullmatch(rb"[\t\n\r\x20-\x7e]*", head) is not None
