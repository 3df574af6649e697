"""What the service keeps across restarts: one small interface over the SQLite store.

Jobs (plans and their results), workloads, caps, signal ingests, topology snapshots and
a few named state documents (the applied lightpaths) live here, beside the transactions and
the audit log. Everything the API acknowledges is written before the reply (SQLite WAL,
``synchronous=FULL``), so a ``kill -9`` loses nothing that was acknowledged.
:class:`ServiceStore` is the interface the service uses; :class:`SqliteServiceStore`
implements it (a PostgreSQL one can stand beside it).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     st = SqliteServiceStore(pathlib.Path(tmp) / "s.sqlite")
...     st.put_workloads([{"id": "w1", "origin": "roadm-fra"}], "ops")
...     st.set_state("applied", {"plan": "p1"})
...     out = (st.workloads()[0]["id"], st.state("applied"), st.schema_version >= 2)
...     st.close()
>>> out
('w1', {'plan': 'p1'}, True)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from topology.errors import FsorError

__all__ = ["SERVICE_MIGRATIONS", "ServiceStore", "SqliteServiceStore", "StoreError", "digest"]

#: schema steps (append only); step i takes ``PRAGMA user_version`` from i to i + 1
SERVICE_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: transactions and audit (the shape of controller/store.py)
        """CREATE TABLE transactions (
            id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, finished TEXT,
            who TEXT NOT NULL, devices TEXT NOT NULL, outcome TEXT NOT NULL,
            device_outcomes TEXT NOT NULL, diff TEXT NOT NULL, previous TEXT NOT NULL,
            plan_digest TEXT, rollback_of INTEGER REFERENCES transactions(id))""",
        """CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
            who TEXT NOT NULL, action TEXT NOT NULL, body_digest TEXT)""",
        "CREATE INDEX audit_by_time ON audit(time)",
    ),
    (  # 2: the service's tables
        """CREATE TABLE jobs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, status TEXT NOT NULL,
            doc TEXT NOT NULL)""",
        "CREATE INDEX jobs_by_status ON jobs(status, seq)",
        """CREATE TABLE workloads (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, who TEXT NOT NULL,
            time TEXT NOT NULL, body TEXT NOT NULL)""",
        """CREATE TABLE signal_ingests (id INTEGER PRIMARY KEY AUTOINCREMENT,
            time TEXT NOT NULL, who TEXT NOT NULL, format TEXT NOT NULL, params TEXT NOT NULL,
            digest TEXT NOT NULL, body BLOB NOT NULL)""",
        """CREATE TABLE topology_snapshots (id INTEGER PRIMARY KEY AUTOINCREMENT,
            time TEXT NOT NULL, source TEXT NOT NULL, digest TEXT NOT NULL, doc TEXT NOT NULL)""",
        "CREATE TABLE state (key TEXT PRIMARY KEY, time TEXT NOT NULL, doc TEXT NOT NULL)",
    ),
)


class StoreError(FsorError):
    """The store cannot be opened, or is from a newer fsor."""


def digest(body: bytes | str | Mapping[str, Any] | Sequence[Any]) -> str:
    """sha256 hex of ``body`` (mappings/lists as canonical JSON).

    >>> digest({"b": 1, "a": 2}) == digest({"a": 2, "b": 1})
    True
    """
    if isinstance(body, str):
        data = body.encode()
    elif isinstance(body, bytes):
        data = body
    else:
        data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()


def now() -> str:
    """ISO-8601 UTC with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ServiceStore(Protocol):
    """What the service needs from its store."""

    # jobs
    def save_job(self, doc: Mapping[str, Any]) -> None: ...
    def job(self, job_id: str) -> dict[str, Any] | None: ...
    def jobs(self, statuses: Sequence[str] = (), limit: int = 100) -> list[dict[str, Any]]: ...
    # workloads, caps, signals, topology, named state
    def put_workloads(self, items: Sequence[Mapping[str, Any]], who: str) -> None: ...
    def delete_workload(self, workload_id: str) -> bool: ...
    def workloads(self) -> list[dict[str, Any]]: ...
    def add_ingest(self, who: str, fmt: str, params: Mapping[str, Any], body: bytes) -> int: ...
    def last_ingest(self) -> tuple[str, dict[str, Any], bytes] | None: ...
    def add_snapshot(self, source: str, doc: Mapping[str, Any]) -> int | None: ...
    def last_snapshot(self) -> dict[str, Any] | None: ...
    def set_state(self, key: str, doc: Any) -> None: ...
    def state(self, key: str) -> Any: ...
    # transactions and audit
    def begin(
        self,
        who: str,
        devices: Sequence[str],
        *,
        diff: Any,
        previous: Mapping[str, Any],
        plan_digest: str | None = None,
    ) -> int: ...
    def finish(self, tid: int, outcome: str, device_outcomes: Mapping[str, str]) -> None: ...
    def transactions(self, limit: int = 50, outcome: str | None = None) -> list[dict[str, Any]]: ...
    def audit(self, who: str, action: str, body: bytes | str | None = None) -> int: ...
    def audit_entries(self, limit: int = 100) -> list[dict[str, Any]]: ...
    def close(self) -> None: ...


def _private_file(path: Path) -> None:
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


class SqliteServiceStore:
    """:class:`ServiceStore` on one SQLite file (WAL; private file; thread-safe)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            _private_file(self.path)
            self._db = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._write() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > len(SERVICE_MIGRATIONS):
                raise StoreError(
                    f"{self.path}: schema version {version} is newer than this fsor knows "
                    f"({len(SERVICE_MIGRATIONS)}); upgrade fsor"
                )
            for step in range(version, len(SERVICE_MIGRATIONS)):
                for statement in SERVICE_MIGRATIONS[step]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {step + 1}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _select(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cur = self._db.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return list(cur.fetchall())

    # -- jobs -------------------------------------------------------------------------
    def save_job(self, doc: Mapping[str, Any]) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO jobs (id, seq, status, doc) VALUES (?, ?, ?, ?) ON CONFLICT(id) "
                "DO UPDATE SET status = excluded.status, doc = excluded.doc",
                (doc["id"], int(doc["seq"]), doc["status"], json.dumps(doc)),
            )

    def job(self, job_id: str) -> dict[str, Any] | None:
        rows = self._select("SELECT doc FROM jobs WHERE id = ?", (job_id,))
        return json.loads(rows[0]["doc"]) if rows else None

    def jobs(self, statuses: Sequence[str] = (), limit: int = 100) -> list[dict[str, Any]]:
        if statuses:
            marks = ",".join("?" * len(statuses))
            rows = self._select(
                f"SELECT doc FROM jobs WHERE status IN ({marks}) ORDER BY seq LIMIT ?",
                (*statuses, limit),
            )
        else:
            rows = self._select("SELECT doc FROM jobs ORDER BY seq DESC LIMIT ?", (limit,))
        return [json.loads(r["doc"]) for r in rows]

    def max_job_seq(self) -> int:
        rows = self._select("SELECT COALESCE(MAX(seq), 0) AS m FROM jobs")
        return int(rows[0]["m"])

    # -- workloads --------------------------------------------------------------------
    def put_workloads(self, items: Sequence[Mapping[str, Any]], who: str) -> None:
        with self._write() as db:
            seq = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM workloads").fetchone()[0])
            for i, body in enumerate(items, start=1):
                db.execute(
                    "INSERT OR REPLACE INTO workloads (id, seq, who, time, body) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (str(body["id"]), seq + i, who, now(), json.dumps(dict(body))),
                )

    def delete_workload(self, workload_id: str) -> bool:
        with self._write() as db:
            return db.execute("DELETE FROM workloads WHERE id = ?", (workload_id,)).rowcount == 1

    def workloads(self) -> list[dict[str, Any]]:
        return [
            json.loads(r["body"]) for r in self._select("SELECT body FROM workloads ORDER BY seq")
        ]

    # -- signals, topology, state -----------------------------------------------------
    def add_ingest(self, who: str, fmt: str, params: Mapping[str, Any], body: bytes) -> int:
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO signal_ingests (time, who, format, params, digest, body) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (now(), who, fmt, json.dumps(dict(params)), digest(body), body),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def last_ingest(self) -> tuple[str, dict[str, Any], bytes] | None:
        rows = self._select(
            "SELECT format, params, body FROM signal_ingests ORDER BY id DESC LIMIT 1"
        )
        if not rows:
            return None
        return str(rows[0]["format"]), json.loads(rows[0]["params"]), bytes(rows[0]["body"])

    def add_snapshot(self, source: str, doc: Mapping[str, Any]) -> int | None:
        """Store a topology snapshot unless it equals the last one; its id or ``None``."""
        d = digest(doc)
        with self._write() as db:
            last = db.execute(
                "SELECT digest FROM topology_snapshots ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if last is not None and last[0] == d:
                return None
            cur = db.execute(
                "INSERT INTO topology_snapshots (time, source, digest, doc) VALUES (?, ?, ?, ?)",
                (now(), source, d, json.dumps(doc)),
            )
            return cur.lastrowid

    def last_snapshot(self) -> dict[str, Any] | None:
        rows = self._select("SELECT doc FROM topology_snapshots ORDER BY id DESC LIMIT 1")
        return json.loads(rows[0]["doc"]) if rows else None

    def set_state(self, key: str, doc: Any) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO state (key, time, doc) VALUES (?, ?, ?)",
                (key, now(), json.dumps(doc)),
            )

    def state(self, key: str) -> Any:
        rows = self._select("SELECT doc FROM state WHERE key = ?", (key,))
        return json.loads(rows[0]["doc"]) if rows else None

    # -- transactions and audit -------------------------------------------------------
    def begin(
        self,
        who: str,
        devices: Sequence[str],
        *,
        diff: Any,
        previous: Mapping[str, Any],
        plan_digest: str | None = None,
    ) -> int:
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO transactions (started, who, devices, outcome, device_outcomes, "
                "diff, previous, plan_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now(),
                    who,
                    json.dumps(list(devices)),
                    "running",
                    json.dumps({d: "running" for d in devices}),
                    json.dumps(diff, sort_keys=True),
                    json.dumps(dict(previous), sort_keys=True),
                    plan_digest,
                ),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def finish(self, tid: int, outcome: str, device_outcomes: Mapping[str, str]) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE transactions SET finished = ?, outcome = ?, device_outcomes = ? "
                "WHERE id = ?",
                (now(), outcome, json.dumps(dict(device_outcomes), sort_keys=True), tid),
            )

    def transactions(self, limit: int = 50, outcome: str | None = None) -> list[dict[str, Any]]:
        if outcome is None:
            rows = self._select("SELECT * FROM transactions ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._select(
                "SELECT * FROM transactions WHERE outcome = ? ORDER BY id DESC LIMIT ?",
                (outcome, limit),
            )
        return [
            {
                "id": r["id"],
                "started": r["started"],
                "finished": r["finished"],
                "who": r["who"],
                "devices": json.loads(r["devices"]),
                "outcome": r["outcome"],
                "device_outcomes": json.loads(r["device_outcomes"]),
                "diff": json.loads(r["diff"]),
                "plan_digest": r["plan_digest"],
            }
            for r in rows
        ]

    def audit(self, who: str, action: str, body: bytes | str | None = None) -> int:
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO audit (time, who, action, body_digest) VALUES (?, ?, ?, ?)",
                (now(), who, action, None if body is None else digest(body)),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def audit_entries(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._select("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
