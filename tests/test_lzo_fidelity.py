"""lzo and lzo-rle against numbers measured on a real Linux 6.18 zram device.

``tests/data/kernel/lzo/`` was written by ``tools/measure_lzo.py`` on
``/dev/zram0``: 323 generated pages with the kernel's lzo and lzo-rle length of
each, and a churned trace over those pages (overwrites, reads, discards,
three compactions) with the kernel's ``mm_stat`` and ``io_stat`` after every
operation, once per algorithm. Our encoders must give every length exactly,
with or without liblzo2, and the simulated device every counter after every
operation.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import zstandard

from tests.run_cli import run_zramsim
from workloads.open_trace import open_trace
from zramsim.kernel import HUGE, SAME
from zramsim.kernel_diff import device_for, diff_rows, fixture_config, load_expected
from zramsim.lzo_backend import Lzo, LzoRle

DATA = Path(__file__).parent / "data" / "kernel" / "lzo"
PAGE = 4096
HUGE_CLASS_SIZE = 3625


def load_pages() -> tuple[list[bytes], dict[str, list]]:
    raw = zstandard.ZstdDecompressor().decompress((DATA / "pages.bin.zst").read_bytes(),
                                                  max_output_size=1 << 22)
    rows = [line.split() for line in (DATA / "pages.sizes").read_text().splitlines()
            if not line.startswith("#")]
    sizes = {name: [v if v in (SAME, HUGE) else int(v) for v in column]
             for name, column in zip(("lzo", "lzo-rle"), zip(*rows))}
    return [raw[i:i + PAGE] for i in range(0, len(raw), PAGE)], sizes


def test_the_fixture_pages():
    pages, sizes = load_pages()
    assert len(pages) == len(sizes["lzo"]) == len(sizes["lzo-rle"]) == 323
    same = [p == p[:8] * 512 for p in pages]
    assert [s == SAME for s in sizes["lzo"]] == [s == SAME for s in sizes["lzo-rle"]] == same
    assert (sizes["lzo"].count(HUGE), sizes["lzo-rle"].count(HUGE)) == (7, 6)


@pytest.mark.parametrize("cls", [Lzo, LzoRle])
@pytest.mark.parametrize("library", [False, None])
def test_every_page_length_is_the_kernels(cls, library):
    pages, sizes = load_pages()
    compressor = cls(library=library)
    for number, (page, size) in enumerate(zip(pages, sizes[cls.name])):
        if size == SAME:
            continue
        length = len(compressor.compress(page))
        if size == HUGE:
            assert length >= HUGE_CLASS_SIZE, number
        else:
            assert length == size, number


@pytest.fixture(scope="module")
def churn_dir(tmp_path_factory) -> Path:
    """The churn traces beside the uncompressed pages they name (``file:pages.bin:N``)."""
    folder = tmp_path_factory.mktemp("lzo")
    raw = zstandard.ZstdDecompressor().decompress((DATA / "pages.bin.zst").read_bytes(),
                                                  max_output_size=1 << 22)
    (folder / "pages.bin").write_bytes(raw)
    for name in ("lzo", "lzo-rle"):
        shutil.copy(DATA / f"churn_{name}.trace", folder)
    return folder


@pytest.mark.parametrize("name", ["lzo", "lzo-rle"])
def test_every_counter_after_every_operation_equals_the_kernel(churn_dir, name):
    trace = churn_dir / f"churn_{name}.trace"
    config = fixture_config(trace)
    assert config["algorithm"] == name
    expected = load_expected(DATA / f"churn_{name}.expected")
    assert len(expected) == 1503 and expected[-1].mm_stat[6] > 100   # pages_compacted
    with open_trace(str(trace)) as reader:
        rows = diff_rows(reader, expected, device_for(config, verify=True))
    assert rows == []


def test_replay_cli_with_lzo_rle_ends_where_the_kernel_did(churn_dir):
    trace = churn_dir / "churn_lzo-rle.trace"
    result = run_zramsim("replay", str(trace), "--algo", "lzo-rle", "--disksize", "8M",
                         "--verify", "--workers", "2", "--format", "json", "-q")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    last = load_expected(DATA / "churn_lzo-rle.expected")[-1]
    assert tuple(doc["mm_stat"].values()) == last.mm_stat
