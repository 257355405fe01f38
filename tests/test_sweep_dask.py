"""zramsim sweep on a real Dask cluster: a scheduler and two workers on 127.0.0.1.

The cluster is started by this module (``python -m dask scheduler`` / ``worker``,
each in its own session, the workers without a nanny so that killing one loses
it for good) and always stopped afterwards. Skipped only if Dask's distributed
scheduler is not importable; CI installs it (the README's test command installs
the ``dask`` extra).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cli import main
from run_cli import zramsim_argv, zramsim_env
from sweep_support import comparable, db_rows, wait_for, write_trace

distributed = pytest.importorskip("distributed")


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(scheduler address, [worker processes]); everything is killed at the end."""
    here = tmp_path_factory.mktemp("dask")
    info, log = here / "scheduler.json", open(here / "cluster.log", "wb")
    procs: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        procs.append(subprocess.Popen([sys.executable, "-m", "dask", *args], env=zramsim_env(),
                                      stdout=log, stderr=log, start_new_session=True,
                                      cwd=here))
        return procs[-1]

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(info))
        wait_for(lambda: info.exists() and info.stat().st_size, timeout=60,
                 what="the scheduler")
        address = json.loads(info.read_text())["address"]
        workers = [start("worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                         "--no-nanny", "--no-dashboard", "--local-directory", str(here))
                   for _ in range(2)]
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def traces(tmp_path_factory) -> list[str]:
    here = tmp_path_factory.mktemp("traces")
    return [write_trace(here / "heap.ztrace", "heap", 160, 1, overwrite_rate=0.3,
                        discard_rate=0.05, compact_rate=0.02),
            write_trace(here / "mix.trace", {"text": 0.5, "zero": 0.3, "random": 0.2}, 120, 2)]


def test_a_dask_cluster_gives_the_rows_of_the_local_pool(cluster, traces, tmp_path):
    address, _ = cluster
    grid = ("--algo", "lz4,zstd", "--chain-size", "4,8", "--mem-limit", "0,200K")
    local = cli("sweep", *traces, *grid, "--db", str(tmp_path / "local.db"), "--format", "json")
    remote = cli("sweep", *traces, *grid, "--db", str(tmp_path / "dask.db"), "--format", "json",
                 "--scheduler", address)
    assert local.exit_code == remote.exit_code == 0, remote.output
    local, remote = json.loads(local.stdout), json.loads(remote.stdout)
    assert remote["computed"] == remote["total"] == 16 and remote["failed"] == 0
    assert [comparable(r) for r in remote["rows"]] == [comparable(r) for r in local["rows"]]
    assert len(db_rows(tmp_path / "dask.db")) == 16


def test_a_worker_killed_mid_sweep_loses_no_run(cluster, traces, tmp_path):
    address, workers = cluster
    trace = write_trace(tmp_path / "slow.ztrace", "heap", 300, 5)
    db = str(tmp_path / "s.db")
    grid = ("--algo", "lz4-kernel", "--level", "1,2,3,4", "--chain-size", "4,8")
    proc = subprocess.Popen(zramsim_argv("sweep", trace, *grid, "--db", db, "--scheduler",
                                         address, "--format", "json"),
                            env=zramsim_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            [victim] = [addr for addr, pid in client.run(os.getpid).items()
                        if pid == workers[0].pid]
            # kill it while it holds a run of this sweep
            wait_for(lambda: client.processing(victim)[victim], what="a run on the victim")
            workers[0].send_signal(signal.SIGKILL)
        at_kill = len(db_rows(db))
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert at_kill < 8, "the worker must die mid-sweep"
    assert proc.returncode == 0, err
    doc = json.loads(out)
    assert (doc["computed"], doc["failed"]) == (8, 0)
    rows = db_rows(db)
    assert len(rows) == 8 and all(r["status"] == "ok" for r in rows)
    local = json.loads(cli("sweep", trace, *grid, "--db", str(tmp_path / "local.db"),
                           "--format", "json").stdout)
    assert [comparable(r) for r in doc["rows"]] == [comparable(r) for r in local["rows"]]


def test_a_bad_scheduler_address_is_one_clear_error_before_anything_runs(traces, tmp_path):
    result = CliRunner().invoke(main, ["sweep", traces[0], "--db", str(tmp_path / "s.db"),
                                       "--scheduler", "nonsense"])
    assert result.exit_code == 1
    assert result.stderr.strip() == ("Error: 'nonsense' is not a scheduler address such as "
                                     "tcp://HOST:PORT (missing port number in address "
                                     "'nonsense')")
    assert not (tmp_path / "s.db").exists()
