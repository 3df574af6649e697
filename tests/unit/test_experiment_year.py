"""`fsor experiment year`: days as tasks through a map-like executor, resumable, reported."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from controller.cli import main
from controller.experiment_runner import Task, TaskFn, load_results, run_tasks, serial_executor
from controller.experiment_year import run_scenario
from optimizer.analysis.experiment_year import day_instance, day_tasks, grid_2023_dir

RAN: list[str] = []


def counting(fn: TaskFn, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
    """A map-like executor that records what it ran (stands in for any pool, e.g. Ray)."""
    for t in tasks:
        RAN.append(str(t["key"]))
        yield fn(t)


def test_day_instances_are_seeded_and_real() -> None:
    tasks = day_tasks("year", 0, 2, 5.0, grid_2023_dir())
    assert [t["day"] for t in tasks] == ["2023-01-01", "2023-01-02"]
    a, b = day_instance(tasks[0]), day_instance(tasks[0])
    assert a.classes == b.classes and a.slots == b.slots
    assert {s.region for s in a.sites} == {"DE", "JP", "CA"}
    assert set(a.dims()) == {"co2eq", "price"}
    assert a.slots[0].isoformat() == "2023-01-01T00:00:00+00:00" and a.horizon == 24
    other = day_instance(day_tasks("year", 1, 1, 5.0, grid_2023_dir())[0])
    assert other.classes != a.classes  # another seed, another stream
    assert day_instance(tasks[1]).classes != a.classes  # another day, other counts


@pytest.mark.slow
def test_year_runs_resumes_and_reports(tmp_path: Path) -> None:
    RAN.clear()
    doc = run_scenario("year", tmp_path, days=2, time_limit=10.0, executor=counting,
                       progress=False)
    assert len(RAN) == 2
    assert doc["days"] == 2 and len(doc["results"]) == 2
    for r in doc["results"]:
        assert set(r) >= {"joint", "sequential+repair", "first-fit", "co2-only", "fsor_alpha"}
        joint = r["joint"]
        assert joint["status"] in ("optimal", "feasible")
        assert joint["violations"] == 0 and joint["blocked"] == 0
        assert joint["placed"] == r["workloads"]
        assert r["co2-only"]["burdens"]["co2eq"] <= joint["burdens"]["co2eq"] * (1 + 1e-9)
    # signed differences are joint - other, summed over the days
    tot = doc["totals"]
    assert doc["vs_joint"]["co2-only"]["co2eq"] == pytest.approx(
        tot["joint"]["co2eq"] - tot["co2-only"]["co2eq"])
    # a third day resumes: only that day runs; the two already in tasks.jsonl do not
    RAN.clear()
    doc3 = run_scenario("year", tmp_path, days=3, time_limit=10.0, executor=counting,
                        progress=False)
    assert RAN == ["year:v3:0:10:2"]
    assert doc3["results"][:2] == doc["results"]
    assert len(load_results(tmp_path / "tasks.jsonl")) == 3
    files = {p.name for p in tmp_path.iterdir()}
    assert files >= {"report.md", "year.json", "tasks.jsonl", *doc3["figures"]}
    assert json.loads((tmp_path / "year.json").read_text())["days"] == 3
    report = (tmp_path / "report.md").read_text()
    assert "How it was computed" in report and "joint − co2-only" in report


def test_a_torn_results_line_is_dropped_and_rerun(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text('{"key": "a", "y": 1}\n{"key": "b", "y"')
    tasks = [{"key": "a"}, {"key": "b"}]
    out = run_tasks(tasks, lambda t: {"key": t["key"], "y": 2}, f, serial_executor,
                    progress=False)
    assert [r["y"] for r in out] == [1, 2]
    assert [json.loads(line)["key"] for line in f.read_text().splitlines()] == ["a", "b"]


def test_cli_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["experiment", "year", "--workers", "0", "--out", str(tmp_path / "x")]) == 2
    assert "--workers: workers: expected an integer >= 1, got 0" in capsys.readouterr().err
    assert main(["experiment", "year", "--weights", "co2eq=1", "--out", str(tmp_path)]) == 2
    assert "expected only with NAME orca" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def _day_key(task: Task) -> dict[str, Any]:
    return {"key": task["key"], "pid": os.getpid(), "x": task["x"] * 2}


@pytest.mark.slow
def test_a_real_local_ray_runs_the_tasks(tmp_path: Path) -> None:
    """The same runner on a private local Ray (2 CPUs): every task once, resumable."""
    pytest.importorskip("ray")
    from controller.experiment_runner import ray_executor

    tasks = [{"key": f"t{i}", "x": i} for i in range(6)]
    f = tmp_path / "r.jsonl"
    out = run_tasks(tasks[:4], _day_key, f, ray_executor(2), progress=False)
    assert [r["x"] for r in out] == [0, 2, 4, 6]
    assert all(r["pid"] != os.getpid() for r in out)  # ran in Ray worker processes
    out = run_tasks(tasks, _day_key, f, ray_executor(2), progress=False)
    assert [r["x"] for r in out] == [0, 2, 4, 6, 8, 10]
    assert len(f.read_text().splitlines()) == 6  # the first four were not run again
