"""Reading ahead in a helper process: the same replay as reading here, event for event.

Each test compares a replay through ``zramsim.read_ahead.ReadAhead`` (the trace
read, examined and partly compressed by a helper process, applied here) with
a serial replay of the same trace in this process: statistics, every slot's
contents, failed writes under a binding mem_limit, and the ``file:line`` of
an error must all be the same. Each test also checks that the path it names
was the one taken (prepared records arrived; or the helper was lost and this
process read on), so none passes by quietly running the serial path.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import time
from functools import partial

import pytest
from click.testing import CliRunner

from cli import main
from tests.run_cli import zramsim_argv, zramsim_env
from workloads.open_trace import open_trace
from zramsim import Replay, ZramDevice
from zramsim.read_ahead import AUTO_BYTES, OWN_CHUNK, ReadAhead, plan
from zramsim.read_ahead_helper import PREPARED, balanced_share

PAGE = 4096


def _text_pages(rng: random.Random) -> bytes:
    words = [b"zram ", b"page ", b"slot ", b"handle ", rng.randbytes(5)]
    return b"".join(rng.choice(words) for _ in range(1000))[:PAGE]


def _write_corpus(folder, pages: int = 300, seed: int = 5) -> dict[str, str]:
    """A page file (text, same-filled and random pages) and text traces naming it."""
    rng = random.Random(seed)
    data = []
    for k in range(pages):
        kind = k % 6
        if kind == 0:
            data.append(rng.randbytes(PAGE))                   # huge
        elif kind == 1:
            data.append(rng.randbytes(8) * (PAGE // 8))         # same-filled
        else:
            data.append(_text_pages(rng))
    (folder / "pages.bin").write_bytes(b"".join(data))
    lines = ["zramsim-trace 1"]
    for k in range(pages):
        lines.append(f"W {rng.randrange(pages // 2)} file:pages.bin:{k}")
        if k % 50 == 49:
            lines += [f"R {rng.randrange(pages // 2)}", f"D {rng.randrange(pages // 2)} 3", "C"]
    lines.append("W 7 size:1500")
    (folder / "real.trace").write_text("\n".join(lines) + "\n")
    sizes = ["zramsim-trace 1"]
    for _ in range(3000):
        r = rng.random()
        if r < 0.85:
            sizes.append(f"W {rng.randrange(400)} size:{rng.randint(20, 4096)}")
        elif r < 0.95:
            sizes.append(f"R {rng.randrange(400)}")
        else:
            sizes.append(f"D {rng.randrange(400)} {rng.randint(1, 4)}")
    (folder / "sizes.trace").write_text("\n".join(sizes) + "\n")
    return {name: str(folder / name) for name in ("pages.bin", "real.trace", "sizes.trace")}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ahead")
    paths = _write_corpus(folder)
    result = CliRunner().invoke(main, ["convert", paths["real.trace"], str(folder / "real.ztrace")])
    assert result.exit_code == 0, result.output
    paths["real.ztrace"] = str(folder / "real.ztrace")
    return paths


def _device(**options) -> ZramDevice:
    return ZramDevice(None, options.pop("algorithm", "lz4"), **options)


def _serial(path: str, page_size=None, **options):
    device = _device(**options)
    with open_trace(path, page_size=page_size) as reader:
        applied = Replay(device).run(reader)
    return device, applied


def _ahead(path: str, page_size=None, before=None, workers=2, own_chunks=None, **options):
    """A replay through a ReadAhead; ``before(ahead)`` runs once the helper has sent
    its first batch; with ``own_chunks``, this process reads that many chunks itself
    before it looks for the helper's batches."""
    device = _device(**options)
    reader = open_trace(path, page_size=page_size)
    ahead = ReadAhead(reader, partial(open_trace, path, page_size=page_size), device, workers)
    prepared = []
    batches = ahead.batches

    def watching(applied):
        for batch in batches(applied):
            if type(batch) is list:
                prepared.extend(event for event in batch if event[0] == PREPARED)
            yield batch

    ahead.batches = watching
    ahead.start()
    with ahead:
        if own_chunks is None:      # the helper's first batch is waited for: it reads all
            assert select.select([ahead._fd], [], [], 60)[0]
        else:                       # this process reads the first chunks itself, then
            looks = iter([False] * own_chunks)      # waits for the helper's first batch
            ahead._helper_spoke = lambda: next(looks, None) is not False and \
                bool(select.select([ahead._fd], [], [], 60)[0])
        if before is not None:
            before(ahead)
        applied = Replay(device).run(ahead)
    return device, applied, ahead, prepared


def _same(first: ZramDevice, second: ZramDevice) -> None:
    assert second.stats().as_dict() == first.stats().as_dict()
    assert second.slots == first.slots
    for index in range(first.slots):
        assert second.slot_state(index) == first.slot_state(index)
        assert second.read(index) == first.read(index)
    second.check()


@pytest.mark.parametrize("name", ["real.trace", "real.ztrace", "sizes.trace", "pages.bin"])
def test_every_format_replays_as_read_here(corpus, name):
    serial, applied = _serial(corpus[name])
    device, got, ahead, prepared = _ahead(corpus[name])
    assert got == applied and ahead.fallback is None and ahead.received == applied
    _same(serial, device)
    if name != "sizes.trace":
        # the first batch's share is one half: some pages are compressed by the
        # helper (their bytes come as views of the shared ring), some here
        kinds = {type(arg) for _, _, arg in prepared}
        assert kinds == {int, memoryview, bytes}       # same-filled words and data
        assert ahead.compressed_by_helper > 0 and ahead.compressed_here > 0
        assert len(prepared) <= device.writes


@pytest.mark.parametrize("algorithm", ["lz4", "zstd"])
def test_a_binding_mem_limit_fails_the_same_writes(corpus, algorithm):
    limit = 40 * PAGE
    serial, _ = _serial(corpus["real.trace"], algorithm=algorithm, mem_limit=limit)
    device, _, ahead, prepared = _ahead(corpus["real.trace"], algorithm=algorithm,
                                        mem_limit=limit)
    assert serial.io_stat().failed_writes > 40            # the limit binds
    assert prepared and ahead.fallback is None
    _same(serial, device)


@pytest.mark.parametrize("algorithm", ["lz4", "zstd"])
def test_more_workers_compress_every_page_ahead(corpus, algorithm):
    """Three workers: the helper shares its compressing with another process (lz4)
    or thread (zstd), and this process only applies: no raw page is left here."""
    serial, _ = _serial(corpus["real.trace"], algorithm=algorithm, mem_limit=60 * PAGE)
    device, _, ahead, prepared = _ahead(corpus["real.trace"], workers=3, algorithm=algorithm,
                                        mem_limit=60 * PAGE)
    assert ahead.fallback is None
    assert len(prepared) == device.writes - 1            # all but the sizes-only write
    _same(serial, device)


@pytest.mark.parametrize("name", ["real.trace", "real.ztrace"])
def test_a_small_ring_is_reused_as_the_applier_frees_it(tmp_path, monkeypatch, name):
    """A ring of two of the largest batches (1 MiB) for ~5 MiB of pages: the helper
    must wait for room again and again, and nothing changes."""
    paths = _write_corpus(tmp_path, pages=1500)
    if name == "real.ztrace":
        paths[name] = str(tmp_path / name)
        assert CliRunner().invoke(main, ["convert", paths["real.trace"], paths[name]]).exit_code == 0
    monkeypatch.setattr("zramsim.read_ahead.ring_size", lambda largest: 2 * largest)
    serial, applied = _serial(paths[name])
    device, got, ahead, prepared = _ahead(paths[name])
    assert got == applied and ahead.fallback is None
    assert ahead._freed > 3 * (2 * 128 * PAGE)           # the ring went round 3 times
    assert memoryview in {type(arg) for _, _, arg in prepared}
    _same(serial, device)


def test_batches_larger_than_half_the_ring_go_through_the_pipe(corpus, monkeypatch):
    monkeypatch.setattr("zramsim.read_ahead.ring_size", lambda largest: 4 * PAGE)
    serial, applied = _serial(corpus["real.trace"])
    device, got, ahead, prepared = _ahead(corpus["real.trace"])
    assert got == applied and ahead.fallback is None and ahead._freed == 0
    assert {type(arg) for _, _, arg in prepared} == {int, bytes}
    _same(serial, device)


def test_verify_mode_gets_pages_not_prepared_records(corpus):
    serial, _ = _serial(corpus["real.trace"], verify=True)
    device, _, ahead, prepared = _ahead(corpus["real.trace"], verify=True)
    assert prepared == [] and ahead.received > 0 and ahead.fallback is None
    _same(serial, device)


@pytest.mark.parametrize("name", ["real.trace", "sizes.trace"])
def test_reading_here_while_the_helper_starts_hands_over_exactly(corpus, name):
    """Three chunks read here, then the helper's stream from the event after them."""
    serial, applied = _serial(corpus[name])
    device, got, ahead, prepared = _ahead(corpus[name], own_chunks=3)
    assert ahead._own_read == 3 * OWN_CHUNK and ahead.fallback is None
    assert got == applied and ahead.received == applied
    _same(serial, device)
    if name == "real.trace":
        assert prepared                                 # the helper's batches were used


def test_a_prepared_write_equals_a_write():
    rng = random.Random(1)
    pages = [_text_pages(rng), rng.randbytes(PAGE), bytes(PAGE), b"\x01" * PAGE]
    plain, prepared = _device(), _device()
    lz4 = plain.compressor
    for slot, page in enumerate(pages):
        plain.write(slot, page)
        word = page[:8]
        if word * (PAGE // 8) == page:
            arg = int.from_bytes(word, "little")
        else:
            data = lz4.compress(page)
            arg = page if len(data) >= prepared.huge_class_size else data
        prepared.write_prepared(slot, arg)
    _same(plain, prepared)
    assert prepared.mm_stat().huge_pages == 1 and prepared.mm_stat().same_pages == 2


def _stopped_or_killed(sig):
    def act(ahead):
        os.kill(ahead.process.pid, sig)
    return act


@pytest.mark.parametrize("sig, why", [(signal.SIGKILL, "exited"), (signal.SIGSTOP, "stopped")])
def test_a_lost_helper_leaves_the_reading_here(tmp_path, sig, why):
    """Killed or stopped once its first batch is out, before this process takes
    anything: the trace's batches (over 2 MB: 200 incompressible pages among 1200)
    cannot all be in the 1 MiB pipe, so the helper cannot have finished; this process reads on
    from where it got to."""
    paths = _write_corpus(tmp_path, pages=1200)
    serial, applied = _serial(paths["real.trace"])
    device, got, ahead, _ = _ahead(paths["real.trace"], before=_stopped_or_killed(sig))
    assert ahead.fallback is not None and why in ahead.fallback
    assert ahead.process.poll() is not None            # and it is gone, not left stopped
    assert got == applied
    _same(serial, device)


def _bad_trace(folder, last: str) -> str:
    lines = ["zramsim-trace 1"] + [f"W {k} file:pages.bin:{k}" for k in range(200)] + [last]
    path = folder / "bad.trace"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("last, where", [("X 1", "unknown operation"),
                                         ("R 99999", "outside the device")])
def test_errors_name_the_same_line_after_the_same_events(tmp_path, last, where):
    _write_corpus(tmp_path, pages=200)
    path = _bad_trace(tmp_path, last)
    outputs = []
    for workers in ("1", "2"):
        result = CliRunner().invoke(main, ["replay", path, "--workers", workers, "--format",
                                           "json", "--disksize", "1M", "-q"])
        assert result.exit_code == 1
        doc = json.loads(result.stdout)
        outputs.append((doc.pop("error"), doc["events"], doc["mm_stat"]))
    assert outputs[0] == outputs[1]
    assert f"{path}:202: " in outputs[0][0] and where in outputs[0][0]
    assert outputs[0][1] == 200


def test_plan_keeps_one_process_for_one_worker_and_small_traces(corpus, tmp_path, monkeypatch):
    device = _device()
    with open_trace(corpus["sizes.trace"]) as reader:
        opener = partial(open_trace, corpus["sizes.trace"])
        assert plan(device, reader, 1, opener) == (reader, 1)
        assert os.path.getsize(corpus["sizes.trace"]) < AUTO_BYTES["text"]
        assert plan(device, reader, None, opener) == (reader, 1)
    monkeypatch.setattr("zramsim.helper_start.others_running", lambda: 0)   # an idle machine
    monkeypatch.setattr("zramsim.read_ahead.cores_available", lambda: 2)
    monkeypatch.setattr("zramsim.helper_start.cores_available", lambda: 2)
    with open_trace(corpus["real.ztrace"]) as reader:      # 300 pages: binary under 8 MiB
        assert AUTO_BYTES["text"] < os.path.getsize(corpus["real.ztrace"]) < AUTO_BYTES["binary"]
        assert plan(device, reader, None, partial(open_trace, corpus["real.ztrace"])) == (reader, 1)
    with open_trace(corpus["sizes.trace"]) as reader:
        ahead, workers = plan(device, reader, 2, opener)
        assert isinstance(ahead, ReadAhead) and workers == 2
        assert ahead.process is None               # started by the replay, not by plan
        ahead.start()
        assert ahead.process.poll() is None
        ahead.close()


def test_default_workers_on_a_long_trace_give_the_same_json(tmp_path, monkeypatch):
    _write_corpus(tmp_path, pages=1200)
    path = tmp_path / "real.trace"
    with open(path, "a") as trace:          # pad past AUTO_BYTES with comments
        trace.write(("# padding " + "x" * 90 + "\n") * (AUTO_BYTES["text"] // 100 + 1))
    monkeypatch.setattr("zramsim.helper_start.others_running", lambda: 0)   # an idle machine
    docs = []
    for extra in ([], ["--workers", "1"]):
        result = CliRunner().invoke(main, ["replay", str(path), "--format", "json", "-q",
                                           "--mem-limit", "200K", *extra])
        assert result.exit_code == 0, result.output
        docs.append(json.loads(result.stdout))
    asked = [doc["config"].pop("workers") for doc in docs]
    assert asked == [None, 1]              # as given: the same JSON for a file and a pipe
    cores = len(os.sched_getaffinity(0))
    for others, reads_ahead in ((0, cores >= 2), (cores - 1, False)):
        monkeypatch.setattr("zramsim.helper_start.others_running", lambda: others)
        with open_trace(path) as reader:   # with no option: ahead where a core is idle
            chosen, workers = plan(_device(), reader, None, partial(open_trace, path))
            assert isinstance(chosen, ReadAhead) == reads_ahead
            assert workers == (cores if reads_ahead else 1)
            if chosen is not reader:
                chosen.close()             # stops the helper
    assert docs[0] == docs[1]
    assert docs[0]["io_stat"]["failed_writes"] > 0


def test_a_second_core_is_free_when_no_other_task_is_ready_to_run(monkeypatch):
    """Two cores: free with no other task ready, not with one; the load average is
    asked only where the tasks ready to run are not known."""
    import zramsim.helper_start as helper_start
    monkeypatch.setattr(helper_start, "cores_available", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.9, 1.9, 1.9))   # our own last runs
    for others, free in ((0, True), (1, False), (2, False)):
        monkeypatch.setattr(helper_start, "others_running", lambda: others)
        assert helper_start.second_core_free() is free
    monkeypatch.setattr(helper_start, "others_running", lambda: None)
    for load, free in ((1.7, True), (1.8, False)):
        monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
        assert helper_start.second_core_free() is free
    monkeypatch.setattr(helper_start, "cores_available", lambda: 1)
    monkeypatch.setattr(helper_start, "others_running", lambda: 0)
    assert helper_start.second_core_free() is False


def test_others_running_reads_the_tasks_ready_to_run_less_this_one(monkeypatch):
    """/proc/loadavg's fourth field is running/total; the fewest of three looks."""
    import builtins
    import io
    import zramsim.helper_start as helper_start
    looks = iter(["0.50 0.40 0.30 3/201 999\n", "0.50 0.40 0.30 2/201 999\n",
                  "0.50 0.40 0.30 4/201 999\n"])
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: io.StringIO(next(looks))
                        if path == "/proc/loadavg" else real_open(path, *a, **k))
    assert helper_start.others_running() == 1
    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: io.StringIO("garbage")
                        if path == "/proc/loadavg" else real_open(path, *a, **k))
    assert helper_start.others_running() is None


def _children(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(name))
    return found


def test_ctrl_c_exits_130_with_statistics_and_no_helper_left(tmp_path):
    """lz4-kernel (~1 ms a page) keeps the replay going until the signal comes."""
    _write_corpus(tmp_path, pages=3000)
    process = subprocess.Popen(
        zramsim_argv("replay", "real.trace", "--workers", "2", "--algo", "lz4-kernel",
                     "--format", "json", "-q"),
        cwd=tmp_path, env=zramsim_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    helpers: list[int] = []
    deadline = time.monotonic() + 60
    while not helpers and process.poll() is None and time.monotonic() < deadline:
        helpers = _children(process.pid)
        time.sleep(0.05)
    assert helpers, "the replay started no helper process"
    time.sleep(0.3)                     # let it apply something first (not asserted)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    doc = json.loads(out)
    assert doc["error"].startswith("interrupted after ") and doc["events"] < 3000 + 180
    assert doc["error"].replace(",", "") == f"interrupted after {doc['events']} events"
    for pid in helpers:
        assert not os.path.exists(f"/proc/{pid}")


def test_the_balanced_share_evens_both_sides():
    """Worked by hand: reading 3 us, applying 3.5, compressing 7 on either side gives
    (3.5 + 7 - 3) / 14 = 0.5357, where both spend 3 + 7 * 0.5357 = 6.75 us a page."""
    share = balanced_share(read=3e-6, helper_compress=7e-6, apply=3.5e-6, compress=7e-6)
    assert share == pytest.approx(7.5 / 14)
    assert 3e-6 + 7e-6 * share == pytest.approx(3.5e-6 + 7e-6 * (1 - share))
    # a side twice as slow at compressing (the scheduler runs it half the time)
    share = balanced_share(read=3e-6, helper_compress=14e-6, apply=3e-6, compress=7e-6)
    assert share == pytest.approx(7 / 21)
    assert balanced_share(read=20e-6, helper_compress=7e-6, apply=1e-6, compress=7e-6) == 0.0
    assert balanced_share(read=0.0, helper_compress=1e-6, apply=9e-6, compress=1e-6) == 1.0
    assert balanced_share(read=1e-6, helper_compress=0.0, apply=1e-6, compress=0.0) == 0.5


@pytest.mark.parametrize("text", ["", "0", "12a", "\u0663", "\u00b2", "+1", " 1", "1_0", "-0",
                                  "0" * 20, "0" * 21, "18446744073709551615",
                                  "18446744073709551616"])
def test_parse_u64_accepts_what_the_decimal_pattern_does(text):
    """parse_u64 tests digits without the regex; it must accept exactly its strings
    (ASCII digits, 1 to 20 of them) and then refuse values past 2**64 - 1."""
    from workloads.contents import _DECIMAL, ContentError, parse_u64
    if _DECIMAL.fullmatch(text) and int(text) <= (1 << 64) - 1:
        assert parse_u64(text, "n") == int(text)
    else:
        with pytest.raises(ContentError):
            parse_u64(text, "n")


def test_a_helper_that_cannot_start_leaves_the_reading_here(corpus, monkeypatch):
    serial, applied = _serial(corpus["real.trace"])
    device = _device()
    reader = open_trace(corpus["real.trace"])
    ahead = ReadAhead(reader, partial(open_trace, corpus["real.trace"]), device)

    def no_process(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr("zramsim.read_ahead.subprocess.Popen", no_process)
    with ahead:
        assert Replay(device).run(ahead) == applied
    assert "could not start" in ahead.fallback and ahead.process is None
    _same(serial, device)
    with pytest.raises(TypeError, match="Replay.run"):
        iter(ahead)
