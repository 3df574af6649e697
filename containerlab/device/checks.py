"""Device-specific checks on a configuration, beyond what the YANG schema says (pure).

* optical-channel ``frequency``: inside the device's band and on its grid;
* optical-channel ``operational-mode``: one of the modes the device advertises;
* optical-channel ``target-output-power``: within [-20, +10] dBm;
* optical-channel ``line-port`` and media-channel ``port-name``: a port of the device;
* media channel: ``lower-frequency`` < ``upper-frequency``, both inside the band, and no two
  media channels overlap on the same port.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from containerlab.device.config import PLAT, TERM, WR, q
from containerlab.device.profile import DeviceProfile
from containerlab.device.state import text_at

__all__ = ["MAX_POWER_DBM", "MIN_POWER_DBM", "CheckIssue", "check_config"]

MIN_POWER_DBM, MAX_POWER_DBM = -20.0, 10.0


@dataclass(frozen=True)
class CheckIssue:
    """A rejected value: NETCONF error-tag, error-path, message."""

    tag: str
    path: str
    message: str


def _thz(mhz: int) -> str:
    return f"{mhz / 1e6:.5g} THz"


def _band(p: DeviceProfile) -> str:
    return f"{p.grid.min_mhz / 1e6:g}–{p.grid.max_mhz / 1e6:g} THz"


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def check_config(root: etree._Element, p: DeviceProfile) -> list[CheckIssue]:
    """All device-check failures in configuration ``root`` (empty list = acceptable)."""
    issues: list[CheckIssue] = []
    comps = root.find(q(PLAT, "components"))
    for comp in [] if comps is None else comps.findall(q(PLAT, "component")):
        cfg = comp.find(f"{q(TERM, 'optical-channel')}/{q(TERM, 'config')}")
        if cfg is not None:
            name = text_at(comp, (PLAT, "name")) or ""
            base = f"/components/component[name='{name}']/optical-channel/config"
            issues += _och(cfg, base, p)
    wr = root.find(f"{q(WR, 'wavelength-router')}/{q(WR, 'media-channels')}")
    if wr is not None:
        issues += _media(wr, p)
    return issues


def _och(cfg: etree._Element, base: str, p: DeviceProfile) -> list[CheckIssue]:
    out = []
    freq_text = text_at(cfg, (TERM, "frequency"))
    freq = _int(freq_text)
    if freq_text is not None and freq is not None and not p.grid.on_grid(freq):
        where = (
            "outside the supported range"
            if not (p.grid.min_mhz <= freq <= p.grid.max_mhz)
            else "not on the grid of"
        )
        detail = (
            _band(p)
            if where.startswith("outside")
            else (f"{p.grid.step_mhz / 1000:g} GHz anchored at {_thz(p.grid.anchor_mhz)}")
        )
        out.append(
            CheckIssue(
                "invalid-value",
                f"{base}/frequency",
                f"frequency {freq} MHz ({_thz(freq)}) {where} {detail}",
            )
        )
    mode = _int(text_at(cfg, (TERM, "operational-mode")))
    ids = [m.id for m in p.modes]
    if mode is not None and mode not in ids:
        out.append(
            CheckIssue(
                "invalid-value",
                f"{base}/operational-mode",
                f"operational-mode {mode} is not advertised by this device "
                f"(modes: {', '.join(map(str, ids)) or 'none'})",
            )
        )
    power_text = text_at(cfg, (TERM, "target-output-power"))
    try:
        power = None if power_text is None else float(power_text)
    except ValueError:
        power = None
    if power is not None and not MIN_POWER_DBM <= power <= MAX_POWER_DBM:
        out.append(
            CheckIssue(
                "invalid-value",
                f"{base}/target-output-power",
                f"target-output-power {power:g} dBm outside "
                f"[{MIN_POWER_DBM:g}, {MAX_POWER_DBM:g}] dBm",
            )
        )
    port = text_at(cfg, (TERM, "line-port"))
    if port is not None and port not in p.port_names():
        out.append(
            CheckIssue(
                "invalid-value",
                f"{base}/line-port",
                f"line-port {port!r} is not a port of this device",
            )
        )
    return out


def _media(wr: etree._Element, p: DeviceProfile) -> list[CheckIssue]:
    out = []
    used: dict[str, list[tuple[int, int, str]]] = {}
    for ch in wr.findall(q(WR, "channel")):
        index = text_at(ch, (WR, "index")) or "?"
        base = f"/wavelength-router/media-channels/channel[index='{index}']"
        lo = _int(text_at(ch, (WR, "config"), (WR, "lower-frequency")))
        hi = _int(text_at(ch, (WR, "config"), (WR, "upper-frequency")))
        for leaf_name, value in (("lower-frequency", lo), ("upper-frequency", hi)):
            if value is not None and not p.grid.min_mhz <= value <= p.grid.max_mhz:
                out.append(
                    CheckIssue(
                        "invalid-value",
                        f"{base}/config/{leaf_name}",
                        f"{leaf_name} {value} MHz ({_thz(value)}) outside the "
                        f"supported range {_band(p)}",
                    )
                )
        if lo is not None and hi is not None and lo >= hi:
            out.append(
                CheckIssue(
                    "invalid-value",
                    f"{base}/config/upper-frequency",
                    f"upper-frequency {hi} MHz must be above lower-frequency {lo} MHz",
                )
            )
        for end in ("source", "dest"):
            port = text_at(ch, (WR, end), (WR, "config"), (WR, "port-name"))
            if port is None:
                continue
            if port not in p.port_names():
                out.append(
                    CheckIssue(
                        "invalid-value",
                        f"{base}/{end}/config/port-name",
                        f"port-name {port!r} is not a port of this device",
                    )
                )
            elif lo is not None and hi is not None:
                for olo, ohi, other in used.get(port, []):
                    if lo < ohi and olo < hi and other != index:
                        out.append(
                            CheckIssue(
                                "invalid-value",
                                f"{base}/config/lower-frequency",
                                f"media channel {index} ({lo}-{hi} MHz) overlaps media channel "
                                f"{other} ({olo}-{ohi} MHz) on port {port!r}",
                            )
                        )
                used.setdefault(port, []).append((lo, hi, index))
    return out
