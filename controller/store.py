"""The controller's store: applied transactions (with what they replaced) and an audit log.

Length: over 400 lines on purpose: the schema's migrations are SQL text kept in order in one
list; the Store class itself is ~200 lines.

One SQLite file by default (WAL journal, so readers never block the one writer). The
schema is versioned by ``PRAGMA user_version`` and grown by :data:`MIGRATIONS`, an ordered
list of SQL steps: step ``i`` brings the file from version ``i`` to ``i + 1``. To add
tables, append a step; never edit a step that has shipped. Callers use the small
:class:`TransactionStore` interface, so another backend (PostgreSQL) can stand behind it.

The file holds device configuration, so it is private: its directory is created 0700 and
the file 0600 (SQLite gives its ``-wal``/``-shm`` files the same mode).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp, Store(pathlib.Path(tmp) / "s.sqlite") as st:
...     tid = st.begin("ops", ["roadm-a"], diff={"roadm-a": ["+ lp1"]},
...                    previous={"roadm-a": {"channels": []}}, plan_digest=digest({"p": 1}))
...     st.finish(tid, "committed", {"roadm-a": "committed"})
...     t = st.transaction(tid)
...     (t.outcome, t.devices, t.previous["roadm-a"], st.schema_version == len(MIGRATIONS))
('committed', ('roadm-a',), {'channels': []}, True)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from topology.errors import FsorError

__all__ = [
    "MIGRATIONS",
    "OUTCOMES",
    "AuditEntry",
    "Store",
    "StoreError",
    "Transaction",
    "TransactionStore",
    "default_store_path",
    "digest",
]

#: outcomes of a transaction, overall and per device
OUTCOMES = ("running", "committed", "failed", "rolled-back", "aborted")

#: schema steps, in order, each a list of SQL statements run in one transaction; step i takes
#: ``user_version`` from i to i + 1. Append only.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: transactions and audit
        """CREATE TABLE transactions (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            started         TEXT NOT NULL,          -- ISO-8601 UTC
            finished        TEXT,                   -- NULL while running
            who             TEXT NOT NULL,
            devices         TEXT NOT NULL,          -- JSON array of device ids
            outcome         TEXT NOT NULL,          -- one of OUTCOMES
            device_outcomes TEXT NOT NULL,          -- JSON object device -> outcome
            diff            TEXT NOT NULL,          -- JSON: what the transaction changes
            previous        TEXT NOT NULL,          -- JSON object device -> state before
            plan_digest     TEXT,                   -- sha256 of the plan applied
            rollback_of     INTEGER REFERENCES transactions(id)
        )""",
        """CREATE TABLE audit (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            time        TEXT NOT NULL,
            who         TEXT NOT NULL,
            action      TEXT NOT NULL,
            body_digest TEXT                        -- sha256 of the request body, if any
        )""",
        "CREATE INDEX audit_by_time ON audit(time)",
    ),
    (  # 2: what `fsor serve` keeps (controller/service/storage.py)
        """CREATE TABLE jobs (
            id      TEXT PRIMARY KEY,
            seq     INTEGER NOT NULL,               -- submission order
            status  TEXT NOT NULL,                  -- queued/running/succeeded/...
            doc     TEXT NOT NULL                   -- JSON: the whole job (request, result)
        )""",
        "CREATE INDEX jobs_by_status ON jobs(status, seq)",
        """CREATE TABLE workloads (
            id      TEXT PRIMARY KEY,
            seq     INTEGER NOT NULL,
            who     TEXT NOT NULL,
            time    TEXT NOT NULL,
            body    TEXT NOT NULL                   -- JSON: the workload as posted
        )""",
        """CREATE TABLE signal_ingests (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,
            time    TEXT NOT NULL,
            who     TEXT NOT NULL,
            format  TEXT NOT NULL,                  -- content type
            params  TEXT NOT NULL,                  -- JSON: date, policy
            digest  TEXT NOT NULL,
            body    BLOB NOT NULL                   -- the bytes as ingested
        )""",
        """CREATE TABLE topology_snapshots (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,
            time    TEXT NOT NULL,
            source  TEXT NOT NULL,
            digest  TEXT NOT NULL,
            doc     TEXT NOT NULL                   -- JSON: RFC 8345
        )""",
        """CREATE TABLE state (
            key     TEXT PRIMARY KEY,               -- caps, applied, workloads_seeded
            time    TEXT NOT NULL,
            doc     TEXT NOT NULL
        )""",
    ),
)


class StoreError(FsorError):
    """The store file cannot be opened, is from a newer fsor, or a record is missing."""


def digest(body: bytes | str | Mapping[str, Any] | Sequence[Any]) -> str:
    """sha256 hex of ``body``; mappings and lists as canonical JSON (sorted keys).

    >>> digest({"b": 1, "a": 2}) == digest({"a": 2, "b": 1})
    True
    >>> len(digest(b"x"))
    64
    """
    if isinstance(body, str):
        data = body.encode()
    elif isinstance(body, bytes):
        data = body
    else:
        data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()


def default_store_path(
    arg: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """The store file: ``--store`` argument → ``FSOR_STORE`` → ``$XDG_STATE_HOME/fsor/``.

    >>> default_store_path(None, {"XDG_STATE_HOME": "/s"}).as_posix()
    '/s/fsor/fsor.sqlite'
    >>> default_store_path(None, {"FSOR_STORE": "/x.db", "XDG_STATE_HOME": "/s"}).as_posix()
    '/x.db'
    """
    env = os.environ if env is None else env
    if arg:
        return Path(arg)
    if env.get("FSOR_STORE"):
        return Path(env["FSOR_STORE"])
    state = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME", "~")) / ".local" / "state")
    return Path(state).expanduser() / "fsor" / "fsor.sqlite"


@dataclass(frozen=True)
class Transaction:
    """One network-wide transaction as recorded."""

    id: int
    started: str
    finished: str | None
    who: str
    devices: tuple[str, ...]
    outcome: str
    device_outcomes: Mapping[str, str]
    diff: Any
    previous: Mapping[str, Any]
    plan_digest: str | None
    rollback_of: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started": self.started,
            "finished": self.finished,
            "who": self.who,
            "devices": list(self.devices),
            "outcome": self.outcome,
            "device_outcomes": dict(self.device_outcomes),
            "diff": self.diff,
            "plan_digest": self.plan_digest,
            "rollback_of": self.rollback_of,
        }


@dataclass(frozen=True)
class AuditEntry:
    """One audited action (who did what, and a digest of what they sent)."""

    id: int
    time: str
    who: str
    action: str
    body_digest: str | None


class TransactionStore(Protocol):
    """What the controller needs from a store (SQLite today, PostgreSQL possible)."""

    def begin(
        self,
        who: str,
        devices: Sequence[str],
        *,
        diff: Any,
        previous: Mapping[str, Any],
        plan_digest: str | None = None,
        rollback_of: int | None = None,
    ) -> int: ...

    def finish(self, tid: int, outcome: str, device_outcomes: Mapping[str, str]) -> None: ...

    def transaction(self, tid: int) -> Transaction: ...

    def transactions(self, limit: int = 50) -> list[Transaction]: ...

    def audit(self, who: str, action: str, body: bytes | str | None = None) -> int: ...

    def audit_entries(self, limit: int = 100) -> list[AuditEntry]: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _check_outcome(outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome: expected one of {OUTCOMES}, got {outcome!r}")


def _private_file(path: Path) -> None:
    """Create ``path`` (and a missing parent, 0700) as a 0600 file if absent."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


class Store:
    """The SQLite store. Thread-safe (one connection behind a lock); use as a context manager."""

    def __init__(self, path: str | os.PathLike[str], clock: Callable[[], str] = _now) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        try:
            _private_file(self.path)
            self._db = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc

    # -- schema ---------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._write() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path}: schema version {version} is newer than this fsor "
                    f"knows ({len(MIGRATIONS)}); upgrade fsor"
                )
            for step in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[step]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {step + 1}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: writers queue, readers go on)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- transactions ---------------------------------------------------------------------
    def begin(
        self,
        who: str,
        devices: Sequence[str],
        *,
        diff: Any,
        previous: Mapping[str, Any],
        plan_digest: str | None = None,
        rollback_of: int | None = None,
    ) -> int:
        """Record a transaction about to touch ``devices``; returns its id."""
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO transactions (started, who, devices, outcome, device_outcomes,"
                " diff, previous, plan_digest, rollback_of) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    self._clock(),
                    who,
                    json.dumps(list(devices)),
                    "running",
                    json.dumps({d: "running" for d in devices}),
                    json.dumps(diff, sort_keys=True),
                    json.dumps(dict(previous), sort_keys=True),
                    plan_digest,
                    rollback_of,
                ),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def finish(self, tid: int, outcome: str, device_outcomes: Mapping[str, str]) -> None:
        """Record how transaction ``tid`` ended, overall and per device."""
        _check_outcome(outcome)
        for value in device_outcomes.values():
            _check_outcome(value)
        with self._write() as db:
            cur = db.execute(
                "UPDATE transactions SET finished = ?, outcome = ?, device_outcomes = ?"
                " WHERE id = ?",
                (self._clock(), outcome, json.dumps(dict(device_outcomes), sort_keys=True), tid),
            )
            if cur.rowcount != 1:
                raise StoreError(f"{self.path}: no transaction {tid}")

    def transaction(self, tid: int) -> Transaction:
        """Transaction ``tid``; :class:`StoreError` if there is none."""
        rows = self._select("SELECT * FROM transactions WHERE id = ?", (tid,))
        if not rows:
            raise StoreError(f"{self.path}: no transaction {tid}")
        return _transaction(rows[0])

    def transactions(self, limit: int = 50) -> list[Transaction]:
        """The ``limit`` most recent transactions, newest first."""
        rows = self._select("SELECT * FROM transactions ORDER BY id DESC LIMIT ?", (limit,))
        return [_transaction(r) for r in rows]

    # -- audit ----------------------------------------------------------------------------
    def audit(self, who: str, action: str, body: bytes | str | None = None) -> int:
        """Record that ``who`` did ``action`` (with a digest of ``body``, never the body)."""
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO audit (time, who, action, body_digest) VALUES (?,?,?,?)",
                (self._clock(), who, action, None if body is None else digest(body)),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def audit_entries(self, limit: int = 100) -> list[AuditEntry]:
        """The ``limit`` most recent audit entries, newest first."""
        rows = self._select(
            "SELECT id, time, who, action, body_digest FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [AuditEntry(*r) for r in rows]

    # -- plumbing -------------------------------------------------------------------------
    def _select(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        with self._lock:
            cur = self._db.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return list(cur.fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _transaction(row: sqlite3.Row) -> Transaction:
    return Transaction(
        id=row["id"],
        started=row["started"],
        finished=row["finished"],
        who=row["who"],
        devices=tuple(json.loads(row["devices"])),
        outcome=row["outcome"],
        device_outcomes=json.loads(row["device_outcomes"]),
        diff=json.loads(row["diff"]),
        previous=json.loads(row["previous"]),
        plan_digest=row["plan_digest"],
        rollback_of=row["rollback_of"],
    )
