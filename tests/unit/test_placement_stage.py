"""The placement stage of the exact-channel start: ``build(network=False)``, then routed.

Real HiGHS on germany50 (topohub), 8 channels per fibre with half of them lit (the scarce
spectrum where a placement that ignores the network loses about 1 % when routed).
"""

from __future__ import annotations

import numpy as np

from optimizer.inputs.instance import Instance
from optimizer.model.formulation import build, transfer_kwh, transfer_route
from optimizer.solve.highs_model import load
from optimizer.solve.lns import search
from optimizer.solve.program import Planner, empty_start
from optimizer.solve.routing import route_placement
from optimizer.solve.run import Raw
from tests.unit.test_program_channels import exact_model, scarce


def _free(inst: Instance, f: str, t: int) -> frozenset[int]:
    return inst.network.free.get(f, frozenset()) - inst.busy.get((f, t), frozenset())


def test_cheapest_transfer_is_the_cheapest_route_with_a_channel_free_end_to_end() -> None:
    inst = scarce(40)
    sidx = inst.site_index()
    seen = 0
    for c, cls in enumerate(inst.classes):
        o = inst.network.roadm(cls.origin)
        for sid in cls.sites:
            d = sidx[sid]
            if o == inst.sites[d].roadm:
                assert transfer_kwh(inst, c, d, 0) == 0.0
                continue
            routable = [
                cls.volume_gb * r.energy_kwh_per_gb
                for r in inst.network.routes[(o, sid)]
                if frozenset.intersection(*(_free(inst, f, 0) for f in r.fibres))
            ]
            kwh = transfer_kwh(inst, c, d, 0)
            assert kwh == (min(routable) if routable else None)
            seen += 1
    assert seen > 20


def test_placement_program_has_no_network_and_charges_each_transfer() -> None:
    inst = scarce(40)
    planner = Planner(inst, network=False)
    form = planner.form
    assert form.n is None and form.y is None and not form.groups and not form.route_cols
    assert len(form.options) <= len(build(inst).options)
    # a plan of one workload that needs a transfer: its site is charged the compute profile
    # and, in the start slot, the cheapest routable transfer
    j = next(
        j
        for j, (c_, d_, t_) in enumerate(form.options)
        if (transfer_kwh(inst, c_, d_, t_) or 0.0) > 0
    )
    c, d, t = form.options[j]
    x = np.zeros(len(form.options), dtype=int)
    x[j] = 1
    energy = planner._energy(inst, Raw("optimal", x, None, None, None, 0.0, 0.0, ""), [])
    transfer = transfer_kwh(inst, c, d, t)
    assert transfer is not None and transfer > 0
    profile = inst.classes[c].profile_kwh
    assert abs(energy[d, t] - profile[0] - transfer) < 1e-9
    assert abs(energy.sum() - sum(profile) - transfer) < 1e-9


def test_a_placement_on_cheapest_routes_is_routed_without_a_move() -> None:
    inst = scarce(60)
    placed = Planner(inst, seed=0, network=False).solve(
        time_limit=10, mip_gap=0.001, diagnose=False
    )
    assert placed.status in ("optimal", "feasible") and not placed.unserved
    assert placed.objective is not None
    planner, hm = exact_model(inst)
    routed = route_placement(hm, planner.form, inst, placed, 20.0)
    assert routed is not None
    vec, dropped = routed
    assert hm.feasible(vec) and dropped == []
    xs = hm.column(planner.form.x)
    opt = {o: j for j, o in enumerate(planner.form.options)}
    cls_of = {w: c for c, cls in enumerate(inst.classes) for w in cls.ids}
    sidx = inst.site_index()
    x = np.zeros(xs.stop - xs.start)
    for p in placed.placements:
        x[opt[(cls_of[p.workload], sidx[p.site], p.slot)]] += 1
    # every workload kept where the placement put it, every transfer on a cheapest route:
    # the routed plan costs what the placement program said
    assert np.array_equal(np.rint(vec[xs]), x)
    assert abs(hm.objective(vec) - placed.objective) <= 1e-6 * placed.objective


def test_search_without_time_for_its_bound_returns_its_best_start() -> None:
    inst = scarce(300)
    planner = Planner(inst, seed=0, channels="exact")
    hm = load(planner.form.problem)
    empty = empty_start(planner.form)
    assert empty is not None
    vec = hm.vector(empty)
    # the LP of this program takes seconds; 0.1 s is not enough for it
    res = search(hm, planner.form, inst, time_limit=0.01, mip_gap=0.01, starts={"empty": vec})
    assert res.status == "feasible" and res.values is not None
    assert res.bound is None and res.start == "empty"
    assert np.array_equal(res.values, vec)


def test_route_of_puts_a_group_on_the_route_the_lp_uses_most() -> None:
    inst = scarce(60)
    planner, hm = exact_model(inst)
    route_of = planner._lp_routes(hm, 30.0)
    assert route_of and set(route_of) <= set(planner.form.groups)
    # the LP's routes: each one a candidate route of its group
    for (o, d, _t), k in route_of.items():
        assert 0 <= k < len(inst.network.routes[(o, inst.sites[d].id)])
    # a route asked for is the one charged (when it has a free channel end to end)
    sidx = inst.site_index()
    for c, cls in enumerate(inst.classes):
        o = inst.network.roadm(cls.origin)
        for sid in cls.sites:
            d = sidx[sid]
            routes = inst.network.routes.get((o, sid), ())
            usable = [
                k
                for k, r in enumerate(routes)
                if transfer_route(inst, c, d, 0, {(o, d, 0): k}) is r
            ]
            if len(usable) >= 2 and o != inst.sites[d].roadm:
                k = usable[-1]
                kwh = transfer_kwh(inst, c, d, 0, {(o, d, 0): k})
                assert kwh == cls.volume_gb * routes[k].energy_kwh_per_gb
                assert kwh >= (transfer_kwh(inst, c, d, 0) or 0.0)
                return
    raise AssertionError("no transfer with two usable routes in this instance")
