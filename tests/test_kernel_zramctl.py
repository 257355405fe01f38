"""zramctl on the real device against ``zramsim replay --format zramctl`` (opt-in).

Root and ``ZRAMSIM_KERNEL_TESTS=1`` only; run under the team's lock::

    ZRAMSIM_KERNEL_TESTS=1 flock /tmp/zram0.lock python -m pytest -m kernel tests/test_kernel_zramctl.py

Real pages of this machine (the Python binary, standard-library sources, zero,
same-filled and random pages) are copied onto /dev/zram0 with ``dd
oflag=direct`` and the same file is replayed as a raw image with
``lz4-kernel`` (the kernel's exact lz4 lengths). Every zramctl view must be the
same text on both sides. The device is reset after each test.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.run_cli import run_zramsim
from zramsim import ZramDevice
from zramsim.kernel import KernelZram
from zramsim.sizes import human_size
from zramsim.sysfs import view

PAGE = 4096
SYS = Path("/sys/block/zram0")

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(os.environ.get("ZRAMSIM_KERNEL_TESTS") != "1" or os.geteuid() != 0,
                       reason="needs root and ZRAMSIM_KERNEL_TESTS=1"),
]

VIEWS = [(), ("--output-all",), ("--output-all", "--bytes", "--raw", "--noheadings"),
         ("-o", "name,zero-pages,mem-used,migrated,data"), ("--raw",), ("-b",), ("-n",)]


def real_pages(seed: int) -> bytes:
    """~1,000 pages: machine code, Python sources, zero, same-filled and random pages."""
    rng = random.Random(seed)
    binary = Path(os.path.realpath(sys.executable)).read_bytes()
    sources = b"".join(p.read_bytes() for p in sorted(Path(os.__file__).parent.glob("*.py")))
    pages = []
    for blob, count in ((binary, 600), (sources, 300)):
        start = rng.randrange(0, max(1, len(blob) // PAGE - count)) * PAGE
        pages += [blob[start + i * PAGE:start + (i + 1) * PAGE].ljust(PAGE, b"\0")
                  for i in range(count)]
    pages += [bytes(PAGE)] * 40 + [rng.randbytes(8) * (PAGE // 8) for _ in range(20)]
    pages += [rng.randbytes(PAGE) for _ in range(40)]
    rng.shuffle(pages)
    return b"".join(pages)


@pytest.fixture
def kernel():
    with KernelZram() as device:       # refuses a device in use; resets at the end
        yield device
    assert SYS.joinpath("disksize").read_text() == "0\n"


@pytest.mark.parametrize("seed, disksize", [(1, "64M"), (2, "5000000")])
def test_zramctl_prints_the_same_for_the_real_device_and_the_replay(kernel, tmp_path, seed,
                                                                    disksize):
    image = tmp_path / "pages.img"
    image.write_bytes(real_pages(seed))
    kernel.configure("lz4", int(disksize[:-1]) << 20 if disksize.endswith("M") else
                     int(disksize))
    subprocess.run(["dd", f"if={image}", "of=/dev/zram0", "bs=1M", "oflag=direct",
                    "status=none"], check=True)
    for options in VIEWS:
        theirs = kernel.zramctl(*options)
        ours = run_zramsim("replay", "-q", str(image), "--algo", "lz4-kernel", "--disksize",
                           disksize, "--format", "zramctl", *options)
        assert ours.returncode == 0, ours.stderr
        assert ours.stdout.decode() == theirs, options
    doc = json.loads(run_zramsim("replay", "-q", str(image), "--algo", "lz4-kernel",
                                 "--disksize", disksize, "--format", "zramctl-json",
                                 "--output-all").stdout)
    mm = kernel.mm_stat()
    assert doc["devices"][0]["total"] == mm[2] and doc["devices"][0]["compr"] == mm[1]


def test_kernel_diff_compares_every_zramctl_cell_after_compaction(tmp_path):
    trace = tmp_path / "mix.trace"
    made = run_zramsim("generate", str(trace), "--pages", "400", "--seed", "15",
                       "--kind", "heap=0.5,text=0.2,code=0.2,zero=0.05,random=0.05",
                       "--overwrite-rate", "0.3", "--discard-rate", "0.1",
                       "--compact-rate", "0.01")
    assert made.returncode == 0
    result = run_zramsim("kernel-diff", str(trace), "--algo", "lz4-kernel", "--every", "100",
                         "--mem-limit", "1M", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    cells = {(c["column"], c["in_bytes"]): c for c in doc["zramctl"]}
    assert len(cells) == 24 and all(c["same"] for c in cells.values())
    assert cells[("MIGRATED", False)]["kernel"].endswith("B")
    assert int(cells[("MIGRATED", True)]["kernel"]) > 0
    assert cells[("MEM-LIMIT", False)]["kernel"] == "1M"


def test_sizes_as_the_real_zramctl_prints_them(kernel):
    """MEM-LIMIT shows any page multiple, even on an uninitialised device."""
    rng = random.Random(2026)
    sizes = [7_286_784] + [rng.randrange(1 << rng.randrange(12, 64)) // PAGE * PAGE
                           for _ in range(300)]
    for size in sizes:
        SYS.joinpath("mem_limit").write_text(str(size))
        printed = kernel.zramctl("-o", "MEM-LIMIT", "-n", "--raw").strip()
        assert human_size(size) == printed, size
    SYS.joinpath("mem_limit").write_text("0")


def test_reset_leaves_both_devices_in_the_same_state(kernel, tmp_path):
    kernel.configure("lz4", 1 << 20, mem_limit=1 << 20)
    assert kernel.write(3, real_pages(3)[:PAGE])
    kernel.reset()
    dev = ZramDevice(1 << 20, mem_limit=1 << 20)
    assert dev.write(3, real_pages(3)[:PAGE])
    dev.reset()
    for name in ("disksize", "initstate", "mm_stat", "io_stat", "debug_stat"):
        assert view(dev, name) == SYS.joinpath(name).read_text(), name
    with pytest.raises(OSError) as refused:          # ENOSPC: the disk has no sectors
        with open("/dev/zram0", "r+b", buffering=0) as disk:
            disk.write(bytes(PAGE))
    assert refused.value.errno == 28
