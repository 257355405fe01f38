"""lzo and lzo-rle on the real /dev/zram0 (opt-in: root and ZRAMSIM_KERNEL_TESTS=1).

Run as ``ZRAMSIM_KERNEL_TESTS=1 flock /tmp/zram0.lock python -m pytest -m kernel
tests/test_lzo_kernel.py``. Every page is measured alone on the device (its
``compr_data_size`` change) and must equal our length: real pages of this
machine by kind, then the committed fixtures must come out of the device
again, then a churned trace must give every counter after every operation.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from zramsim.kernel import HUGE, SAME, KernelZram, kernel_page_sizes
from zramsim.kernel_diff import load_expected
from zramsim.lzo_backend import Lzo, LzoRle

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(os.environ.get("ZRAMSIM_KERNEL_TESTS") != "1" or os.geteuid() != 0,
                       reason="needs root and ZRAMSIM_KERNEL_TESTS=1"),
]

DATA = Path(__file__).parent / "data" / "kernel" / "lzo"
PAGE = 4096


def _real_pages() -> dict[str, list[bytes]]:
    from tools import page_sources as ps
    from tools.lzo_agreement import edge_pages, process_pages
    rng = random.Random(16)
    return {"elf": ps.file_pages(ps.elf_files(), rng, 1500),
            "text": ps.file_pages(ps.text_files(), rng, 800),
            "pysrc": ps.file_pages(ps.python_sources(), rng, 400),
            "heap": process_pages(600),
            "random": [ps.random_page(rng) for _ in range(40)],
            "edge": edge_pages(rng, 300)}


@pytest.mark.parametrize("cls", [Lzo, LzoRle])
def test_every_real_page_has_the_kernels_length(cls):
    kinds = _real_pages()
    pages = [page for kind in kinds.values() for page in kind]
    assert len(pages) > 3500
    with KernelZram() as kernel:
        theirs = kernel_page_sizes(pages, kernel, cls.name)
    python, default = cls(library=False), cls()
    wrong = []
    for number, (page, size) in enumerate(zip(pages, theirs)):
        if size == SAME:
            continue
        for compressor in (python, default):
            length = len(compressor.compress(page))
            if length < 3625 if size == HUGE else length != size:
                wrong.append((number, compressor.encoder, size, length))
    assert wrong == []
    assert theirs.count(HUGE) >= 40 and theirs.count(SAME) >= 10   # random and edge pages


def test_the_device_gives_the_fixture_lengths_again():
    import zstandard
    raw = zstandard.ZstdDecompressor().decompress((DATA / "pages.bin.zst").read_bytes(),
                                                  max_output_size=1 << 22)
    pages = [raw[i:i + PAGE] for i in range(0, len(raw), PAGE)]
    rows = [line.split() for line in (DATA / "pages.sizes").read_text().splitlines()
            if not line.startswith("#")]
    for column, name in enumerate(("lzo", "lzo-rle")):
        with KernelZram() as kernel:
            sizes = kernel_page_sizes(pages, kernel, name)
        assert [str(s) for s in sizes] == [row[column] for row in rows]


@pytest.mark.parametrize("name", ["lzo", "lzo-rle"])
def test_the_device_replays_the_churn_fixture_the_same_again(name):
    from tools.measure_lzo import churn, fixture_pages
    from tools.measure_kernel import run_workload
    from workloads.events import PageEvent
    rng = random.Random(16)
    pages = fixture_pages(rng)
    ops = churn(rng, len(pages))
    events = [PageEvent(op, slot, pages[arg] if op == "W" else arg or 0)
              for op, slot, arg in ops]
    with KernelZram() as kernel:
        sizes = dict(zip(pages, kernel_page_sizes(pages, kernel, name)))
    snaps = run_workload(events, 8 << 20, 0, sizes, name)
    assert snaps == load_expected(DATA / f"churn_{name}.expected")


@pytest.mark.parametrize("name", ["lzo", "lzo-rle"])
def test_kernel_diff_finds_no_difference_on_a_churned_trace(tmp_path, name):
    trace = tmp_path / "mix.trace"
    run = CliRunner().invoke
    made = run(main, ["generate", str(trace), "--pages", "500", "--seed", "9", "--kind",
                      "heap=0.4,text=0.2,code=0.2,source=0.1,zero=0.05,random=0.05",
                      "--overwrite-rate", "0.3", "--discard-rate", "0.05",
                      "--compact-rate", "0.01"])
    assert made.exit_code == 0
    result = run(main, ["kernel-diff", str(trace), "--algo", name, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["snapshots"] > 500 and doc["differences"] == []
    assert doc["final"]["pages_compacted"]["kernel"] > 0
    assert Path("/sys/block/zram0/disksize").read_text().strip() == "0"
