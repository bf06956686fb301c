"""Sanctions screening finds every named party a document gives, however it is written."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from graphs.kit.runtime import open_workflow
from tests.conftest import ROOT, load_sample, python_module

SHIPPED = ROOT / "data" / "underwriting" / "sanctions_variants.csv"


def _variants(*args: str) -> str:
    """`python -m bench.sanctions_variants ARGS`, as its docstring says to run it: its output."""
    done = python_module("bench.sanctions_variants", *args, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_shipped_variant_set_is_what_its_generator_writes(tmp_path: Path) -> None:
    written = tmp_path / "variants.csv"
    _variants(str(written))
    assert _rows(written) and _rows(written) == _rows(SHIPPED)


def test_every_variant_of_a_listed_party_is_caught_and_few_others_are() -> None:
    result = json.loads(_variants(str(SHIPPED), "--score", "--json"))
    assert result["variants"] > 0 and result["missed"] == [], result["missed"]
    assert result["others"] > 0
    assert len(result["flagged"]) / result["others"] <= 0.05, result["flagged"]


def _application(*lines: str, applicant: str | None = None) -> dict[str, Any]:
    submission = load_sample("01_clean_straight_through")
    form = submission["documents"][0]
    if applicant is not None:
        form["content"] = form["content"].replace("Harbor Light Bakery LLC", applicant)
    form["content"] += "".join(f"{line}\n" for line in lines)
    return submission


@pytest.mark.parametrize(
    ("submission", "listed"),
    [
        (_application("Principal Owner: Ivan Petrovich Sorokin"), "Ivan Petrovich Sorokin"),
        (
            _application("Parent Company: Kestrel Petro-Chemical Limited"),
            "Kestrel Petrochemical Ltd",
        ),
        (_application(applicant="Sorokin, Ivan P."), "Ivan Petrovich Sorokin"),
        (_application(applicant="Kestrel Petro-Chemical Limited"), "Kestrel Petrochemical Ltd"),
        (_application("Loss Payee: V\u043elkov Maritime Holdings"), "Volkov Maritime Holdings"),
        (_application("Beneficial Owners: Maria Lopez; Sorokin, Ivan"), "Ivan Petrovich Sorokin"),
    ],
)
def test_a_named_sanctioned_party_stops_the_case(submission: dict[str, Any], listed: str) -> None:
    thread = f"sanctioned-{abs(hash(str(submission))) % 10**8}"
    with open_workflow("underwriting", "memory://") as flow:
        report = flow.start(submission, thread_id=thread)
        compliance = flow.graph.get_state(flow.config(thread)).values["compliance"]
    assert report.status == "awaiting_review" and report.packet is not None
    assert "sanctions_hit" in {rule["rule"] for rule in report.packet["reasons"]}
    assert listed in {hit["listed_name"] for hit in compliance["value"]["sanctions_hits"]}
    assert "Parent Company" not in compliance["value"]["screened_names"]
