"""Pushing a plan: one slot's lightpaths as ONE confirmed transaction, recorded in the store.

The transaction row is written (outcome ``running``, with the intents) before anything is
sent, and finished after the confirm: a ``running`` row found at start-up is a transaction
the last process did not see to the end. :func:`reconcile` waits until its confirm timeout
has passed (the devices have reverted by then if it was not confirmed), reads the devices
back and records what they hold: ``committed`` if they hold the intents, ``rolled-back``
if they reverted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from controller.discovery import DiscoveryResult
from controller.edits import LightpathIntent, plan_edits
from controller.provision import (
    TransactionError,
    apply_intents,
    intents_from_plan,
    read_states,
    with_transponders,
)
from controller.service.storage import ServiceStore, digest
from controller.session import SessionPool
from topology.errors import DeviceError, InputError

__all__ = ["choose_slot", "push_slot", "reconcile", "slot_intents"]

log = logging.getLogger("fsor.service.push")


def choose_slot(plan: Mapping[str, Any], slot: int | None) -> int | None:
    """The slot to push: ``slot`` if given, else the first that carries lightpaths.

    >>> choose_slot({"lightpaths": [{"slot": 5}, {"slot": 2}]}, None)
    2
    >>> choose_slot({"lightpaths": []}, None) is None
    True
    """
    if slot is not None:
        return slot
    slots = sorted({int(lp["slot"]) for lp in plan.get("lightpaths") or ()})
    return slots[0] if slots else None


def slot_intents(
    plan: Mapping[str, Any], slot: int | None, found: DiscoveryResult, label: str
) -> tuple[tuple[LightpathIntent, ...], list[str]]:
    """Intents of the slot's lightpaths, each end on a discovered transponder channel.

    The program names the first transponder of each end ROADM; here each lightpath gets its
    own discovered transponder channel. Those that find none are returned as reasons.
    """
    lps = [lp for lp in plan.get("lightpaths") or () if slot is not None and lp["slot"] == slot]
    docs, skipped = with_transponders(lps, found)
    return intents_from_plan({"lightpaths": docs}, label), skipped


def _intents_json(intents: Sequence[LightpathIntent]) -> list[dict[str, Any]]:
    return [asdict(i) for i in intents]


def intents_of(doc: Sequence[Mapping[str, Any]]) -> tuple[LightpathIntent, ...]:
    """Intents back from their stored JSON."""
    return tuple(
        LightpathIntent(**{**d, "path": tuple(d["path"]), "transponders": tuple(d["transponders"])})
        for d in doc
    )


async def push_slot(
    pool: SessionPool,
    found: DiscoveryResult,
    store: ServiceStore,
    plan: Mapping[str, Any],
    plan_id: str,
    *,
    slot: int | None,
    dry_run: bool,
    who: str,
    confirm_timeout_s: int,
    before_confirm: Callable[[int], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Push (or with ``dry_run`` diff) one slot of ``plan``; the ``ApplyOut`` document."""
    chosen = choose_slot(plan, slot)
    intents, skipped = slot_intents(plan, chosen, found, f"plan {plan_id} slot {chosen}")
    for it in intents:
        for dev in (*it.transponders, *it.path):
            rep = next((d for d in found.devices if d.id == dev), None)
            if rep is not None and not rep.reachable:
                raise DeviceError(dev, f"cannot provision lightpath {it.id}: {rep.reason}")
    base = {
        "plan": plan_id,
        "slot": chosen,
        "lightpaths": len(intents),
        "not_pushed": skipped,
    }
    preview = await apply_intents(pool, found, intents, dry_run=True)
    if dry_run or not preview.edits:
        doc = preview.to_json()
        return {**doc, **base, "dry_run": dry_run, "transaction": None}
    diff = {
        "intents": _intents_json(intents),
        "slot": chosen,
        "plan": plan_id,
        "changes": {d: list(e.changes) for d, e in preview.edits.items()},
        "confirm_timeout_s": confirm_timeout_s,
        "started_epoch": time.time(),
    }
    devices = sorted(preview.edits)
    tid = store.begin(who, devices, diff=diff, previous={}, plan_digest=digest(dict(plan)))

    async def hook() -> None:
        if before_confirm is not None:
            await before_confirm(tid)

    try:
        res = await apply_intents(
            pool, found, intents, confirm_timeout_s=confirm_timeout_s, before_confirm=hook
        )
    except TransactionError as exc:
        outcome = "rolled-back" if exc.phase != "confirm" else "failed"
        store.finish(tid, outcome, {d: outcome for d in devices})
        raise
    except (DeviceError, InputError):
        store.finish(tid, "failed", {d: "failed" for d in devices})
        raise
    store.finish(tid, "committed", {d: "committed" for d in res.changed})
    return {**res.to_json(), **base, "dry_run": False, "transaction": tid}


async def held(
    pool: SessionPool, found: DiscoveryResult, intents: Sequence[LightpathIntent]
) -> bool:
    """Whether the devices' running configs hold exactly ``intents`` (no edit left)."""
    adapters = {
        d: f.adapters
        for d, f in found.facts.items()
        if f.adapters & {"terminal_device", "wavelength_router", "fsor_lightpath"}
    }
    states = await read_states(pool, adapters)
    return not plan_edits(states, intents, found.neighbours(), found.passthrough())


async def reconcile(
    pool: SessionPool,
    found: Callable[[], Awaitable[DiscoveryResult]],
    store: ServiceStore,
    say: Callable[[str, dict[str, Any]], None],
) -> list[dict[str, Any]]:
    """Settle transactions a previous process left ``running`` (see the module docstring)."""
    out = []
    for tx in store.transaction_docs(limit=1000, outcome="running"):
        diff = tx["diff"] or {}
        deadline = float(diff.get("started_epoch", 0)) + float(diff.get("confirm_timeout_s", 0))
        wait = deadline + 1.0 - time.time()
        if wait > 0:
            say("reconcile-wait", {"transaction": tx["id"], "seconds": round(wait, 1)})
            await asyncio.sleep(wait)
        result = await found()
        try:
            holds = await held(pool, result, intents_of(diff.get("intents") or []))
        except DeviceError as exc:
            say("reconcile-failed", {"transaction": tx["id"], "error": str(exc)})
            continue
        outcome = "committed" if holds else "rolled-back"
        store.finish(tx["id"], outcome, {d: outcome for d in tx["devices"]})
        note = "devices hold it (confirmed)" if holds else "devices reverted"
        store.audit("service", f"reconciled transaction {tx['id']}: {note}")
        doc = {"transaction": tx["id"], "outcome": outcome, "devices_reverted": not holds}
        say("reconciled", doc)
        out.append(doc)
    return out


def iso(t: datetime) -> str:
    return t.isoformat()
