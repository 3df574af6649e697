"""Signals: ORCA Table V, missing-value policies, zones, and the four loaders."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from optimizer.inputs.signal_grid import GRID_2023_DIR
from optimizer.inputs.signals import (
    DIMENSIONS,
    ZONES,
    Signals,
    build_signals,
    default_signals,
    load_carbon_aware_json,
    load_electricity_maps,
    load_grid_directory,
    load_long_csv,
    load_orca_csv,
    load_signals,
    merge_signals,
    slots_from,
    zone_of,
)
from topology.errors import InputError

GRID = GRID_2023_DIR
T0 = datetime(2025, 7, 1, tzinfo=UTC)


def test_zones_cover_every_dimension() -> None:
    assert set(ZONES) == set(DIMENSIONS)
    assert zone_of("co2eq") == "global"
    assert {d for d, z in ZONES.items() if z == "production"} == {"so2eq", "co"}
    assert {d for d, z in ZONES.items() if z == "datacentre"} == {
        "no2",
        "pm25",
        "price",
        "water",
        "power_headroom",
    }


def test_default_signals_is_table_v() -> None:
    s = default_signals()
    assert s.regions == ("CA", "DE", "JP")
    assert len(s.slots) == 24 and s.slot_hours == 1.0
    assert s.slots[0] == T0 and s.slots[-1].hour == 23
    assert s.dims == ("co2eq", "so2eq", "co", "no2", "pm25", "price", "water")
    assert s.series("DE", "co2eq")[0] == pytest.approx(148.57)
    assert s.series("JP", "price")[23] == pytest.approx(58.65)
    assert s.units["price"] == "EUR/MWh" and s.units["water"] == "indicator"
    for r in s.regions:
        for d in s.dims:
            assert not np.isnan(s.series(r, d)).any()
    assert not s.has("DE", "power_headroom")


def test_default_signals_lists_every_na_cell() -> None:
    s = default_signals()
    got = {(f.region, f.dim, f.slot.hour) for f in s.filled}
    assert got == {
        ("CA", "no2", 12),
        ("DE", "no2", 13),
        ("DE", "pm25", 13),
        ("JP", "no2", 14),
        ("JP", "pm25", 14),
        ("JP", "no2", 15),
        ("JP", "pm25", 15),
    }
    de = {f.dim: f for f in s.filled if f.region == "DE"}
    # ffill: the 12:00 value carries forward
    assert de["no2"].value == pytest.approx(s.series("DE", "no2")[12])
    assert de["no2"].value != 0.0 and de["no2"].method == "ffill"


def test_interpolate_and_worst_policies_on_table_v() -> None:
    lin = default_signals(policy="interpolate")
    no2 = lin.series("DE", "no2")
    assert no2[13] == pytest.approx((no2[12] + no2[14]) / 2)
    jp = lin.series("JP", "pm25")  # two consecutive gaps: 1/3 and 2/3 of the way
    assert jp[14] == pytest.approx(jp[13] + (jp[16] - jp[13]) / 3)
    worst = default_signals(policy="worst")
    raw = worst.series("DE", "no2")
    known = [v for i, v in enumerate(raw) if i != 13]
    assert raw[13] == pytest.approx(max(known))
    assert {f.method for f in worst.filled} == {"worst"}
    assert worst.missing_policy == "worst"


def test_winter_day_has_two_slots() -> None:
    s = default_signals(date="2026-01-01")
    assert len(s.slots) == 2 and s.filled == ()
    assert s.series("DE", "pm25")[1] == pytest.approx(265.15)


def test_edges_use_bfill_and_nearest() -> None:
    slots = slots_from(T0, 4, 1.0)
    raw = {("X", "co2eq"): [None, 10.0, None, 30.0], ("X", "price"): [5.0, None, None, None]}
    f = build_signals(raw, slots)
    assert f.series("X", "co2eq").tolist() == [10.0, 10.0, 10.0, 30.0]
    assert [x.method for x in f.filled if x.dim == "co2eq"] == ["bfill", "ffill"]
    i = build_signals(raw, slots, policy="interpolate")
    assert i.series("X", "co2eq").tolist() == [10.0, 10.0, 20.0, 30.0]
    assert i.series("X", "price").tolist() == [5.0, 5.0, 5.0, 5.0]
    assert {x.method for x in i.filled if x.dim == "price"} == {"nearest"}


def test_worst_uses_the_same_day_then_the_series() -> None:
    slots = slots_from(datetime(2025, 7, 1, 22, tzinfo=UTC), 4, 1.0)  # 22, 23, 00, 01
    raw = {("X", "no2"): [5.0, 9.0, None, 1.0]}
    s = build_signals(raw, slots, policy="worst")
    assert s.series("X", "no2")[2] == 1.0  # max of 2 July only
    raw2 = {("X", "no2"): [5.0, 9.0, None, None]}
    s2 = build_signals(raw2, slots, policy="worst")
    assert s2.series("X", "no2")[2:].tolist() == [9.0, 9.0]
    assert {f.method for f in s2.filled} == {"worst-series"}


def test_all_missing_series_is_an_error_never_zero() -> None:
    with pytest.raises(InputError) as err:
        build_signals({("DE", "no2"): [None, math.nan]}, slots_from(T0, 2, 1.0), source="x.csv")
    assert "x.csv: DE/no2:" in str(err.value) and "never read as zero" in str(err.value)


def test_build_signals_rejects_bad_input() -> None:
    slots = slots_from(T0, 2, 1.0)
    with pytest.raises(InputError, match="missing_policy: expected one of"):
        build_signals({("A", "co2eq"): [1.0, 2.0]}, slots, policy="zero")
    with pytest.raises(InputError, match="A/nox: expected a dimension"):
        build_signals({("A", "nox"): [1.0, 2.0]}, slots)
    with pytest.raises(InputError, match="expected 2 values"):
        build_signals({("A", "co2eq"): [1.0]}, slots)
    uneven = (T0, T0.replace(hour=1), T0.replace(hour=3))
    with pytest.raises(InputError, match=r"slots\[2\]: expected equally spaced"):
        build_signals({("A", "co2eq"): [1.0, 2.0, 3.0]}, uneven)


def test_series_of_missing_dimension_names_it() -> None:
    s = default_signals()
    with pytest.raises(InputError, match="DE/power_headroom: expected a series"):
        s.series("DE", "power_headroom")


def test_with_series_replaces_one_series() -> None:
    s = default_signals()
    new = s.with_series("DE", "no2", [1.0] * 24)
    assert new.series("DE", "no2").tolist() == [1.0] * 24
    assert s.series("DE", "no2")[0] != 1.0  # the original is untouched
    assert not any(f.region == "DE" and f.dim == "no2" for f in new.filled)
    assert len(new.filled) == len(s.filled) - 1
    with pytest.raises(InputError, match="expected 24 finite values"):
        s.with_series("DE", "no2", [1.0, math.nan])
    assert s.slot_index(T0.replace(hour=5)) == 5


def _write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


ORCA_HEAD = "date,hour_utc,region,co2eq_g_per_kwh,no2_ug_per_m3\n"


def test_orca_loader_bad_value_and_bad_time(tmp_path: Path) -> None:
    bad = _write(tmp_path, "t.csv", ORCA_HEAD + "2025-07-01,00:00,DE,abc,1\n")
    with pytest.raises(InputError) as err:
        load_orca_csv(bad)
    assert str(err.value) == f"{bad}: row 2.co2eq_g_per_kwh: expected a number or N/A, got 'abc'"
    bad_t = _write(tmp_path, "u.csv", ORCA_HEAD + "2025-07-01,25:00,DE,1,1\n")
    with pytest.raises(InputError, match=r"row 2.date/hour_utc: expected an ISO-8601"):
        load_orca_csv(bad_t)
    with pytest.raises(InputError, match="date: expected rows for this date"):
        default_signals(date="1999-01-01")


def test_orca_loader_missing_row_is_filled(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "t.csv",
        ORCA_HEAD + "2025-07-01,00:00,DE,10,N/A\n2025-07-01,00:00,JP,5,2\n"
        "2025-07-01,01:00,DE,12,3\n",
    )
    s = load_orca_csv(p)
    assert s.series("JP", "co2eq").tolist() == [5.0, 5.0]
    assert s.series("DE", "no2").tolist() == [3.0, 3.0]
    assert {(f.region, f.dim, f.method) for f in s.filled} == {
        ("DE", "no2", "bfill"),
        ("JP", "co2eq", "ffill"),
        ("JP", "no2", "ffill"),
    }


def test_electricity_maps_one_region_with_price() -> None:
    s = load_electricity_maps(
        GRID / "DE-LU_2023_carbon_intensity_hourly.csv.gz",
        GRID / "DE-LU_2023_electricity_prices_hourly.csv.gz",
        start="2023-01-01T00:00:00+00:00",
        hours=3,
    )
    assert s.regions == ("DE",)
    assert s.series("DE", "co2eq").tolist() == [140.51, 140.44, 148.34]
    assert s.series("DE", "price").tolist() == [-5.17, -1.07, -1.47]
    assert s.units["price"] == "EUR/MWh"
    lca = load_electricity_maps(
        GRID / "DE-LU_2023_carbon_intensity_hourly.csv.gz", hours=1, intensity="LCA", region="X"
    )
    assert lca.series("X", "co2eq").tolist() == [185.8]
    assert not lca.has("X", "price")


def test_electricity_maps_currency_and_conversion() -> None:
    ci = GRID / "JP-TK_2023_carbon_intensity_hourly.csv.gz"
    price = GRID / "JP-TK_2023_electricity_prices_hourly.csv.gz"
    native = load_electricity_maps(ci, price, hours=1)
    assert native.units["price"] == "JPY/MWh" and native.series("JP-TK", "price")[0] == 24900.0
    eur = load_electricity_maps(ci, price, hours=1, price_to_eur=0.5)
    assert eur.units["price"] == "EUR/MWh" and eur.series("JP-TK", "price")[0] == 12450.0


def test_grid_directory_merges_three_regions() -> None:
    s = load_grid_directory(GRID, start="2023-07-01", hours=24)
    assert set(s.regions) == {"CA", "DE", "JP"}
    assert s.units == {"co2eq": "g/kWh", "price": "EUR/MWh"}
    # CAISO prices start 2022-12-31 08:00 in the file; a July day is inside it
    assert s.series("CA", "price").shape == (24,)
    assert 10.0 < float(s.series("JP", "price").mean()) < 300.0  # JPY converted to EUR
    assert s.filled == ()


def test_electricity_maps_bad_inputs(tmp_path: Path) -> None:
    head = "Datetime (UTC),Zone Id,Carbon Intensity gCO₂eq/kWh (direct)\n"
    bad = _write(tmp_path, "ci.csv", head + "2023-01-01 00:00:00,DE,100\nyesterday,DE,100\n")
    with pytest.raises(InputError) as err:
        load_electricity_maps(bad, hours=2)
    assert "row 3.Datetime (UTC): expected an ISO-8601 timestamp, got 'yesterday'" in str(err.value)
    badv = _write(tmp_path, "v.csv", head + "2023-01-01 00:00:00,DE,lots\n")
    with pytest.raises(InputError, match=r"row 2.value: expected a number"):
        load_electricity_maps(badv, hours=1)
    with pytest.raises(InputError, match=r"expected a 'Carbon Intensity gCO₂eq/kWh \(foo\)'"):
        load_electricity_maps(badv, intensity="foo")
    with pytest.raises(InputError, match="hours: expected a number of hours > 0"):
        load_electricity_maps(badv, hours=0)
    gap = _write(tmp_path, "g.csv", head + "2023-01-01 00:00:00,DE,100\n2023-01-01 02:00:00,DE,7\n")
    s = load_electricity_maps(gap, hours=3)
    assert s.series("DE", "co2eq").tolist() == [100.0, 100.0, 7.0]
    assert len(s.filled) == 1


def test_long_csv(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "long.csv",
        "timestamp,region,dimension,value,unit\n"
        "2025-07-01T00:00:00Z,dc-a,power_headroom,100,kW\n"
        "2025-07-01T00:30:00Z,dc-a,power_headroom,,kW\n"
        "2025-07-01T01:00:00Z,dc-a,power_headroom,80,kW\n"
        "2025-07-01T00:00:00Z,dc-a,water,1.5,L/kWh\n",
    )
    s = load_long_csv(p, policy="interpolate")
    assert s.slot_hours == 0.5
    assert s.series("dc-a", "power_headroom").tolist() == [100.0, 90.0, 80.0]
    assert s.series("dc-a", "water").tolist() == [1.5, 1.5, 1.5]
    assert s.units == {"power_headroom": "kW", "water": "L/kWh"}
    assert load_signals(p).series("dc-a", "power_headroom")[1] == 100.0


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2025-13-01T00:00:00Z,A,co2eq,1,g/kWh", "row 2.timestamp: expected an ISO-8601"),
        ("2025-07-01T00:00:00Z,A,nox,1,g/kWh", "row 2.dimension: expected one of"),
        ("2025-07-01T00:00:00Z,A,co2eq,x,g/kWh", "row 2.value: expected a number or N/A"),
        ("2025-07-01T00:00:00Z,A,co2eq,inf,g/kWh", "row 2.value: expected a finite number"),
        ("2025-07-01T00:00:00Z,,co2eq,1,g/kWh", "row 2.region: expected a region name"),
    ],
)
def test_long_csv_bad_rows(tmp_path: Path, row: str, message: str) -> None:
    p = _write(tmp_path, "l.csv", "timestamp,region,dimension,value,unit\n" + row + "\n")
    with pytest.raises(InputError, match=message) as err:
        load_long_csv(p)
    assert str(err.value).startswith(str(p))


def test_long_csv_unit_clash_and_duplicates(tmp_path: Path) -> None:
    head = "timestamp,region,dimension,value,unit\n"
    clash = _write(
        tmp_path,
        "c.csv",
        head + "2025-07-01T00:00Z,A,price,1,EUR/MWh\n2025-07-01T01:00Z,A,price,1,USD/MWh\n",
    )
    with pytest.raises(InputError, match=r"row 3.unit: expected the unit 'EUR/MWh'"):
        load_long_csv(clash)
    dup = _write(tmp_path, "d.csv", head + "2025-07-01T00:00Z,A,co,1,\n2025-07-01T00:00Z,A,co,2,\n")
    with pytest.raises(InputError, match="row 3: expected one row per timestamp"):
        load_long_csv(dup)


def _cas(tmp: Path, items: object) -> Path:
    return _write(tmp, "cas.json", json.dumps(items))


def test_carbon_aware_json(tmp_path: Path) -> None:
    items = [
        {
            "location": "eastus",
            "time": "2022-09-19T17:00:00Z",
            "rating": 140.5,
            "duration": "01:00:00",
        },
        {
            "location": "eastus",
            "time": "2022-09-19T19:00:00Z",
            "rating": 100.0,
            "duration": "01:00:00",
        },
        {
            "location": "westus",
            "time": "2022-09-19T17:00:00Z",
            "rating": 50.0,
            "duration": "01:00:00",
        },
        {
            "location": "westus",
            "time": "2022-09-19T18:00:00Z",
            "rating": 60.0,
            "duration": "01:00:00",
        },
        {
            "location": "westus",
            "time": "2022-09-19T19:00:00Z",
            "rating": 70.0,
            "duration": "01:00:00",
        },
    ]
    p = _cas(tmp_path, items)
    s = load_signals(p)
    assert s.regions == ("eastus", "westus") and len(s.slots) == 3
    assert s.series("eastus", "co2eq").tolist() == [140.5, 140.5, 100.0]
    assert s.filled[0].slot.hour == 18 and s.filled[0].region == "eastus"
    assert s.series("westus", "co2eq").tolist() == [50.0, 60.0, 70.0]
    day = [{"location": "a", "time": "2022-09-19T00:00:00Z", "rating": 1, "duration": "1.00:00:00"}]
    assert load_carbon_aware_json(_cas(tmp_path, day)).slot_hours == 24.0


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({"location": "a"}, r"\$: expected a non-empty list"),
        ([{"location": "a", "time": "soon", "rating": 1}], r"\[0\].time: expected an ISO-8601"),
        ([{"location": "a", "time": "2022-09-19T00:00Z", "rating": "x"}], r"\[0\].rating"),
        ([{"time": "2022-09-19T00:00Z", "rating": 1}], r"\[0\].location: expected a location"),
        (
            [{"location": "a", "time": "2022-09-19T00:00Z", "rating": 1, "duration": "1h"}],
            r"\[0\].duration: expected a duration",
        ),
        (
            [
                {"location": "a", "time": "2022-09-19T00:00Z", "rating": 1, "duration": "01:00:00"},
                {"location": "a", "time": "2022-09-19T00:30Z", "rating": 1, "duration": "01:00:00"},
            ],
            "time: expected a time on the 1 h grid",
        ),
    ],
)
def test_carbon_aware_json_bad(tmp_path: Path, items: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_carbon_aware_json(_cas(tmp_path, items))


def test_load_signals_dispatch(tmp_path: Path) -> None:
    orca = load_signals(Path(__file__).resolve().parents[2] / "optimizer/data/orca_table_v.csv")
    assert orca.regions == ("CA", "DE", "JP") and len(orca.slots) == 24
    em = load_signals(GRID / "DE-LU_2023_carbon_intensity_hourly.csv.gz", hours=2, region="DE")
    assert em.series("DE", "co2eq").tolist() == [140.51, 140.44]
    d = load_signals(GRID, start="2023-03-01", hours=2)
    assert len(d.regions) == 3
    other = _write(tmp_path, "x.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match=r"x.csv: header: expected ORCA Table V"):
        load_signals(other)
    with pytest.raises(InputError, match="file: expected a readable file"):
        load_signals(tmp_path / "nope.csv")


def test_merge_signals_checks_slots_and_units() -> None:
    a = build_signals({("A", "price"): [1.0]}, (T0,), units={"price": "EUR/MWh"}, source="a")
    b = build_signals({("B", "price"): [2.0]}, (T0,), units={"price": "USD/MWh"}, source="b")
    with pytest.raises(InputError, match=r"b: units.price: expected the same unit 'EUR/MWh'"):
        merge_signals(a, b)
    c = build_signals({("C", "co2eq"): [2.0]}, (T0.replace(hour=1),), source="c")
    with pytest.raises(InputError, match="c: slots: expected the slots of a"):
        merge_signals(a, c)
    m = merge_signals(a, build_signals({("B", "co2eq"): [3.0]}, (T0,)))
    assert isinstance(m, Signals) and m.regions == ("A", "B") and m.dims == ("co2eq", "price")


def test_price_files_in_local_time_are_shifted_to_utc() -> None:
    ci = GRID / "DE-LU_2023_carbon_intensity_hourly.csv.gz"
    price = GRID / "DE-LU_2023_electricity_prices_hourly.csv.gz"
    utc = load_electricity_maps(ci, price, start="2023-07-01T00:00Z", hours=3)
    local = load_electricity_maps(
        ci, price, start="2023-07-01T00:00Z", hours=3, price_tz="Europe/Berlin"
    )
    # 00:00 UTC is 02:00 CEST: the local file's 02:00 row
    assert local.series("DE", "price")[0] == utc.series("DE", "price")[2]
    assert local.series("DE", "co2eq").tolist() == utc.series("DE", "co2eq").tolist()
    # the directory loader applies the recorded zones (DE-LU, JP-TK local; CAISO UTC)
    d = load_grid_directory(GRID, start="2023-07-01T00:00Z", hours=3)
    assert d.series("DE", "price").tolist() == local.series("DE", "price").tolist()
    # autumn: the repeated local hour 02:00 has one row, so one UTC hour is missing
    autumn = load_electricity_maps(
        ci, price, start="2023-10-28T22:00Z", hours=6, price_tz="Europe/Berlin"
    )
    assert [(f.dim, f.slot.hour) for f in autumn.filled] == [("price", 1)]
    with pytest.raises(InputError, match="price_tz: expected an IANA time zone"):
        load_electricity_maps(ci, price, hours=1, price_tz="Mars/Olympus")


def test_a_missing_timestamp_for_all_regions_becomes_filled_slots(tmp_path: Path) -> None:
    orca = _write(
        tmp_path,
        "o.csv",
        ORCA_HEAD + "2025-07-01,00:00,DE,10,1\n2025-07-01,02:00,DE,30,3\n",
    )
    s = load_orca_csv(orca, policy="interpolate")
    assert len(s.slots) == 3 and s.series("DE", "co2eq").tolist() == [10.0, 20.0, 30.0]
    long = _write(
        tmp_path,
        "l.csv",
        "timestamp,region,dimension,value\n"
        "2025-07-01T00:00Z,A,co2eq,1\n2025-07-01T03:00Z,A,co2eq,4\n2025-07-01T01:00Z,A,co2eq,2\n",
    )
    s2 = load_long_csv(long)
    assert s2.series("A", "co2eq").tolist() == [1.0, 2.0, 2.0, 4.0]
    assert [f.slot.hour for f in s2.filled] == [2]
    off = _write(
        tmp_path,
        "x.csv",
        "timestamp,region,dimension,value\n"
        "2025-07-01T00:00Z,A,co2eq,1\n2025-07-01T01:00Z,A,co2eq,2\n2025-07-01T01:30Z,A,co2eq,2\n"
        "2025-07-01T03:00Z,A,co2eq,2\n",
    )
    assert load_long_csv(off).slot_hours == 0.5


def test_load_signals_date_for_every_format(tmp_path: Path) -> None:
    table = Path(__file__).resolve().parents[2] / "optimizer/data/orca_table_v.csv"
    assert len(load_signals(table, date="2026-01-01").slots) == 2
    grid = load_signals(GRID, date="2023-07-01")
    assert grid.slots[0] == datetime(2023, 7, 1, tzinfo=UTC) and len(grid.slots) == 24
    de = GRID / "DE-LU_2023_carbon_intensity_hourly.csv.gz"
    em = load_signals(de, date="2023-02-01", hours=2)
    assert em.slots[0] == datetime(2023, 2, 1, tzinfo=UTC) and len(em.slots) == 2
    long = _write(
        tmp_path,
        "l.csv",
        "timestamp,region,dimension,value\n2025-06-30T23:00Z,A,co2eq,1\n"
        "2025-07-01T00:00Z,A,co2eq,\n2025-07-01T01:00Z,A,co2eq,3\n",
    )
    day = load_signals(long, date="2025-07-01")
    assert day.series("A", "co2eq").tolist() == [1.0, 3.0]  # 00:00 filled from 23:00
    assert [f.slot.hour for f in day.filled] == [0]
    with pytest.raises(InputError, match="slots: expected a range within"):
        load_signals(long, date="2025-08-01")
    with pytest.raises(InputError, match="hours: expected an option of load_long_csv"):
        load_signals(long, hours=3)
    with pytest.raises(InputError, match="date: expected an ISO-8601"):
        load_signals(long, date="July")
