"""The store on a real SQLite file: migrations, permissions, transactions, audit."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from controller import store as store_mod
from controller.store import (
    MIGRATIONS,
    Store,
    StoreError,
    TransactionStore,
    default_store_path,
    digest,
)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_new_store_is_private_wal_and_at_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "state" / "fsor" / "fsor.sqlite"
    with Store(path) as st:
        assert st.schema_version == len(MIGRATIONS)
        st.audit("ops", "plan")
    assert _mode(path.parent) == 0o700
    assert _mode(path) == 0o600
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"transactions", "audit"} <= tables
    db.close()


def test_existing_world_readable_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.touch(mode=0o644)
    path.chmod(0o644)
    Store(path).close()
    assert _mode(path) == 0o600


def test_reopen_does_not_rerun_migrations(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as st:
        tid = st.begin("a", ["d1"], diff=[], previous={"d1": {}})
    with Store(path) as st:
        assert st.transaction(tid).who == "a"
        assert st.schema_version == len(MIGRATIONS)


def test_a_file_from_a_newer_fsor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this fsor"):
        Store(path)


def test_a_store_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_text("this is not a database, " * 100)
    with pytest.raises(StoreError, match=r"s\.sqlite: cannot open the store"):
        Store(path)


def test_transaction_round_trip_keeps_previous_state(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite", clock=lambda: "2026-01-01T00:00:00Z") as st:
        previous = {"roadm-a": {"channels": [{"index": 7, "lower": 193100000}]}}
        tid = st.begin(
            "ops",
            ["roadm-a", "tp-b"],
            diff={"roadm-a": ["+ media-channel 7"]},
            previous=previous,
            plan_digest=digest({"plan": 1}),
        )
        running = st.transaction(tid)
        assert running.outcome == "running" and running.finished is None
        assert running.device_outcomes == {"roadm-a": "running", "tp-b": "running"}
        st.finish(tid, "failed", {"roadm-a": "rolled-back", "tp-b": "failed"})
        done = st.transaction(tid)
    assert done.outcome == "failed"
    assert done.finished == "2026-01-01T00:00:00Z"
    assert done.previous == previous
    assert done.devices == ("roadm-a", "tp-b")
    assert done.plan_digest == digest({"plan": 1})
    assert done.to_json()["device_outcomes"]["tp-b"] == "failed"


def test_rollback_links_to_the_transaction_it_undoes(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as st:
        first = st.begin("a", ["d"], diff=[], previous={})
        st.finish(first, "committed", {"d": "committed"})
        undo = st.begin("b", ["d"], diff=[], previous={}, rollback_of=first)
        assert st.transaction(undo).rollback_of == first
        assert [t.id for t in st.transactions()] == [undo, first]
        with pytest.raises(sqlite3.IntegrityError):
            st.begin("c", ["d"], diff=[], previous={}, rollback_of=999)


def test_unknown_outcome_and_missing_transaction(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as st:
        tid = st.begin("a", ["d"], diff=[], previous={})
        with pytest.raises(ValueError, match="outcome"):
            st.finish(tid, "maybe", {})
        with pytest.raises(StoreError, match="no transaction 42"):
            st.finish(42, "committed", {})
        with pytest.raises(StoreError, match="no transaction 42"):
            st.transaction(42)


def test_audit_keeps_a_digest_never_the_body(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as st:
        st.audit("ops", "apply", b'{"password": "hunter2"}')
        st.audit("ops", "history")
        entries = st.audit_entries()
    assert [e.action for e in entries] == ["history", "apply"]
    assert entries[1].body_digest == digest(b'{"password": "hunter2"}')
    assert entries[0].body_digest is None
    assert b"hunter2" not in path.read_bytes()


def test_concurrent_writers_from_two_connections_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()

    def work(who: str) -> None:
        with Store(path) as st:
            for _ in range(20):
                st.audit(who, "x")

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Store(path) as st:
        assert len(st.audit_entries(limit=1000)) == 60


def test_store_satisfies_the_interface(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as st:
        iface: TransactionStore = st
        assert iface.transactions() == []


def test_default_path_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_store_path("/a.db", {"FSOR_STORE": "/b.db"}) == Path("/a.db")
    assert default_store_path(None, {"HOME": "/h"}) == Path("/h/.local/state/fsor/fsor.sqlite")
    monkeypatch.setenv("FSOR_STORE", "/env.db")
    assert default_store_path() == Path("/env.db")


def test_migrations_are_append_only_steps() -> None:
    # every step is a non-empty sequence of single statements
    for step in store_mod.MIGRATIONS:
        assert step and all(sqlite3.complete_statement(s + ";") for s in step)
