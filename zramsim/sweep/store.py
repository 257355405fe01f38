"""The results database: one SQLite file, one row per run, written by one process.

SQLite because it is in the standard library, survives a killed process
(every row is committed on its own, in WAL mode, before the next result is
taken) and answers ad-hoc questions with plain SQL:

    sqlite3 study.db "SELECT algorithm, avg(effective_ratio) FROM runs
                      WHERE status = 'ok' GROUP BY algorithm"

Exactly once: a UNIQUE constraint on the run's key (trace content hash and the
five configuration values, see ``grid``) and an upsert that replaces a
``failed`` row but never an ``ok`` one. A rerun asks ``finished()`` for the
keys already ``ok`` and computes only the rest, failed runs included: a failure
is often the environment's (a trace missing on one worker), so it is retried.

Only the process that runs the sweep writes; workers compute and return a
dict. The schema is ``COLUMNS`` below, documented in docs/sweep.md;
``PRAGMA user_version`` holds ``SCHEMA_VERSION``.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import fields

from zramsim.stats import IoStat, MmStat
from zramsim.sweep.errors import StoreError

SCHEMA_VERSION = 1
MM_STAT = tuple(f.name for f in fields(MmStat))
IO_STAT = tuple(f.name for f in fields(IoStat))
RATIOS = ("compression_ratio", "effective_ratio", "allocator_efficiency")
KEY = ("trace_sha256", "algorithm", "level", "chain_size", "page_size", "mem_limit")

# (name, SQL type): the whole row after the id, in order.
COLUMNS = (
    ("trace", "TEXT NOT NULL"), ("trace_sha256", "TEXT NOT NULL"),
    ("algorithm", "TEXT NOT NULL"), ("level", "INTEGER NOT NULL"),
    ("chain_size", "INTEGER NOT NULL"), ("page_size", "INTEGER NOT NULL"),
    ("mem_limit", "INTEGER NOT NULL"),
    ("status", "TEXT NOT NULL CHECK (status IN ('ok', 'failed'))"), ("error", "TEXT"),
    ("events", "INTEGER"), ("disksize", "INTEGER"),
    # mm_stat's mem_limit is the configured mem_limit above (whole pages, see grid)
    *((name, "INTEGER") for name in MM_STAT if name != "mem_limit"),
    *((name, "INTEGER") for name in IO_STAT),
    *((name, "REAL") for name in RATIOS),
    ("seconds", "REAL"), ("zramsim_version", "TEXT"), ("finished_at", "TEXT"),
)
NAMES = tuple(name for name, _ in COLUMNS)


def _create_sql(table: str, columns, key) -> str:
    body = ",\n    ".join(f"{name} {kind}" for name, kind in columns)
    return (f"CREATE TABLE IF NOT EXISTS {table} (\n    id INTEGER PRIMARY KEY,\n    {body},\n"
            f"    UNIQUE ({', '.join(key)})\n)")


def _upsert_sql(table: str, names, key) -> str:
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in key)
    return (f"INSERT INTO {table} ({', '.join(names)}) VALUES "
            f"({', '.join('?' * len(names))}) ON CONFLICT ({', '.join(key)}) "
            f"DO UPDATE SET {updates} WHERE {table}.status <> 'ok'")


class Store:
    """The database at ``path`` (created if absent); ``table`` rows keyed by ``key``."""

    def __init__(self, path: str, table: str = "runs", columns=COLUMNS, key=KEY) -> None:
        self.path, self.table, self.key = path, table, tuple(key)
        self.names = tuple(name for name, _ in columns)
        try:
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise StoreError(f"{path}: results schema version {version}, this zramsim "
                                 f"writes version {SCHEMA_VERSION}")
            self.db.execute(_create_sql(table, columns, key))
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            have = [r[1] for r in self.db.execute(f"PRAGMA table_info({table})")][1:]
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: {exc}") from None
        if tuple(have) != self.names:
            raise StoreError(f"{path}: table {table!r} has other columns than this zramsim's")
        self._upsert = _upsert_sql(table, self.names, self.key)

    def finished(self) -> set[tuple]:
        """Keys of the runs recorded ``ok``."""
        sql = f"SELECT {', '.join(self.key)} FROM {self.table} WHERE status = 'ok'"
        return {tuple(row) for row in self.db.execute(sql)}

    def record(self, row: dict) -> bool:
        """Write one run, committed at once; False if its key is already ``ok`` (kept)."""
        try:
            cursor = self.db.execute(self._upsert, [row.get(name) for name in self.names])
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        return cursor.rowcount == 1

    def rows(self, keys=None) -> list[dict]:
        """Every row as a dict (without the id), in insertion order; or the rows of
        ``keys``, in that order (keys with no row are left out)."""
        cursor = self.db.execute(f"SELECT {', '.join(self.names)} FROM {self.table} ORDER BY id")
        rows = [dict(row) for row in cursor]
        if keys is None:
            return rows
        by_key = {tuple(row[k] for k in self.key): row for row in rows}
        return [by_key[key] for key in keys if key in by_key]

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_rows(path: str, table: str = "runs", columns=COLUMNS, key=KEY) -> list[dict]:
    """Every row of ``table`` in the existing database at ``path``, as dicts (reports)."""
    if not os.path.exists(path):
        raise StoreError(f"{path}: no such database")
    with Store(path, table, columns, key) as store:
        return store.rows()
