"""What the timing benchmarks run: the shipped samples, on the databases
`checkpoints.provisioning` makes for each measurement (PostgreSQL on the server named by
BATON_BENCH_POSTGRES_ADMIN_URL, when it answers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checkpoints.provisioning import postgres_admin_url

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples" / "underwriting"
POSTGRES_ADMIN_URL = postgres_admin_url("BATON_BENCH_POSTGRES_ADMIN_URL")
DATABASE_PREFIX = "baton_bench"
"""How the benchmarks' PostgreSQL databases (and SQLite folders) are named."""


def sample(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{stem}.json").read_text(encoding="utf-8"))
    return data


STRAIGHT_THROUGH = "01_clean_straight_through"
REFERRED = "02_high_risk_referral"
APPROVE = {"action": "approve", "reviewer": "Bench Reviewer", "note": "benchmark"}
