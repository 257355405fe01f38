"""One replay for a command, run to the end or to what stopped it.

A command that replays prints what was computed even when the replay stops
early: after Ctrl-C at event 1,234 it still prints the statistics of those
1,234 events, then says why it stopped and exits with that reason's code. So
``replay_until_stopped`` does not raise what stopped the replay: it returns the
``Replay`` (``applied`` says how far it got, ``failed_at`` which event failed)
together with the exception, and the command line turns that into its message
and exit code. A broken invariant (an ``AssertionError``) is a bug and is raised.

It also runs ``replay --explain``: each step told in words (``zramsim.teach.narrate``)
instead of a progress line. A version 2 trace (attribute writes ``S``, a clock)
replays in this process, so that a warning about an attribute write can name
that write's own line.

``VERIFY``, ``EXPLAIN``, ``WORKERS`` and ``STRICT`` declare ``replay``'s options
for how it runs (``zramsim.option_spec``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from zramsim.device import ZramDevice
from zramsim.option_spec import FLAG, Option, Range
from zramsim.progress import Progress
from zramsim.replay import Replay

VERIFY = Option("--verify", FLAG, help="Check every read against the last write.")
EXPLAIN = Option("--explain", FLAG,
                 help="Narrate every step in words first (for small traces; --format table).")
WORKERS = Option("--workers", Range(int, 1), None,
                 "1: all in this process; N (at most the cores available): read and compress "
                 "ahead on N cores (default: all, for a text trace file of 256K or more, a "
                 "binary one of 8M, a raw image of 24M, when a core is free); results are "
                 "identical.")
STRICT = Option("--strict", FLAG, help="Exit 1 at an attribute write (S) that fails.")


def replay_until_stopped(device: ZramDevice, reader, progress: Progress, *, workers: int = 1,
                         strict: bool = False, events: Iterable[tuple] | None = None,
                         warn: Callable[[str], None] | None = None,
                         say: Callable[[str], None] | None = None,
                         stops: tuple[type[BaseException], ...] = ()
                         ) -> tuple[Replay, BaseException | None]:
    """Replay ``reader``'s events (or ``events``, which read from it) into ``device``.

    ``reader`` is a trace reader (iterable, ``location()``, ``version``, a context
    manager). With ``say``, each step is told as ``say(line)`` (then an empty line)
    and no progress is shown. An attribute write the kernel would refuse is
    ``warn("<where>: <what>")``, or with ``strict`` the error that ends the replay.
    Returns the replay and what ended it early: a KeyboardInterrupt, an exception
    of one of the ``stops`` classes, or None.
    """
    if say is not None:
        progress.write = None
    if getattr(reader, "version", "1") != "1":
        workers = 1                       # attribute warnings then name their own line

    def on_attribute(result) -> None:
        if not (result.ok or strict or warn is None):
            warn(f"{reader.location()}: {result.describe()}")

    replay = Replay(device, progress, workers=workers, locate=reader.location, strict=strict,
                    on_attribute=on_attribute)
    try:
        with reader, progress:
            if say is None:
                replay.run(reader if events is None else events)
            else:
                from zramsim.teach.narrate import narrate_replay
                for line in narrate_replay(replay, reader):
                    say(line)
                say("")
    except (KeyboardInterrupt, *stops) as exc:
        if isinstance(exc, AssertionError):
            raise
        return replay, exc
    return replay, None
