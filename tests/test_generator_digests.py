"""Generated pages and traces, byte for byte: digests taken from the code before it was made faster.

The generators were rewritten for speed (issue 18) under one rule: the same
seed gives the same bytes. Every digest below was computed by running this
file's recipe against the unchanged code at commit 329e96d (before the
rewrite), not against the code under test: a generator that consumes its
random numbers differently, or builds a page differently, fails here.
"""

from __future__ import annotations

import hashlib
import random

import pytest
import zstandard

from tests.run_cli import run_zramsim
from workloads.default import default_workload
from workloads.generators import KINDS
from workloads.mixes import generate_trace

# sha256 (first 16 hex digits) of 40 pages from random.Random(2024), per kind and page size
PAGES = {
    ("code", 4096): "8e1744a387ccf119", ("code", 16384): "9933a2cab706f8d2",
    ("heap", 4096): "695ed4dc8cb98676", ("heap", 16384): "b0e751ddd3333d5f",
    ("random", 4096): "b1c4f6f92707f5b6", ("random", 16384): "0f36e44d4eb3469a",
    ("same", 4096): "c67a18654c34c5cb", ("same", 16384): "3066c43295fd4bc6",
    ("source", 4096): "77e49be4a1f7fba2", ("source", 16384): "82835dd6185e7f07",
    ("text", 4096): "5441f0b5abb3ba08", ("text", 16384): "f65bea5b628a1f83",
    ("zero", 4096): "6cdd259c8ecbe61f", ("zero", 16384): "ff6335069b6e140e",
    # a page size the command line does not offer, where a batch reads past the page
    ("code", 1000): "38fa8263481a79eb", ("heap", 1000): "dea941dad582467a",
    ("random", 1000): "ea34cdcb73a8951c", ("same", 1000): "738687ceeb9288bd",
    ("source", 1000): "e3a9c2e1ef0d2d45", ("text", 1000): "5592ae715322a905",
    ("zero", 1000): "e7e2dcff542de953",
}


def digest(chunks) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()[:16]


def event_bytes(events):
    for op, index, arg in events:
        yield f"{op} {index} ".encode()
        yield arg if isinstance(arg, bytes) else repr(arg).encode()


def test_every_kind_covered():
    assert {kind for kind, _ in PAGES} == set(KINDS)


@pytest.mark.parametrize("kind, page_size", sorted(PAGES))
def test_pages_are_the_bytes_of_329e96d(kind, page_size):
    rng = random.Random(2024)
    made = digest(KINDS[kind](rng, page_size) for _ in range(40))
    assert made == PAGES[kind, page_size]


def test_a_mix_with_every_operation_is_the_trace_of_329e96d():
    mix = {"text": 2, "source": 1, "code": 2, "heap": 3, "same": 1, "zero": 1, "random": 1}
    events = generate_trace(mix, 300, 77, overwrite_rate=0.1, read_rate=0.1,
                            discard_rate=0.05, compact_rate=0.02)
    assert digest(event_bytes(events)) == "c91c9b4f8d1d524a"


def test_the_default_workload_is_the_one_of_329e96d():
    assert digest(event_bytes(default_workload(5, 500))) == "8ce60bd712264375"


@pytest.mark.parametrize("name, args, expected", [
    # 329e96d wrote its zstd frame at level 3 (the default is -1 since)
    ("generate.ztrace", ["--pages", "1500", "--seed", "3", "--zstd-level", "3"],
     "04b99cd3aa028c73"),
    ("generate.trace", ["--pages", "300", "--seed", "4", "--kind",
                        "text=1,source=1,code=1,heap=1"], "7c0d8c48227457a2"),
])
def test_generate_writes_the_files_of_329e96d(tmp_path, name, args, expected):
    """The whole command: a binary trace, and a text trace with its side file."""
    assert run_zramsim("generate", name, "-q", *args, cwd=tmp_path).returncode == 0
    files = sorted(p for p in tmp_path.iterdir() if p.name.startswith(name))
    assert [p.name for p in files] == ([name] if name.endswith("ztrace")
                                       else [name, name + ".pages"])
    assert digest(p.read_bytes() for p in files) == expected


def test_the_default_level_changes_the_frame_not_the_records(tmp_path):
    """The default zstd level (-1) writes other bytes than 329e96d's level 3, which
    decompress to the same records: the same trace, only faster to read back."""
    for args in ([], ["--zstd-level", "3"], ["--zstd-level", "-1"]):
        name = f"gen{''.join(args)}.ztrace"
        assert run_zramsim("generate", name, "-q", "--pages", "1500", "--seed", "3", *args,
                           cwd=tmp_path).returncode == 0
    default, level3, fast = (tmp_path / n for n in ("gen.ztrace", "gen--zstd-level3.ztrace",
                                                      "gen--zstd-level-1.ztrace"))
    assert default.read_bytes() == fast.read_bytes() != level3.read_bytes()
    records = [zstandard.ZstdDecompressor().stream_reader(p.read_bytes()).read()
               for p in (default, level3)]
    assert records[0] == records[1] and len(records[0]) > 1500 * 4096 // 2
