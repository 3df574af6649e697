"""The device's datastores and their rules, independent of the NETCONF transport.

Length: over 400 lines on purpose: the datastores, locks and confirmed commit are one state
machine guarded by one lock; splitting it would spread the lock.

:class:`DeviceEngine` holds ``running`` and ``candidate``, the per-datastore locks and the
pending confirmed commit; every method is thread-safe (sessions run in their own threads) and
raises :class:`RpcFault` (error-tag, message, path, info) for the server to turn into an
``<rpc-error>``.

Rules (RFC 6241 + :confirmed-commit:1.1):

* edits go to ``candidate`` only; an edit is applied to a copy, schema-validated (libyang),
  device-checked, and only then becomes the candidate — a rejected edit changes nothing;
* ``commit`` validates the candidate and copies it to running; with ``confirmed`` it keeps the
  previous running config and rolls back to it after ``confirm-timeout`` seconds (default 600)
  unless a confirming commit arrives, or at once when the issuing session ends (unless
  ``persist`` was given: then any session may confirm/cancel with the matching ``persist-id``);
  after a rollback the candidate is reset to the restored running config;
* a lock is denied when another session holds it, on ``candidate`` when it has uncommitted
  changes, on ``running`` while another session's confirmed commit is pending; releasing the
  candidate lock (unlock or session end) discards uncommitted candidate changes.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from containerlab.device.checks import check_config
from containerlab.device.config import initial_config, new_data
from containerlab.device.datastore import EditError, apply_edit
from containerlab.device.events import DeviceEvent, config_changed
from containerlab.device.profile import DeviceProfile
from containerlab.device.schema import Schema
from containerlab.device.state import operational

__all__ = ["DeviceEngine", "RpcFault"]

log = logging.getLogger("fsor.device")
DATASTORES = ("running", "candidate")


@dataclass
class RpcFault(Exception):
    """An RPC that fails: NETCONF error-tag, message, optional error-path and error-info."""

    tag: str
    message: str
    path: str | None = None
    info: dict[str, str] = field(default_factory=dict)
    etype: str = "application"

    def __str__(self) -> str:
        return f"{self.tag}: {self.path + ': ' if self.path else ''}{self.message}"


@dataclass
class _Pending:
    session: int
    persist: str | None
    rollback: etree._Element
    timer: threading.Timer
    generation: int


def _same(a: etree._Element, b: etree._Element) -> bool:
    return etree.tostring(a, method="c14n") == etree.tostring(b, method="c14n")


class DeviceEngine:
    """Datastores, locks and confirmed commits of one emulated device."""

    def __init__(
        self, profile: DeviceProfile, state_dir: Path | None = None, schema: Schema | None = None
    ) -> None:
        self.profile = profile
        self.schema = schema or Schema(profile.kind)
        self.state_dir = state_dir
        self._lock = threading.RLock()
        self._locks: dict[str, int] = {}
        self._pending: _Pending | None = None
        self._generation = 0
        #: the candidate tree last validated by an edit (object identity): a commit of an
        #: unchanged candidate need not validate it again (every change replaces the tree)
        self._validated: etree._Element | None = None
        self.on_change: Callable[[], None] | None = None
        #: called with every event (config change, injected fault), under the engine lock
        self.listeners: list[Callable[[DeviceEvent], None]] = []
        #: ports whose light is gone (injected port/fibre down): no LLDP peer, oper down
        self.down_ports: set[str] = set()
        #: active injected alarms: amplifiers with an alarm, optical channels without signal
        self.alarms: set[tuple[str, str]] = set()
        running = initial_config(profile)
        if profile.config_xml.strip():
            edit = etree.fromstring(f"<config>{profile.config_xml}</config>")
            running = self._checked(apply_edit(running, edit, "merge"))
        self.running = self._restore(running)
        self.candidate = copy.deepcopy(self.running)

    # --- persistence --------------------------------------------------------------------
    def _restore(self, running: etree._Element) -> etree._Element:
        if self.state_dir is None:
            return running
        rollback, saved = self.state_dir / "rollback.xml", self.state_dir / "running.xml"
        source = rollback if rollback.is_file() else saved if saved.is_file() else None
        if source is None:
            return running
        if source is rollback:
            log.warning(
                "%s: a confirmed commit was pending at shutdown: rolling back", self.profile.name
            )
        restored = etree.fromstring(source.read_bytes(), etree.XMLParser(remove_blank_text=True))
        rollback.unlink(missing_ok=True)
        self._save(restored, "running.xml")
        return restored

    def _save(self, tree: etree._Element | None, name: str) -> None:
        if self.state_dir is None:
            return
        path = self.state_dir / name
        if tree is None:
            path.unlink(missing_ok=True)
            return
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(etree.tostring(tree, pretty_print=True))
        tmp.replace(path)

    def _set_running(self, tree: etree._Element, by: int = 0) -> None:
        self.running = tree
        self._save(tree, "running.xml")
        if self.on_change is not None:
            self.on_change()
        self._emit(config_changed(by))

    def _emit(self, event: DeviceEvent) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken subscriber must not break the device
                log.exception("%s: event listener failed", self.profile.name)

    # --- injected operational events (the lab's fault injection) -------------------------
    def inject(self, event: DeviceEvent) -> None:
        """Apply an injected fault or its repair and notify; RpcFault for an unknown target."""
        p = self.profile
        targets = {
            "port": set(p.port_names()),
            "fibre": set(p.port_names()),
            "amplifier": {a.name for a in p.amplifiers},
            "los": {c.name for c in p.optical_channels},
        }[event.kind]
        if event.target not in targets:
            raise RpcFault(
                "invalid-value",
                f"{event.kind} {event.target!r}: expected one of {', '.join(sorted(targets))}",
                path="/target",
            )
        with self._lock:
            if event.kind in ("port", "fibre"):
                (self.down_ports.add if event.active else self.down_ports.discard)(event.target)
            else:
                key = (event.kind, event.target)
                (self.alarms.add if event.active else self.alarms.discard)(key)
            self._emit(event)

    # --- validation ---------------------------------------------------------------------
    def _checked(self, config: etree._Element) -> etree._Element:
        """``config`` if it passes schema and device checks, else RpcFault naming the path."""
        for issue in self.schema.validate(config, state=False):
            raise RpcFault(issue.tag, issue.message, issue.path)
        for check in check_config(config, self.profile):
            raise RpcFault(check.tag, check.message, check.path)
        for issue in self.schema.validate(operational(config, self.profile), state=True):
            raise RpcFault(issue.tag, issue.message, issue.path)
        return config

    def _datastore(self, name: str) -> etree._Element:
        if name == "running":
            return self.running
        if name == "candidate":
            return self.candidate
        raise RpcFault("invalid-value", f"unknown datastore {name!r}", etype="protocol")

    def _not_locked_by_other(self, session: int, target: str) -> None:
        holder = self._locks.get(target)
        if holder is not None and holder != session:
            raise RpcFault(
                "in-use",
                f"{target} datastore is locked by session {holder}",
                info={"session-id": str(holder)},
            )

    # --- reads ----------------------------------------------------------------------------
    def config(self, source: str) -> etree._Element:
        """A copy of datastore ``source``."""
        with self._lock:
            return copy.deepcopy(self._datastore(source))

    def operational(self) -> etree._Element:
        """Running configuration plus operational state."""
        with self._lock:
            return operational(self.running, self.profile, frozenset(self.down_ports))

    # --- edits ----------------------------------------------------------------------------
    def edit_config(
        self, session: int, target: str, edit: etree._Element, default_operation: str = "merge"
    ) -> None:
        """Apply ``edit`` (a ``<config>`` element) to the candidate, or fail changing nothing."""
        if target != "candidate":
            raise RpcFault(
                "operation-not-supported",
                f"edit-config target {target!r}: this device edits the candidate only",
            )
        with self._lock:
            self._not_locked_by_other(session, "candidate")
            try:
                new = apply_edit(self.candidate, edit, default_operation)
            except EditError as exc:
                raise RpcFault(exc.tag, exc.message, exc.path) from exc
            self.candidate = self._validated = self._checked(new)

    def validate(self, source: str | etree._Element) -> None:
        """Validate a datastore or a ``<config>`` element."""
        with self._lock:
            if isinstance(source, str):
                tree = self._datastore(source)
            else:
                tree = apply_edit(new_data(), source, "replace")
            self._checked(copy.deepcopy(tree))

    def discard_changes(self, session: int) -> None:
        """Reset the candidate to running."""
        with self._lock:
            self._not_locked_by_other(session, "candidate")
            self.candidate = copy.deepcopy(self.running)

    # --- commits ----------------------------------------------------------------------------
    def commit(
        self,
        session: int,
        *,
        confirmed: bool = False,
        timeout: int = 600,
        persist: str | None = None,
        persist_id: str | None = None,
    ) -> None:
        """Commit the candidate (see the module docstring for confirmed-commit rules)."""
        with self._lock:
            self._not_locked_by_other(session, "running")
            self._not_locked_by_other(session, "candidate")
            pending = self._pending
            if pending is not None:
                self._check_owner(pending, session, persist_id, "commit")
            if self._validated is not self.candidate:
                self._checked(copy.deepcopy(self.candidate))
            if not confirmed:
                if pending is not None:
                    pending.timer.cancel()
                    self._pending = None
                    self._save(None, "rollback.xml")
                    log.info("%s: confirmed commit confirmed", self.profile.name)
                self._set_running(copy.deepcopy(self.candidate), session)
                return
            rollback = pending.rollback if pending is not None else copy.deepcopy(self.running)
            if pending is not None:
                pending.timer.cancel()
            self._generation += 1
            timer = threading.Timer(timeout, self._expire, args=(self._generation,))
            timer.daemon = True
            self._pending = _Pending(session, persist, rollback, timer, self._generation)
            self._save(rollback, "rollback.xml")
            self._set_running(copy.deepcopy(self.candidate), session)
            timer.start()
            log.info(
                "%s: confirmed commit by session %d, timeout %d s",
                self.profile.name,
                session,
                timeout,
            )

    def _check_owner(
        self, pending: _Pending, session: int, persist_id: str | None, what: str
    ) -> None:
        if pending.persist is not None:
            if persist_id != pending.persist:
                raise RpcFault(
                    "invalid-value",
                    f"{what}: a persistent confirmed commit is pending; give its persist-id",
                    path="/persist-id",
                )
        elif persist_id is not None:
            raise RpcFault(
                "invalid-value",
                f"{what}: the pending confirmed commit has no persist token",
                path="/persist-id",
            )
        elif pending.session != session:
            raise RpcFault(
                "in-use",
                f"{what}: a confirmed commit of session {pending.session} is pending",
                info={"session-id": str(pending.session)},
            )

    def cancel_commit(self, session: int, persist_id: str | None = None) -> None:
        """Roll back the pending confirmed commit now."""
        with self._lock:
            pending = self._pending
            if pending is None:
                raise RpcFault("operation-failed", "cancel-commit: no confirmed commit is pending")
            self._check_owner(pending, session, persist_id, "cancel-commit")
            self._rollback("cancelled")

    def _rollback(self, why: str) -> None:
        pending = self._pending
        if pending is None:
            return
        pending.timer.cancel()
        self._pending = None
        self._save(None, "rollback.xml")
        self._set_running(pending.rollback)
        self.candidate = copy.deepcopy(pending.rollback)
        log.warning(
            "%s: confirmed commit %s: rolled back to the previous running config",
            self.profile.name,
            why,
        )

    def _expire(self, generation: int) -> None:
        with self._lock:
            if self._pending is not None and self._pending.generation == generation:
                self._rollback("timed out")

    @property
    def confirm_pending(self) -> bool:
        """Whether a confirmed commit awaits confirmation."""
        return self._pending is not None

    # --- locks ----------------------------------------------------------------------------
    def lock(self, session: int, target: str) -> None:
        """Lock ``target`` for ``session``."""
        with self._lock:
            self._datastore(target)
            holder = self._locks.get(target)
            if holder is not None:
                who = "this session" if holder == session else f"session {holder}"
                raise RpcFault(
                    "lock-denied",
                    f"{target} datastore is already locked by {who}",
                    info={"session-id": str(holder)},
                    etype="protocol",
                )
            if target == "candidate" and not _same(self.candidate, self.running):
                raise RpcFault(
                    "lock-denied",
                    "candidate has uncommitted changes; discard-changes first",
                    info={"session-id": "0"},
                    etype="protocol",
                )
            pending = self._pending
            if target == "running" and pending is not None and pending.session != session:
                raise RpcFault(
                    "lock-denied",
                    f"a confirmed commit of session {pending.session} is pending",
                    info={"session-id": str(pending.session)},
                    etype="protocol",
                )
            self._locks[target] = session

    def unlock(self, session: int, target: str) -> None:
        """Release ``session``'s lock on ``target``."""
        with self._lock:
            self._datastore(target)
            holder = self._locks.get(target)
            if holder != session:
                who = "nobody" if holder is None else f"session {holder}"
                raise RpcFault(
                    "operation-failed",
                    f"{target} datastore is locked by {who}, not by this session",
                    info={"session-id": str(holder or 0)},
                    etype="protocol",
                )
            self._release(target)

    def _release(self, target: str) -> None:
        self._locks.pop(target, None)
        if target == "candidate" and not _same(self.candidate, self.running):
            self.candidate = copy.deepcopy(self.running)
            log.info(
                "%s: candidate lock released: uncommitted changes discarded", self.profile.name
            )

    def session_closed(self, session: int) -> None:
        """A session ended: release its locks; roll back its non-persistent confirmed commit."""
        with self._lock:
            for target in [t for t, s in self._locks.items() if s == session]:
                self._release(target)
            pending = self._pending
            if pending is not None and pending.session == session and pending.persist is None:
                self._rollback(f"not confirmed before session {session} ended")

    def close(self) -> None:
        """Stop timers (a pending confirmed commit stays recorded in the state dir)."""
        with self._lock:
            if self._pending is not None:
                self._pending.timer.cancel()
