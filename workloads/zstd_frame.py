"""The zstd frame of a binary trace, compressed here or by a helper process on another core.

A binary trace's records go through one zstd stream (level -1 by default,
with a checksum). zstd took ~10 us a 4 KiB page at level 3 on this machine
(about half that at -1): as long as making a generated page or reading one
from a file, so a command writing a trace spent about half its time
compressing. zstd's streaming output depends
only on the bytes fed in and the parameters, not on how the input is cut into
writes, so another process can compress the same stream to the same frame,
byte for byte (the tests compare both ways).

``FrameWriter`` keeps the first ``BUFFERED`` bytes of records. A trace that
ends before that is compressed here, in one go, when it is closed. A longer
one, on a machine with a core to spare (``helper_wanted``), starts a helper:
a fresh interpreter running this file, which reads the records from a pipe,
compresses them with ``copy_stream`` and writes the frame straight into the
output file (its own descriptor of the same open file, so the trailer lands
after the frame), then says how many bytes it wrote. The command meanwhile
makes or reads the next pages. With one core, on a busy machine, or if the
helper cannot start, the frame is compressed here as before.

Worked example: 145,008 generated pages are ~600 MB of records; compressed
here that is ~1.5 s of the command's ~6 s; with the helper the command spends
~0.2 s writing them into the pipe and the helper's core does the rest. A
100-page trace (0.4 MB) never starts a helper (its start costs ~30 ms).
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable

CHUNK = 1 << 20
BUFFERED = 4 << 20               # bytes of records held before deciding where to compress
PIPE_BYTES = 1 << 20             # the pipe to the helper, if the system lets us


def helper_wanted(core_free: Callable[[], bool] | None) -> bool:
    """Compress in a helper? ``ZRAMSIM_COMPRESS_HELPER=always`` or ``never`` in the
    environment decides (tests, or a machine where the caller's rule misleads);
    else ``core_free()``, the caller's rule for a second core being free (the
    command line gives ``zramsim.helper_start.second_core_free``, a replay's
    rule for reading ahead); without one, no helper."""
    forced = os.environ.get("ZRAMSIM_COMPRESS_HELPER")
    if forced in ("always", "never"):
        return forced == "always"
    return core_free is not None and core_free()


class HelperFailed(Exception):
    """The helper process stopped without compressing the frame (an OSError is raised
    instead when it could not write the output)."""


class FrameWriter:
    """One zstd frame written to ``file`` (a buffered binary file, at the frame's start).

    ``helper``: a function that says whether a second core is free, asked once
    the trace is long enough (``helper_wanted``); None asks nobody (compressed
    here unless the environment says otherwise); False always compresses here;
    True starts a helper as soon as a byte is written (tests). ``close()``
    returns the frame's length in bytes.
    """

    def __init__(self, file, level: int, *,
                 helper: bool | Callable[[], bool] | None = None) -> None:
        self._file = file
        self._level = level
        self._helper = helper
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._zstd = None                 # the stream writer, when compressing here
        self._process = None              # the helper, when one compresses
        self._start = 0

    def write(self, data) -> None:
        """Add bytes of records to the frame."""
        if self._process is not None:
            self._send(data)
        elif self._zstd is not None:
            self._zstd.write(data)
        else:
            self._pending.append(bytes(data))
            self._pending_bytes += len(data)
            if self._helper is True or self._pending_bytes >= BUFFERED:
                self._decide()

    def _wanted(self) -> bool:
        """A helper? ``helper`` True or False says; else ``helper_wanted`` decides."""
        if isinstance(self._helper, bool):
            return self._helper
        return helper_wanted(self._helper)

    def _decide(self) -> None:
        """Start the helper if it is wanted and can start, else compress here."""
        if self._wanted():
            # imported here: the helper runs this file alone, without our packages
            from workloads.output_file import ctrl_c_held
            with ctrl_c_held():                 # a Ctrl-C now finds the helper to stop
                self._process = self._spawn()
        pending, self._pending = self._pending, []
        if self._process is None:
            self._compress_here()
        for data in pending:
            self.write(data)

    def _compress_here(self) -> None:
        import zstandard
        self._start = self._file.tell()
        compressor = zstandard.ZstdCompressor(level=self._level, write_checksum=True)
        self._zstd = compressor.stream_writer(self._file, closefd=False)

    def _spawn(self):
        import subprocess                           # only a long trace needs it
        if not sys.executable:                      # an embedded interpreter: no helper
            return None
        try:
            self._file.flush()                       # the header before the frame
            fd = os.dup(self._file.fileno())
        except (AttributeError, OSError, ValueError):
            return None                              # not a file with a descriptor
        try:
            process = subprocess.Popen(
                [sys.executable, "-P", os.path.abspath(__file__), str(self._level), str(fd)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                pass_fds=(fd,), process_group=0)    # Ctrl-C reaches us, not the helper
        except OSError:
            return None
        finally:
            os.close(fd)
        try:
            import fcntl
            fcntl.fcntl(process.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except (ImportError, AttributeError, OSError):
            pass
        return process

    def _send(self, data) -> None:
        try:
            self._process.stdin.write(data)
        except BrokenPipeError:                       # the helper is gone: say why
            self._finish_helper()
            raise HelperFailed("the compressing helper stopped early") from None

    def _finish_helper(self) -> int:
        """Wait for the helper; its frame length, or its error raised."""
        process = self._process
        try:
            process.stdin.close()
        except BrokenPipeError:
            pass
        answer = process.stdout.read().decode("ascii", "replace").split(maxsplit=2)
        process.stdout.close()
        status = process.wait()
        if answer[:1] == ["ok"] and status == 0:
            return int(answer[1])
        if answer[:1] == ["error"] and len(answer) == 3:
            number = int(answer[1])
            if number == errno.EPIPE:
                raise BrokenPipeError(number, answer[2])
            raise OSError(number, answer[2])
        raise HelperFailed(f"the compressing helper exited with status {status}")

    def close(self) -> int:
        """End the frame; its length in bytes."""
        if self._process is not None:
            return self._finish_helper()
        if self._zstd is None:
            self._helper = False
            self._decide()
        self._zstd.close()
        return self._file.tell() - self._start

    def abort(self) -> None:
        """Stop a helper at once (the output is being discarded). Never raises."""
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        process.wait()


def _helper_main(level: int, fd: int) -> int:
    """The helper: records on standard input, the frame to ``fd``, ``ok <bytes>`` or
    ``error <errno> <reason>`` on standard output."""
    import zstandard
    source = open(0, "rb", buffering=0, closefd=False)
    out = open(fd, "wb", buffering=CHUNK, closefd=True)
    try:
        compressor = zstandard.ZstdCompressor(level=level, write_checksum=True)
        _, written = compressor.copy_stream(source, out, read_size=CHUNK, write_size=CHUNK)
        out.flush()
    except OSError as exc:
        print(f"error {exc.errno or errno.EIO} {exc.strerror or exc}", flush=True)
        return 1
    print(f"ok {written}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_helper_main(int(sys.argv[1]), int(sys.argv[2])))
