"""The shipped samples the timing benchmarks run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples" / "underwriting"


def sample(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{stem}.json").read_text(encoding="utf-8"))
    return data


STRAIGHT_THROUGH = "01_clean_straight_through"
REFERRED = "02_high_risk_referral"
APPROVE = {"action": "approve", "reviewer": "Bench Reviewer", "note": "benchmark"}
