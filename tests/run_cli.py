"""Run zramsim as a user does: a separate process, real argv, real exit code.

CliRunner tests call the click group in-process; signals (Ctrl-C), pipes,
resource limits and helper processes need the real thing. ``run_zramsim``
starts ``python -m zramsim`` with this checkout first on the import path, so it
tests the code under test whether or not the package is installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def zramsim_argv(*args: str) -> list[str]:
    """The argv that starts the command line of this checkout."""
    return [sys.executable, "-m", "zramsim", *map(str, args)]


def zramsim_env(**extra: str) -> dict[str, str]:
    """The environment for it: this checkout first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_zramsim(*args: str, input: bytes | None = None, cwd: str | os.PathLike | None = None,
                timeout: float = 120, **popen) -> subprocess.CompletedProcess:
    """Run one command to the end and return its exit code, stdout and stderr (bytes)."""
    return subprocess.run(zramsim_argv(*args), input=input, cwd=cwd, env=zramsim_env(),
                          capture_output=True, timeout=timeout, **popen)
