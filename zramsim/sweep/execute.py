"""Where the runs compute: one executor interface, a local pool or a Dask cluster.

Both back ends are ``concurrent.futures`` executors: ``submit(fn, run)``
returns a future of the run's result dict. Locally that is the standard
library's ``ProcessPoolExecutor`` (one process per core by default, nothing to
set up); ``--scheduler tcp://HOST:PORT`` wraps a ``dask.distributed`` client's
executor, so the same runs go to an existing cluster and the same loop
(``execute``) collects them. A run is sent as its absolute trace path and hash,
not its bytes: every Dask worker must see the traces at the same path (a shared
filesystem) and have this zramsim installed.

A worker lost mid-run: Dask reschedules the runs it held on other workers by
itself (``KilledWorker`` after the scheduler's ``allowed-failures``, 3 by
default: the run is recorded failed). A local pool whose process dies is
broken for good (``BrokenProcessPool`` on every unfinished future), so
``execute`` keeps the results that did arrive, builds a new pool and submits
the unfinished runs again; a run still unfinished when the pool has broken
``max_losses`` times (3) is recorded failed, so a run that kills its process
every time cannot loop for ever. (The pool cannot tell a run in flight from a
waiting one: both count.)
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from queue import Empty, SimpleQueue

from zramsim.sweep.errors import MissingExtra, SchedulerError

MAX_LOSSES = 3
DASK_HINT = "--scheduler needs Dask's distributed scheduler: pip install 'zramsim[dask]'"


def _pool_process_start(parent: int) -> None:
    """Pool processes leave Ctrl-C to the parent, which stops them itself, and end
    when the parent is gone (killed: SIGKILL leaves them blocked on their queue)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="zramsim-parent-watch", daemon=True).start()


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:          # not Linux
        return os.cpu_count() or 1


class LocalPool(cf.ProcessPoolExecutor):
    """A process pool whose shutdown with ``cancel_futures`` also stops running runs."""

    def __init__(self, workers: int | None = None) -> None:
        super().__init__(max_workers=workers or usable_cores(),
                         initializer=_pool_process_start, initargs=(os.getpid(),))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:      # interrupted: do not wait for runs whose result is unwanted
            for process in list((getattr(self, "_processes", None) or {}).values()):
                process.terminate()
        super().shutdown(wait=wait, cancel_futures=cancel_futures)


class DaskPool(cf.Executor):
    """The executor of a ``distributed.Client`` connected to ``address``; owns the client."""

    def __init__(self, address: str, timeout: float = 10) -> None:
        try:
            from distributed import Client
            from distributed.comm.addressing import parse_address, parse_host_port
        except ImportError:
            raise MissingExtra(DASK_HINT) from None
        try:
            parse_host_port(parse_address(address)[1])
        except ValueError as exc:
            raise SchedulerError(f"{address!r} is not a scheduler address such as "
                                 f"tcp://HOST:PORT ({exc})") from None
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(f"cannot reach the Dask scheduler at {address}: "
                                 f"{exc}") from None
        self._executor = self.client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait and not cancel_futures)
        self.client.close()


class Executors:
    """Makes the executor the options ask for: ``Executors(workers, scheduler)()``.

    With a scheduler, the first client connects here, so a missing extra
    (MissingExtra) or a scheduler that does not answer (SchedulerError) is
    reported before any trace is read; ``close()`` lets go of it if unused.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        self.workers, self.scheduler = workers, scheduler
        self._ready = DaskPool(scheduler) if scheduler is not None else None

    def __call__(self) -> cf.Executor:
        if self._ready is not None:
            ready, self._ready = self._ready, None
            return ready
        return DaskPool(self.scheduler) if self.scheduler is not None else LocalPool(self.workers)

    def close(self) -> None:
        if self._ready is not None:
            self._ready.shutdown()
            self._ready = None


def executor_factory(workers: int | None = None, scheduler: str | None = None) -> Executors:
    """The executors of ``--workers`` / ``--scheduler``; see ``Executors``."""
    return Executors(workers, scheduler)


def _outcome(future: cf.Future) -> dict:
    """The run's result, or a failed result saying what the executor raised."""
    try:
        return future.result()
    except Exception as exc:
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}


def _broken(future: cf.Future) -> bool:
    return (future.done() and not future.cancelled()
            and isinstance(future.exception(), cf.BrokenExecutor))


def execute(runs: Iterable, make_executor: Callable[[], cf.Executor], task: Callable,
            on_result: Callable[[object, dict], None], *, max_losses: int = MAX_LOSSES,
            tick: float = 0.5, on_tick: Callable[[], None] | None = None,
            on_lost: Callable[[object], None] | None = None) -> None:
    """``on_result(run, task(run))`` for every run, in the order they finish.

    ``on_tick`` is called every ``tick`` seconds without a result;
    ``on_lost(run)`` when a run is lost with its local pool process.
    KeyboardInterrupt (and any error of ``on_result``) stops the executor,
    cancelling what has not finished, and propagates. Finished futures arrive
    through a queue (one callback each), so a sweep of N runs costs O(N) here.
    """
    queue, losses = list(runs), Counter()
    executor = make_executor()
    try:
        while queue:
            finished: SimpleQueue[cf.Future] = SimpleQueue()
            futures = {}
            for run in queue:
                future = executor.submit(task, run)
                futures[future] = run
                future.add_done_callback(finished.put)
            queue = []
            while futures:
                try:
                    future = finished.get(timeout=tick)
                except Empty:
                    if on_tick is not None:
                        on_tick()
                    continue
                if _broken(future):
                    break
                on_result(futures.pop(future), _outcome(future))
            if not futures:
                continue
            # The local pool broke: keep what arrived, resubmit the rest to a new pool.
            for future, run in futures.items():
                if future.done() and not future.cancelled() and future.exception() is None:
                    on_result(run, future.result())
                    continue
                losses[run] += 1
                if on_lost is not None:
                    on_lost(run)
                if losses[run] < max_losses:
                    queue.append(run)
                else:
                    on_result(run, {"status": "failed", "error": f"its worker process died "
                                                                f"{losses[run]} times"})
            executor.shutdown(wait=False, cancel_futures=True)
            if queue:
                executor = make_executor()
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
