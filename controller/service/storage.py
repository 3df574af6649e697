"""What the service keeps across restarts, on :class:`controller.store.Store`.

Jobs (plans and their results), workloads, caps, signal ingests, topology snapshots and a few
named state documents (the lightpaths in force) live in the tables of migration step 2 of
:data:`controller.store.MIGRATIONS`, beside the transactions and the audit log. Each write
is one SQLite transaction committed before the API replies (WAL), so a ``kill -9`` loses
nothing that was acknowledged. :class:`ServiceStore` is the interface the service uses;
:class:`SqliteServiceStore` implements it (a PostgreSQL one can stand beside it).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     with SqliteServiceStore(pathlib.Path(tmp) / "s.sqlite") as st:
...         st.put_workloads([{"id": "w1", "origin": "roadm-fra"}], "ops")
...         st.set_state("applied", {"plan": "p1"})
...         out = (st.workloads()[0]["id"], st.state("applied"), st.schema_version >= 2)
>>> out
('w1', {'plan': 'p1'}, True)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from controller.store import Store, StoreError, TransactionStore, digest

__all__ = ["ServiceStore", "SqliteServiceStore", "StoreError", "digest", "now"]


def now() -> str:
    """ISO-8601 UTC with milliseconds."""
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ServiceStore(TransactionStore, Protocol):
    """What the service needs from its store: the controller's transactions and audit
    (:class:`controller.store.TransactionStore`), plus jobs, workloads, ingests, snapshots."""

    def save_job(self, doc: Mapping[str, Any]) -> None: ...
    def job(self, job_id: str) -> dict[str, Any] | None: ...
    def jobs(self, statuses: Sequence[str] = (), limit: int = 100) -> list[dict[str, Any]]: ...
    def max_job_seq(self) -> int: ...
    def put_workloads(self, items: Sequence[Mapping[str, Any]], who: str) -> None: ...
    def delete_workload(self, workload_id: str) -> bool: ...
    def workloads(self) -> list[dict[str, Any]]: ...
    def add_ingest(self, who: str, fmt: str, params: Mapping[str, Any], body: bytes) -> int: ...
    def last_ingest(self) -> tuple[str, dict[str, Any], bytes] | None: ...
    def add_snapshot(self, source: str, doc: Mapping[str, Any]) -> int | None: ...
    def last_snapshot(self) -> dict[str, Any] | None: ...
    def set_state(self, key: str, doc: Any) -> None: ...
    def state(self, key: str) -> Any: ...
    def transaction_docs(
        self, limit: int = 50, outcome: str | None = None
    ) -> list[dict[str, Any]]: ...
    def close(self) -> None: ...


class SqliteServiceStore(Store):
    """:class:`ServiceStore` on the controller's SQLite store (private file, WAL)."""

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
        """Jobs with one of ``statuses`` in submission order, else the newest first."""
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
        return int(self._select("SELECT COALESCE(MAX(seq), 0) AS m FROM jobs", ())[0]["m"])

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
        rows = self._select("SELECT body FROM workloads ORDER BY seq", ())
        return [json.loads(r["body"]) for r in rows]

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
            "SELECT format, params, body FROM signal_ingests ORDER BY id DESC LIMIT 1", ()
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
        rows = self._select("SELECT doc FROM topology_snapshots ORDER BY id DESC LIMIT 1", ())
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

    # -- transactions as documents ----------------------------------------------------
    def transaction_docs(self, limit: int = 50, outcome: str | None = None) -> list[dict[str, Any]]:
        """Transactions (newest first; only ``outcome`` ones if given) as JSON documents."""
        if outcome is None:
            return [t.to_json() for t in self.transactions(limit)]
        rows = self._select(
            "SELECT id FROM transactions WHERE outcome = ? ORDER BY id DESC LIMIT ?",
            (outcome, limit),
        )
        return [self.transaction(int(r["id"])).to_json() for r in rows]
