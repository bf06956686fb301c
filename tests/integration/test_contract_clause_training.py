"""`baton train contract_review`: the clause model learns from a team's own labelled sentences,
runs use it once `BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA` names them, and unusable data is
refused naming the file and the line, with nothing trained."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.contract_review.clause_sentences import write_training_data
from graphs.kit.runtime import open_workflow
from tests.integration.cli_helpers import baton

CONTRACT = """SUPPLY AGREEMENT

This Supply Agreement is made as of June 1, 2021 by and between Birch Supply Inc. ("Supplier")
and Mount Trading LLC ("Buyer").

1. Supply. Supplier shall sell the Products to Buyer at the prices in Exhibit A.

2. Quiet period. During the term Buyer shall refrain from selling any product similar to the
Products anywhere.

3. Governing Law. This Agreement is governed by the laws of the State of New York.
"""


def _rows() -> list[tuple[str, str, list[str]]]:
    positives = [
        (f"{n}.pdf", f"The {who} shall refrain from selling any product similar to the {what}.",
         ["Non-Compete"])
        for n, who in enumerate(("Distributor", "Buyer", "Licensee", "Agent"))
        for what in ("Products", "Goods", "Licensed Products")
    ]  # fmt: skip
    negatives = [
        (f"{n}.pdf", f"{subject} shall be {verb} in writing to the {who}.", [])
        for n, subject in enumerate(("Notices", "Invoices", "Reports"))
        for verb in ("given", "sent", "delivered")
        for who in ("Supplier", "Buyer", "Agent")
    ]
    return positives + negatives


@pytest.fixture
def own_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    data = tmp_path / "sentences.csv.gz"
    write_training_data(data, _rows())
    decisions = tmp_path / "clause_model.yaml"
    decisions.write_text(
        "categories:\n  Non-Compete:\n    use: either\n    threshold: 0.8\n", encoding="utf-8"
    )
    models = tmp_path / "models"
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_MODELS_DIR", str(models))
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_MODEL_FILE", str(decisions))
    return {"data": data, "models": models}


def test_a_team_trains_on_its_own_sentences_and_runs_find_what_it_learned(
    own_model: dict[str, Path], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = baton(
        monkeypatch, sqlite_url, "train", "contract_review", "--data", str(own_model["data"])
    )
    flat = " ".join(output.split())
    assert "trained in" in flat and "39 sentences of 4 contracts" in flat
    assert "a model for 1 of 41 categories" in flat
    assert "BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA" in flat  # runs use other data until set
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA", str(own_model["data"]))
    again = " ".join(baton(monkeypatch, sqlite_url, "train", "contract_review").split())
    assert "already trained (cached)" in again
    with open_workflow("contract_review", sqlite_url) as flow:
        report = flow.start({"contract_id": "supply-1", "content": CONTRACT}, thread_id="own")
        values = flow.graph.get_state(flow.config("own")).values
    findings = values["clause_analysis"]["value"]["findings"]
    (non_compete,) = [f for f in findings if f["category"] == "Non-Compete"]
    assert report.status in {"completed", "awaiting_review"}
    assert non_compete["present"] and non_compete["model_probability"] >= 0.8
    assert "refrain from selling" in non_compete["spans"][0]["text"]


def test_unusable_training_data_is_refused_naming_the_line_and_nothing_is_trained(
    own_model: dict[str, Path], sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "contract,text,categories\na.pdf,The Buyer shall not compete.,Non Compete\n",
        encoding="utf-8",
    )
    output = baton(monkeypatch, sqlite_url, "train", "contract_review", "--data", str(bad), code=2)
    flat = " ".join(output.split())
    assert str(bad) in flat.replace(" ", "") or str(bad) in flat
    assert "line 2: 'Non Compete' is not a CUAD category" in flat
    assert not (own_model["models"] / "contract_review").exists()
