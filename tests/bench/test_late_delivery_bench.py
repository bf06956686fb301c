"""The late-delivery benchmark, run as a user runs it (`python -m bench.late_delivery`): every
figure comes from the workflow's own runs, and the supervisor arrangement's, on investigations it
generated from its seed."""

from __future__ import annotations

import json
from typing import Any

from agents.late_delivery.generator import KINDS
from tests.conftest import python_module


def test_the_benchmark_runs_every_kind_through_the_mesh_and_the_supervisor() -> None:
    done = python_module(
        "bench.late_delivery", "--per-kind", "1", "--per-window", "1500", "--seed", "7", "--json"
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["seed"] == 7 and result["investigations"] == len(KINDS)
    assert set(result["kinds"]) == set(KINDS)
    for row in result["kinds"].values():
        assert row["investigations"] == 1
        assert row["mesh_named_without_analyst"] <= row["mesh_named"]
        assert row["mesh_named"] in (0.0, 1.0) and row["supervisor_named"] in (0.0, 1.0)
    assert sum(result["endings"].values()) == len(KINDS)
    assert set(result["endings"]) <= {
        "consensus",
        "stagnation",
        "round_limit",
        "token_budget",
        "loop",
    }
    debate = result["debate"]
    assert debate["rounds"]["median"] >= 2 and debate["posts"]["max"] > 0
    assert debate["model_tokens"]["max"] == 0, "the statistical peers spend no model tokens"
    assert debate["read_tokens"]["median"] > 0
    assert 0 <= result["broad_rise"]["mesh_blamed_a_single_cause"] <= 1


def test_a_bad_argument_is_refused() -> None:
    done = python_module("bench.late_delivery", "--per-kind", "0")
    assert done.returncode == 2 and "--per-kind must be at least 1" in done.stderr
