"""Outputs a user can trust: standard output as '-', whole files or none, quiet pipes."""

from __future__ import annotations

import errno
import os
import pty
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import workloads.output_file as output_file
from cli import main
from tests.run_cli import zramsim_argv, zramsim_env
from workloads.errors import OutputError
from workloads.output_file import OutputFile

DATA = Path(__file__).parent / "data" / "traces"


def run(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="zramsim")


def test_generate_to_standard_output_is_the_binary_trace_it_writes_to_a_file(tmp_path):
    args = ["--kind", "heap=0.5,zero=0.5", "--pages", "40", "--seed", "3"]
    to_file = run("generate", str(tmp_path / "g.ztrace"), *args)
    to_stdout = run("generate", "-", *args)
    assert to_file.exit_code == to_stdout.exit_code == 0
    assert to_stdout.stdout_bytes == (tmp_path / "g.ztrace").read_bytes()
    assert to_stdout.stderr == "40 events written to standard output\n"


def test_convert_to_standard_output_binary_and_sizes_only_text(tmp_path):
    binary = run("convert", str(DATA / "mixed.trace"), "-")
    run("convert", str(DATA / "mixed.trace"), str(tmp_path / "m.ztrace"))
    assert binary.exit_code == 0
    assert binary.stdout_bytes == (tmp_path / "m.ztrace").read_bytes()
    text = run("convert", str(DATA / "sizes16k.trace"), "-", "--output-format", "text", "-q")
    assert text.exit_code == 0 and text.stderr == ""
    assert text.stdout.startswith("zramsim-trace 1\npage_size 16384\n")


def test_convert_and_capture_at_any_zstd_level_replay_alike(tmp_path):
    """--zstd-level changes the file's size, never what it replays to."""
    mm_stats, sizes = set(), []
    for level in ("-7", "19"):
        out = tmp_path / f"m{level}.ztrace"
        assert run("convert", str(DATA / "mixed.trace"), str(out), "--zstd-level", level,
                   "-q").exit_code == 0
        captured = tmp_path / f"c{level}.ztrace"
        assert run("capture", "--path", str(DATA), str(captured), "--zstd-level", level,
                   "-q").exit_code == 0
        sizes.append((out.stat().st_size, captured.stat().st_size))
        for trace in (out, captured):
            mm_stats.add((trace.name[0], run("replay", str(trace), "-q", "--format",
                                             "mm_stat").stdout))
    assert len(mm_stats) == 2                   # one result per trace, whatever the level
    assert sizes[1][0] < sizes[0][0] and sizes[1][1] < sizes[0][1]


def test_a_text_trace_with_page_bytes_cannot_go_to_standard_output():
    result = run("convert", str(DATA / "mixed.trace"), "-", "--output-format", "text")
    assert result.exit_code == 1
    assert result.stderr == ("Error: cannot write standard output: page bytes go to a side file"
                             " beside a text trace: write a binary trace to standard output\n")


def test_a_binary_trace_is_not_written_to_a_terminal(tmp_path):
    leader, terminal = pty.openpty()
    try:
        result = subprocess.run(zramsim_argv("generate", "-", "--pages", "2"), stdout=terminal,
                                stderr=subprocess.PIPE, env=zramsim_env(), timeout=60)
    finally:
        os.close(terminal)
        os.close(leader)
    assert result.returncode == 1
    assert result.stderr == (b"Error: cannot write standard output: it is a terminal, and a "
                             b"binary trace is not text: redirect it to a file or a pipe\n")


@pytest.mark.parametrize("args", [["classes"], ["zspages", "--size", "100", "--count", "3000",
                                           "--format", "json"],
                                  ["generate", "-", "--pages", "3000", "--kind", "text"]])
def test_a_closed_pipe_ends_the_command_quietly(args):
    """`zramsim classes | head -1`: the second command has far more than a pipe holds."""
    process = subprocess.Popen(zramsim_argv(*args), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=zramsim_env())
    first = process.stdout.readline()
    process.stdout.close()                          # what head does after one line
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 0
    assert first and stderr == b""


@pytest.mark.parametrize("error, words", [(errno.ENOSPC, "no space left on device"),
                                          (errno.EROFS, "read-only file system"),
                                          (errno.EIO, "input/output error")])
def test_a_failing_disk_is_one_line_and_the_old_file_stays(tmp_path, monkeypatch, error, words):
    target = tmp_path / "keep.ztrace"
    target.write_bytes(b"keep me")

    def failing_write(fd, data):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(output_file.os, "write", failing_write)
    result = run("convert", str(DATA / "mixed.trace"), str(target))
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write {target}: {words}\n"
    assert target.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.ztrace"]


def test_an_output_file_is_whole_or_absent(tmp_path):
    target = tmp_path / "out.bin"
    with OutputFile(target) as out:
        out.open().write(b"new")
        assert not target.exists()                  # nothing there until it is complete
    assert target.read_bytes() == b"new"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    with pytest.raises(KeyboardInterrupt):
        with OutputFile(target) as out:
            out.open().write(b"half")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == ["out.bin"]
    with pytest.raises(OutputError, match="it is a folder"):
        OutputFile(tmp_path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_side_file_and_trace_are_replaced_together(tmp_path):
    old = tmp_path / "b.trace"
    assert run("convert", str(DATA / "mixed.ztrace"), str(old)).exit_code == 0
    pages = (tmp_path / "b.trace.pages").read_bytes()
    result = run("convert", str(DATA / "mixed.trace"), str(old))   # the same events again
    assert result.exit_code == 0
    assert (tmp_path / "b.trace.pages").read_bytes() == pages
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.trace", "b.trace.pages"]


def test_every_command_takes_q():
    for name in main.commands:
        assert run(name, "-q", "--help").exit_code == 0, name


def test_a_replay_interrupted_leaves_no_helper_process(tmp_path):
    (tmp_path / "t.trace").write_text("zramsim-trace 1\n" + "".join(
        f"W {i} random:{i}\n" for i in range(30000)))
    process = subprocess.Popen(zramsim_argv("replay", "t.trace", "--workers", "2", "-q"),
                               cwd=tmp_path, env=zramsim_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=_default_sigint)
    try:
        helpers: list[int] = []
        while not helpers:
            assert process.poll() is None, process.stderr.read()
            helpers = _children(process.pid)
        process.send_signal(2)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    if process.returncode == 0:
        pytest.skip("the replay ended before the interrupt reached it")
    assert process.returncode == 130 and stderr.startswith(b"Error: interrupted after ")
    assert all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in helpers)


def _default_sigint() -> None:
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_shows_on_a_terminal_only_and_not_with_q(tmp_path, quiet):
    leader, terminal = pty.openpty()
    args = ["generate", "g.ztrace", "--kind", "zero", "--pages", "20000"] + (["-q"] if quiet
                                                                           else [])
    try:
        process = subprocess.Popen(zramsim_argv(*args), cwd=tmp_path, env=zramsim_env(),
                                   stderr=terminal, stdout=subprocess.DEVNULL)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:                          # the terminal closed: the command ended
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait(timeout=120) == 0
    finally:
        os.close(leader)
    if quiet:
        assert shown == b""
    else:                                            # 8,192 and 16,384 events, then the note
        assert shown.count(b"events/s") == 2 and b"\r      16,384 events" in shown
        assert shown.endswith(b"20,000 events written to g.ztrace\r\n")


def test_a_symlinked_target_stays_a_link_and_keeps_its_permissions(tmp_path):
    real = tmp_path / "real.bin"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    with OutputFile(link) as out:
        out.open().write(b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert real.stat().st_mode & 0o777 == 0o640


def test_a_target_that_is_not_a_regular_file_is_written_in_place(tmp_path):
    result = run("generate", "/dev/null", "--pages", "3", "--kind", "zero", "--output-format",
                 "binary")
    assert result.exit_code == 0 and Path("/dev/null").is_char_device()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with OutputFile(fifo) as out:
            out.open().write(b"through the fifo")
        assert os.read(reader, 100) == b"through the fifo"
    finally:
        os.close(reader)
    assert fifo.is_fifo() and sorted(os.listdir(tmp_path)) == ["fifo"]


def test_a_side_file_never_appears_without_its_trace(tmp_path, monkeypatch):
    """The trace fails last (a full disk when its last bytes go out): no side file is left."""
    real_finish = OutputFile.finish

    def trace_fails(self):
        if self.path.endswith(".trace"):
            self.discard()
            raise OutputError(self.path, "no space left on device")
        real_finish(self)

    monkeypatch.setattr(OutputFile, "finish", trace_fails)
    result = run("convert", str(DATA / "mixed.trace"), str(tmp_path / "t.trace"))
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write {tmp_path / 't.trace'}: no space left on device\n"
    assert os.listdir(tmp_path) == []
