"""The invoice review benchmark, run as a user runs it (`python -m bench.invoice_review_quality`):
its figures are computed from the workflow's own answers on a world it made from its seed."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from schemas.invoice_review import ANOMALY_KINDS
from tests.conftest import python_module


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return python_module("bench.invoice_review_quality", *args)


def test_the_benchmark_scores_every_kind_on_its_own_seed() -> None:
    done = _bench("--invoices", "60", "--seed", "11", "--json")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["invoices"] == 60 and result["seed"] == 11 != result["sample_seed"]
    assert result["clean"] + result["anomalous"] == 60 and result["clean"] > 0
    assert set(result["kinds"]) == set(ANOMALY_KINDS)
    assert sum(row["planted"] for row in result["kinds"].values()) >= result["anomalous"]
    assert result["documents"] == 20 and result["documents_read_as_sent"] <= 20
    for row in result["kinds"].values():
        for figure in ("precision", "recall"):
            assert row[figure] is None or 0 <= row[figure] <= 1
    assert 0 <= result["straight_through"] <= 1 and 0 <= result["stopped"] <= 1


def test_the_same_seed_gives_the_same_figures_and_markdown_names_them() -> None:
    first, again = _bench("--invoices", "12", "--json"), _bench("--invoices", "12", "--json")
    assert first.returncode == again.returncode == 0
    strip = ("seconds", "per_invoice_ms")
    assert {k: v for k, v in json.loads(first.stdout).items() if k not in strip} == {
        k: v for k, v in json.loads(again.stdout).items() if k not in strip
    }
    markdown = _bench("--invoices", "12", "--markdown")
    assert "| anomaly | planted | named | precision | recall |" in markdown.stdout


def test_too_few_invoices_is_refused_by_name() -> None:
    done = _bench("--invoices", "0")
    assert done.returncode == 2 and "--invoices" in done.stderr
