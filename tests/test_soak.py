"""A soak: one million random operations on real page data, verify mode on.

Not part of the default run (``pytest -m slow tests/test_soak.py``). Pages are
page-sized pieces of the Python standard library and its extension modules
(text and machine code), plus same-filled and random pages; every read is
checked against a digest of the last write (verify mode) and against our own
copy, and ``check()`` walks every structure every 20,000 operations.
"""

from __future__ import annotations

import os
import random

import pytest

from zramsim import ZramDevice

PAGE = 4096
SLOTS = 8192
OPERATIONS = 1_000_000


def stdlib_pages(rng: random.Random, count: int) -> list[bytes]:
    root = os.path.dirname(os.__file__)
    files = sorted(os.path.join(folder, name)
                   for folder in (root, os.path.join(root, "lib-dynload"))
                   if os.path.isdir(folder)
                   for name in os.listdir(folder)
                   if os.path.getsize(os.path.join(folder, name)) >= PAGE
                   and os.path.isfile(os.path.join(folder, name)))
    pages = []
    while len(pages) < count:
        path = rng.choice(files)
        with open(path, "rb") as f:
            f.seek(PAGE * rng.randrange(os.path.getsize(path) // PAGE))
            pages.append(f.read(PAGE))
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["lz4"])
def test_one_million_operations(algorithm):
    rng = random.Random(2025)
    pages = stdlib_pages(rng, 2000)
    pages += [bytes(PAGE), (0xDEADBEEF).to_bytes(8, "little") * 512] * 20
    pages += [rng.randbytes(PAGE) for _ in range(40)]
    dev = ZramDevice(SLOTS * PAGE, algorithm, verify=True)
    model: dict[int, bytes | None] = {}
    reads = failed = 0
    for step in range(1, OPERATIONS + 1):
        r = rng.random()
        index = rng.randrange(SLOTS)
        if r < 0.55:
            page = rng.choice(pages)
            if dev.write(index, page):
                model[index] = page
            else:
                failed += 1
        elif r < 0.60:
            if dev.write_size(index, rng.randrange(1, PAGE + 1)):
                model[index] = None
            else:
                failed += 1
        elif r < 0.90:
            assert dev.read(index) == model.get(index, bytes(PAGE))
            reads += 1
        elif r < 0.99:
            count = rng.randint(1, min(8, SLOTS - index))
            dev.discard(index, count)
            for i in range(index, index + count):
                model.pop(i, None)
        elif r < 0.99002:
            dev.compact()
        elif r < 0.99004:
            dev.set_mem_limit(rng.choice([0, 0, 4 << 20, 8 << 20]))
        if step % 20_000 == 0:
            dev.check()
            assert dev.pages_stored == len(model)
    dev.check()
    assert dev.io_stat().failed_writes == failed
    assert all(dev.read(i) == model.get(i, bytes(PAGE)) for i in range(SLOTS))
    assert reads > 250_000
