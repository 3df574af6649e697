"""``fsor lab inject``: make lab devices behave as if a fault happened (or was repaired).

Sends the lab-only ``inject-event`` RPC (``yang/fsor-device-events.yang``) to emulator
nodes over NETCONF, like any other request; the device changes its state and notifies its
subscribers. ``fibre-down``/``fibre-up`` cut or mend the fibre on a port, so both ends of the
clab link see it (the peer's end is injected too, when the peer is an emulator node).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lxml import etree

from containerlab.clab import load
from containerlab.device.events import EVENTS, EVENTS_NS
from controller.seed import seed_from_lab
from controller.session import SessionOptions, SessionPool
from topology.errors import FsorError, InputError

__all__ = ["inject", "inject_rpc"]


def inject_rpc(event: str, target: str) -> str:
    """The ``inject-event`` RPC body.

    >>> inject_rpc("los", "och-1")[-40:]
    '<event>los</event><target>och-1</target></inject-event>'
    """
    return (
        f'<inject-event xmlns="{EVENTS_NS}"><event>{event}</event>'
        f"<target>{target}</target></inject-event>"
    )


def _dispatch(m: Any, rpc: etree._Element) -> Any:
    return m.dispatch(rpc)


async def inject(
    clab_file: str | Path, node: str, event: str, target: str, instance: str | None = None
) -> list[dict[str, Any]]:
    """Inject ``event`` on ``node``'s ``target`` (and, for fibre events, on the link peer).

    Returns one entry per device tried: ``{"node", "event", "target", "ok", "reason"}``.
    :class:`InputError` for an unknown event, node or (fibre events) unlinked port.
    """
    if event not in EVENTS:
        raise InputError("fsor lab inject", "EVENT", event, f"expected one of {', '.join(EVENTS)}")
    lab = load(clab_file)
    names = {n.name: n for n in lab.nodes}
    if node not in names:
        raise InputError(str(clab_file), "NODE", node, "expected a node of the lab")
    todo = [(node, target)]
    if event.startswith("fibre-"):
        peers = [
            p
            for ln in lab.links
            for p in ((ln.b,) if (ln.a.node, ln.a.iface) == (node, target) else ())
            + ((ln.a,) if (ln.b.node, ln.b.iface) == (node, target) else ())
        ]
        if not peers:
            raise InputError(str(clab_file), "TARGET", target, f"expected a linked port of {node}")
        todo += [(p.node, p.iface) for p in peers]
    seed = seed_from_lab(clab_file, instance)
    eps = {d.id: d.endpoint for d in seed.devices}
    out: list[dict[str, Any]] = []
    opts = SessionOptions(known_hosts=seed.known_hosts, connect_attempts=2)
    wanted = [eps[n] for n, _ in todo if n in eps]
    async with SessionPool(wanted, opts) as pool:
        for n, port in todo:
            entry: dict[str, Any] = {"node": n, "event": event, "target": port, "ok": False}
            if names[n].kind != "device":
                entry["reason"] = f"{names[n].kind} node: no inject-event RPC"
            elif n not in eps:
                entry["reason"] = "not in the running lab"
            else:
                try:
                    rpc = etree.fromstring(inject_rpc(event, port))
                    await pool.call(n, functools.partial(_dispatch, rpc=rpc), retry=False)
                    entry["ok"], entry["reason"] = True, None
                except FsorError as exc:
                    entry["reason"] = str(exc)
            out.append(entry)
    return out
