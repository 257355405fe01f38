"""Memory and time follow what a trace writes, not the numbers it names.

The memory bombs of issue 13 run here as a user would run them, in a separate
process whose address space is capped (``RLIMIT_AS``) far below what the old
code took: each must finish with the right result or one clear error line.
The device's sparse slot table is also checked structurally: rows exist only
for slots written, and ``check()`` holds through sparse and dense use alike.
"""

from __future__ import annotations

import json
import random
import resource

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.run_cli import run_zramsim
from workloads.text_trace import MAX_LINE
from zramsim import ZramDevice
from zramsim.device import DENSE_MIN, MAX_U64
from zramsim.teach.compare import FREE, STORE, run_allocator

CAP = 512 << 20          # a Python with zramsim loaded needs about 300 MB of address space


def capped(*args: str, cwd=None):
    """Run zramsim with its address space capped at CAP; (exit code, stdout, stderr lines)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))
    result = run_zramsim(*args, cwd=cwd, preexec_fn=limit, timeout=300)
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr and "MemoryError" not in stderr, stderr
    return result.returncode, result.stdout.decode(), stderr.splitlines()


def trace(tmp_path, name: str, *lines: str):
    path = tmp_path / name
    path.write_text("zramsim-trace 1\n" + "".join(line + "\n" for line in lines))
    return path


def test_a_high_slot_costs_one_row(tmp_path):
    """W 100000000 zero took 1.3 GB; now one row, and disksize still covers the slot."""
    path = trace(tmp_path, "high.trace", "W 100000000 zero", "R 100000000", "W 5 zero")
    code, out, err = capped("replay", path, "-q", "--format", "json")
    assert (code, err) == (0, [])
    doc = json.loads(out)
    assert doc["config"]["disksize"] == 100_000_001 * 4096
    assert doc["mm_stat"]["same_pages"] == 2 and doc["events"] == 3


def test_a_discard_of_the_whole_index_space_is_refused_not_walked(tmp_path):
    path = trace(tmp_path, "d.trace", "W 7 zero", "D 0 18446744073709551615",
                 "D 0 18446744073709551615")
    code, out, err = capped("replay", path, "-q", "--format", "mm_stat")
    assert code == 1
    assert err == [f"Error: {path}:3: slot 18446744073709551614 is beyond the largest device "
                   "zramsim simulates (4294967296 slots)"]
    code, out, err = capped("compare", path, "--format", "json")
    assert (code, err) == (0, [])
    assert json.loads(out)["rows"][0]["objects"] == 0


def test_a_discard_of_every_slot_walks_only_stored_ones(tmp_path):
    path = trace(tmp_path, "d.trace", "W 4294967295 fill:7", "W 3 fill:9",
                 "D 0 4294967296", "D 0 4294967296", "R 4294967295")
    code, out, err = capped("replay", path, "-q", "--format", "json")
    assert (code, err) == (0, [])
    doc = json.loads(out)
    assert doc["io_stat"]["notify_free"] == 2 * 4294967296
    assert doc["mm_stat"]["same_pages"] == 0 and doc["config"]["disksize"] == 4294967296 * 4096


def test_pressure_refuses_an_address_space_it_cannot_hold(tmp_path):
    for slot in (4294967296, 100000000):
        path = trace(tmp_path, f"p{slot}.trace", f"W {slot} zero")
        code, _, err = capped("pressure", "--trace", path, "--accesses", "10")
        pages = slot + 1
        assert code == 1 and len(err) == 1
        assert err[0].startswith(f"Error: an address space of {pages:,} pages (slots 0 to "
                                 f"{slot:,}) needs about ")
        assert err[0].endswith(" available")


def test_pressure_with_a_huge_disksize_needs_no_more_slots_than_pages():
    """--disksize 1T (268 million slots) gives what the address space's own size gives."""
    docs = []
    for disksize in ("1T", "256K"):
        code, out, err = capped("pressure", "--pages", "64", "--accesses", "200", "--ram",
                                "90%", "--disksize", disksize, "--format", "json",
                                "--algo", "lz4", "--no-baselines")
        assert (code, err) == (0, [])
        summary = json.loads(out)["summaries"][0]
        docs.append({k: v for k, v in summary.items() if "_ns" not in k})
    assert docs[0] == docs[1] and docs[0]["first_touches"] == 58


def test_an_endless_line_is_refused_at_the_bound(tmp_path):
    """A 1 GB line with no newline (a sparse file: no disk used) took 3.2 GB."""
    path = tmp_path / "long.trace"
    with open(path, "wb") as out:
        out.write(b"zramsim-trace 1\nW 0 ")
        out.truncate(1 << 30)
    code, _, err = capped("replay", path, "-q")
    assert code == 1
    assert err == [f"Error: {path}:2: line longer than {MAX_LINE} bytes"]


# -- the slot table itself ------------------------------------------------------

def test_sparse_slots_get_rows_only_when_written():
    dev = ZramDevice()
    assert dev.write_size(100_000_000, 1000) and dev.write_size(2**32 - 1, 500)
    assert len(dev._flags) == 2 and dev.disksize == 2**32 * 4096
    assert dev.read(3) == bytes(4096) and len(dev._flags) == 2       # a read builds nothing
    assert dev.slot_state(100_000_000) == ("normal", 1000)
    assert list(dev.stored_slots()) == [100_000_000, 2**32 - 1]
    for i in range(DENSE_MIN + 10):                  # dense use turns into flat rows
        dev.write_size(i, 100)
    assert dev._cap >= DENSE_MIN + 10 and len(dev._flags) == dev._cap + 2
    dev.check()
    dev.discard(5, 2**32 - 5)                       # frees the sparse slots too
    assert dev.pages_stored == 5 and dev.notify_free == 2**32 - 5
    dev.check()


def test_sparse_slots_move_into_flat_rows_as_the_table_fills():
    dev = ZramDevice(verify=True)
    pages = {i: random.Random(i).randbytes(32) * 128 for i in (70_000, 200_000, 3)}
    for index, page in pages.items():
        assert dev.write(index, page)
    assert dev._rows.keys() == {70_000, 200_000}
    for i in range(4, DENSE_MIN + 5):
        assert dev.write_size(i, 50)
    assert dev._cap == 2 * DENSE_MIN and dev._rows.keys() == {200_000}   # 70000 moved
    dev.check()
    for index, page in pages.items():
        assert dev.read(index) == page                 # verify mode: digests moved too
    assert list(dev.stored_slots())[-2:] == [70_000, 200_000]


def test_errors_on_a_sparse_slot_name_the_slot_not_its_row():
    from zramsim.errors import VerifyMismatch
    dev = ZramDevice(verify=True)
    dev.write(10**8, b"x" * 2048 + bytes(2048))
    dev._expected[:16] = bytes(16)                  # row 0 holds slot 10**8: spoil its digest
    with pytest.raises(VerifyMismatch) as info:
        dev.read(10**8)
    assert info.value.index == 10**8


def test_notify_free_wraps_like_the_kernels_atomic64():
    """atomic64_inc per discarded page, read back as an unsigned 64-bit value (spec 2.9, 3.2)."""
    dev = ZramDevice()
    dev.notify_free = MAX_U64 - 1
    dev.discard(0, 3)
    assert dev.notify_free == 1 and dev.io_stat().notify_free == 1


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from("WWWRD"), st.one_of(
    st.integers(0, 3000), st.integers(0, 2**32 - 1)), st.integers(1, 3000)), max_size=60),
    verify=st.booleans())
def test_sparse_and_dense_slots_behave_the_same(ops, verify):
    """A dict of slot -> page is the model; verify mode reads back every page."""
    dev = ZramDevice(verify=verify)
    model: dict[int, bytes] = {}
    touched = 0
    for op, index, n in ops:
        if op == "W":
            page = random.Random(n).randbytes(64) * 64
            assert dev.write(index, page)
            model[index] = page
            touched = max(touched, index + 1)
        elif op == "R":
            assert dev.read(index) == model.get(index, bytes(4096))
            touched = max(touched, index + 1)
        else:
            count = min(n, 2**32 - index)
            dev.discard(index, count)
            model = {i: p for i, p in model.items() if not index <= i < index + count}
            touched = max(touched, index + count)
        dev.check()
        assert dev.pages_stored == len(model) and dev.disksize == touched * 4096
        assert list(dev.stored_slots()) == sorted(model)
        assert len(dev._flags) <= max(2 * dev._cap, 2048) + len(model) + len(ops)
    for index, page in model.items():
        assert dev.read(index) == page


def test_compare_frees_a_discard_range_by_what_is_stored():
    ops = [(STORE, 2**63, 100), (STORE, 5, 100), (FREE, 0, 2**64 - 1)]
    assert run_allocator("zsmalloc", ops).objects == 0
    ops = [(STORE, 1, 100), (STORE, 2, 100), (FREE, 2, 1)]
    assert run_allocator("zsmalloc", ops).objects == 1


def test_explain_names_only_stored_slots_of_a_huge_discard(tmp_path):
    path = trace(tmp_path, "n.trace", "W 100000000 fill:5", "W 3 zero", "D 0 4294967296")
    code, out, err = capped("replay", path, "--explain", "-q")
    assert code == 0
    [line] = [line for line in out.splitlines() + err if line.startswith("D ")]
    assert line.startswith("D slots 0-4294967295: slot 3: same-filled freed; slot 100000000: ")
    assert "; 4294967294 empty slots (nothing to free); notify_free -> 4294967296" in line

