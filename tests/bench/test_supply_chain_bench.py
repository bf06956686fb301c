"""The supply-chain benchmark, run as a user runs it (`python -m bench.supply_chain`): every
figure comes from the workflow's own runs on requests it generated from its seed."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import python_module


def test_the_benchmark_measures_every_level_on_its_own_seed() -> None:
    done = python_module(
        "bench.supply_chain", "--plans", "2", "--skus", "3", "--runs", "1", "--seed", "5", "--json"
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    forecast, plans, latency = result["forecast"], result["plans"], result["latency"]
    assert result["seed"] == 5 and forecast["skus"] == 20 and forecast["held_weeks"] == 8
    assert forecast["mase"] > 0 and forecast["mase_seasonal_naive"] > 0
    assert sum(forecast["models_chosen"].values()) == 20
    assert plans["plans"] == 2
    for side in ("workflow", "baseline"):
        assert 0 < plans[side]["fill_rate"] <= 1 and 0 <= plans[side]["late_share"] <= 1
    assert latency["hierarchy_ms"] > 0 and latency["flat_ms"] > 0
    assert latency["ratio"] == latency["hierarchy_ms"] / latency["flat_ms"]
    assert set(latency["levels_ms"]) == {
        "specialists",
        "department forecasting",
        "department procurement",
        "department logistics",
        "orchestrator",
    }
    departments = result["fields"]["departments"]
    assert {name: d["up"] for name, d in departments.items()} == {
        "forecasting": 1,
        "procurement": 1,
        "logistics": 1,
    }
    assert departments["forecasting"]["down_keys"] == [
        "horizon_weeks",
        "order_date",
        "order_history",
        "plan_id",
        "skus",
    ]
