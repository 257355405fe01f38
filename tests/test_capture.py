"""Capture from a live process and from files and directory trees."""

import os
import subprocess
import sys

import pytest

from workloads.capture import INCLUDE_CHOICES, capture_path, capture_process, read_maps
from workloads.errors import CaptureError
from workloads.events import PageEvent

MARKER = "zramsim-capture-marker"

# The child builds a recognisable heap of ~20,000 distinct strings (about 2 MiB),
# reports ready and waits on stdin until we are done.
CHILD = f"""
import sys
heap = ["{MARKER}-%06d-" % i + "x" * 60 for i in range(20000)]
print("ready", flush=True)
sys.stdin.readline()
"""


@pytest.fixture(scope="module")
def child():
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _no_such_pid() -> int:
    pid = 4_000_000
    while os.path.exists(f"/proc/{pid}"):
        pid += 1
    return pid


def test_capture_live_process(child):
    addresses = []
    events = list(capture_process(child.pid, addresses=addresses))
    assert [e.index for e in events] == list(range(len(events)))
    assert all(e.op == "W" and len(e.arg) == 4096 for e in events)
    assert len(addresses) == len(events) and addresses == sorted(addresses)
    # 20,000 strings of ~100 bytes are ~500 pages; a bare interpreter adds a few MiB.
    assert 500 < len(events) < 50_000
    hits = [e for e in events if MARKER.encode() in e.arg]
    assert len(hits) >= 400
    assert any(f"{MARKER}-019999-".encode() in e.arg for e in hits)


def test_capture_include_modes(child):
    counts = {inc: sum(1 for _ in capture_process(child.pid, include=inc))
              for inc in INCLUDE_CHOICES}
    assert counts["anonymous"] <= counts["private"] < counts["all"]
    assert counts["anonymous"] > 500


def test_read_maps_sees_the_heap(child):
    maps = read_maps(child.pid)
    assert any(m.path == "[heap]" and m.perms.startswith("rw") for m in maps)
    assert all(m.start < m.end for m in maps)


def test_capture_missing_pid():
    pid = _no_such_pid()
    with pytest.raises(CaptureError, match=f"no process with pid {pid}"):
        list(capture_process(pid))


def test_capture_bad_arguments():
    with pytest.raises(ValueError, match="include"):
        list(capture_process(os.getpid(), include="everything"))
    with pytest.raises(ValueError, match="page size"):
        list(capture_process(os.getpid(), page_size=8192))


def test_capture_permission_error_is_clear():
    if os.geteuid() != 0:
        pytest.skip("needs root to drop privileges in the reader")
    # pid 1 belongs to root; a reader running as 'nobody' may not ptrace it.
    code = ("import os\n"
            "from workloads.capture import capture_process\n"
            "from workloads.errors import CaptureError\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "try:\n list(capture_process(1))\nexcept CaptureError as e:\n print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)), timeout=30)
    assert out.stdout.startswith("permission denied reading /proc/1/maps: capturing a process needs ptrace access")


def test_capture_file_pads_the_last_page(tmp_path):
    f = tmp_path / "one"
    f.write_bytes(b"a" * 5000)
    events = list(capture_path(f))
    assert events == [PageEvent("W", 0, b"a" * 4096),
                      PageEvent("W", 1, b"a" * 904 + bytes(3192))]


def test_capture_tree_is_sorted_and_deterministic(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z").write_bytes(b"Z" * 10)
    (tmp_path / "b" / "a").write_bytes(b"A" * 8192)
    (tmp_path / "c").write_bytes(b"C")
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "link").symlink_to(tmp_path / "c")
    files = []
    events = list(capture_path(tmp_path, files=files))
    assert [os.path.relpath(f, tmp_path) for f in files] == ["c", "empty", "b/a", "b/z"]
    assert [(e.index, e.arg[:1]) for e in events] == [(0, b"C"), (1, b"A"), (2, b"A"), (3, b"Z")]
    assert events == list(capture_path(tmp_path))


def test_capture_path_errors(tmp_path):
    with pytest.raises(CaptureError, match="no such file"):
        list(capture_path(tmp_path / "missing"))
    locked = tmp_path / "locked"
    locked.write_bytes(b"x")
    locked.chmod(0)
    if os.geteuid() == 0:
        assert len(list(capture_path(locked))) == 1   # root reads it anyway
    else:
        with pytest.raises(CaptureError, match="locked"):
            list(capture_path(locked))
