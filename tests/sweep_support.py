"""Shared by the sweep tests: small traces, a database reader, a poll with a deadline."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from workloads.mixes import generate_trace
from workloads.open_trace import writer_for


def write_trace(path: Path, kind, pages: int, seed: int, page_size: int = 4096,
                **rates) -> str:
    """A generated trace at ``path`` (text or binary by suffix); returns the path."""
    with writer_for(path, page_size) as writer:
        for event in generate_trace(kind, pages, seed, page_size, **rates):
            writer.write(event)
    return str(path)


def db_rows(path, where: str = "1") -> list[dict]:
    """The runs table, read by a separate connection (as another process would)."""
    with sqlite3.connect(path, timeout=30) as db:
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute(f"SELECT * FROM runs WHERE {where} ORDER BY id")]
        except sqlite3.OperationalError:      # not created yet
            return []


def wait_for(condition, timeout: float = 60, step: float = 0.05, what: str = "condition"):
    """Poll ``condition()`` until it is truthy and return its value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def comparable(row: dict) -> dict:
    """A row without what differs between two computations of one run: time and id."""
    return {k: v for k, v in row.items() if k not in ("id", "seconds", "finished_at")}
