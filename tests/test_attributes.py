"""Attribute writes: the kernel's value syntax, errno names and the initialisation rule.

``Sysfs.write(name, value)`` is ``echo value > /sys/block/zram0/name`` (spec §2.1,
§2.6, §2.11-§2.14): setup attributes only before the device is first used
(EBUSY after), the rest at any time, every refusal an errno name.
"""

from __future__ import annotations

import random

import pytest

from zramsim import ZramDevice
from zramsim.attributes import Sysfs
from zramsim.compressors import make_compressor
from zramsim.kernel_syntax import Refused, kstrtoull, memparse

PAGE = 4096


@pytest.mark.parametrize("text, value", [
    ("64M", 64 << 20), ("64m", 64 << 20), ("4096", 4096), ("0x1000", 4096), ("010", 8),
    ("1.5G", 1), ("1G2", 1 << 30), ("k", 0), ("", 0), ("2e", 2 << 60), ("08", 0)])
def test_memparse(text, value):
    assert memparse(text) == value


@pytest.mark.parametrize("text, base, value", [
    ("3600\n", 0, 3600), ("0x3c", 0, 60), ("074", 0, 60), ("+7", 10, 7), ("0", 10, 0),
    ("18446744073709551615", 10, 2 ** 64 - 1)])
def test_kstrtoull(text, base, value):
    assert kstrtoull(text, base) == value


@pytest.mark.parametrize("text, base, errno", [
    ("", 10, "EINVAL"), ("1h", 10, "EINVAL"), ("-1", 10, "EINVAL"), ("0x10", 10, "EINVAL"),
    ("09", 0, "EINVAL"), ("1\n\n", 10, "EINVAL"), ("18446744073709551616", 10, "ERANGE")])
def test_kstrtoull_refuses(text, base, errno):
    with pytest.raises(Refused) as info:
        kstrtoull(text, base)
    assert info.value.errno == errno


def test_setup_attributes_until_first_use():
    dev = ZramDevice()
    fs = Sysfs(dev)
    assert fs.write("comp_algorithm", "zstd").ok and dev.compressor.name == "zstd"
    assert fs.write("disksize", "64K").ok and dev.slots == 16
    assert fs.write("disksize", "5000").ok and dev.disksize == 8192     # rounded up
    assert fs.write("disksize", "0").errno == "EINVAL"
    assert fs.write("recomp_algorithm", "algo=lz4 priority=3").ok
    assert fs.write("mem_limit", "8K").ok and dev.mm_stat().mem_limit == 8192
    dev.write(0, b"a" * 2048 + b"b" * 2048)
    # used now: every setup attribute is EBUSY, after the kernel's earlier checks
    assert fs.write("comp_algorithm", "lz4").errno == "EBUSY"
    assert fs.write("comp_algorithm", "nope").errno == "EINVAL"        # name checked first
    assert fs.write("comp_algorithm", "x" * 127).errno == "E2BIG"      # 127 + newline
    assert fs.write("disksize", "1M").errno == "EBUSY"
    assert fs.write("disksize", "0").errno == "EINVAL"                 # 0 checked first
    assert fs.write("backing_dev", "1M").errno == "EBUSY"
    assert fs.write("recomp_algorithm", "algo=zstd").errno == "EBUSY"
    assert fs.write("recomp_algorithm", "priority=1").errno == "EINVAL"   # no algo
    # the rest are fine at any time
    assert fs.write("mem_limit", "0").ok and fs.write("writeback_limit", "10").ok
    assert fs.write("mem_used_max", "0").ok and fs.write("compact", "1").ok
    assert fs.write("mem_used_max", "5").errno == "EINVAL"


def test_operations_that_initialise_the_device():
    for name, value in (("idle", "all"), ("compact", "1"), ("recompress", "type=idle")):
        fs = Sysfs(ZramDevice())
        fs.write(name, value)
        assert fs.write("comp_algorithm", "zstd").errno == "EBUSY", name
    fs = Sysfs(ZramDevice())
    for name, value in (("mem_limit", "1M"), ("writeback_limit_enable", "1"),
                        ("algorithm_params", "level=2"), ("mem_used_max", "0")):
        assert fs.write(name, value).ok
    assert fs.write("comp_algorithm", "zstd").ok


def test_recomp_algorithm_syntax():
    fs = Sysfs(ZramDevice())
    assert fs.write("recomp_algorithm", "algo=zstd").ok and fs.names[1] == "zstd"
    assert fs.write("recomp_algorithm", "algo=zstd priority=4").errno == "EINVAL"
    assert fs.write("recomp_algorithm", "algo=zstd priority=0").errno == "EINVAL"
    assert fs.write("recomp_algorithm", "algo=zstd priority=x").errno == "EINVAL"
    assert fs.write("recomp_algorithm", "algo=").errno == "EINVAL"
    assert fs.write("recomp_algorithm", "algo=842").errno == "EINVAL"   # not simulated
    assert fs.write("recomp_algorithm", "algo=lz4 priority=2").ok
    assert sorted(fs.device.secondary) == [1, 2]


def test_unknown_and_read_only_attributes():
    fs = Sysfs(ZramDevice())
    assert fs.write("mm_stat", "1").errno == "EACCES"
    assert fs.write("no_such", "1").errno == "ENOENT"
    assert fs.write("_reset", "1").errno == "ENOENT"
    assert fs.write("before_init", "1").errno == "ENOENT"      # a method, not an attribute
    assert fs.write("recompress", "type=huge").errno == "EINVAL"      # no secondary algorithm
    assert fs.write("reset", "0").errno == "EINVAL"
    assert fs.write("reset", "65536").errno == "ERANGE"                # a u16


def test_reset_restores_the_built_configuration():
    dev = ZramDevice(algorithm="lz4")
    fs = Sysfs(dev)
    fs.write("comp_algorithm", "zstd")
    fs.write("backing_dev", "64K")
    fs.write("recomp_algorithm", "algo=zstd")
    fs.write("writeback_limit_enable", "1")
    fs.write("writeback_limit", "7")
    dev.write(0, random.Random(1).randbytes(PAGE))
    assert fs.write("writeback", "huge").ok and dev.bd_stat().bd_count == 1
    assert fs.write("reset", "1").ok
    m, b = dev.mm_stat(), dev.bd_stat()
    assert (m.orig_data_size, m.huge_pages_since, b.bd_count, b.bd_writes) == (0, 0, 0, 0)
    assert (dev.compressor.name, dev.backing, dev.secondary) == ("lz4", None, {})
    assert (fs.limit.enable, fs.limit.pages) == (True, 6)     # survive, as in the 6.18 code
    assert fs.write("comp_algorithm", "zstd").ok              # uninitialised again
    dev.check()


def test_real_lz4_then_zstd_recompression():
    # A page of random letters from a 16-letter alphabet: lz4 finds no matches and
    # stores it raw (huge); zstd's entropy coding halves it. Random bytes help nobody.
    rng = random.Random(5)
    letters = bytes(rng.choice(b"abcdefghijklmnop") for _ in range(PAGE))
    noise = rng.randbytes(PAGE)
    zstd_len = len(make_compressor("zstd").compress(letters))
    assert zstd_len < 3625
    dev = ZramDevice(algorithm="lz4", verify=True)
    fs = Sysfs(dev)
    assert fs.write("recomp_algorithm", "algo=zstd priority=1").ok
    dev.write(0, letters)
    dev.write(1, noise)
    assert dev.mm_stat().huge_pages == 2
    result = fs.write("recompress", "type=huge")
    assert result.ok and result.reason == "1 of 2 candidates recompressed"
    m = dev.mm_stat()
    assert (m.compr_data_size, m.huge_pages, m.huge_pages_since) == (zstd_len + PAGE, 1, 2)
    assert dev.read(0) == letters and dev.read(1) == noise
    assert dev.slot_flags(1) & 32            # INCOMPRESSIBLE: zstd did not help either
    dev.check()
