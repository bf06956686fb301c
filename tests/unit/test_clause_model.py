"""The learned half of clause analysis: the sentence model, its training and cache, and how clause
analysis combines it with the rules (the files themselves: `test_clause_files.py`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents.contract_review import clause_model as cm
from agents.contract_review.clause_decisions import CategoryDecision, ClauseDecisions
from agents.contract_review.clause_model import ClauseModel, fit_sentence_model
from agents.contract_review.clause_rules import clause_rules
from agents.contract_review.clause_sentences import CATEGORIES, write_training_data
from agents.contract_review.clauses import analyse_clauses, find_clauses
from agents.spec import AgentContext
from schemas.contract_review import ClauseCategory, ClauseReport, StageInput
from schemas.result import ErrorKind, Outcome

C = ClauseCategory
NON_COMPETE = C.NON_COMPETE.value

CONTRACT = """SUPPLY AGREEMENT

This Supply Agreement is made as of June 1, 2021 by and between Birch Supply Inc. ("Supplier")
and Mount Trading LLC ("Buyer").

1. Supply. Supplier shall sell the Products to Buyer at the prices in Exhibit A.

2. Quiet period. During the term Buyer shall refrain from selling any product similar to the
Products anywhere in North America.

3. Notices. Notices shall be given in writing to the addresses above.
"""


def _sentences() -> tuple[list[str], np.ndarray]:
    """Training sentences where 'refrain from selling any product similar' is a non-compete and
    the rest is not; every category but non-compete has no labelled sentence."""
    positives = [
        f"The {who} shall refrain from selling any product similar to the {what} in the region."
        for who in ("Distributor", "Buyer", "Licensee", "Agent", "Reseller", "Consultant")
        for what in ("Products", "Goods", "Licensed Products")
    ]
    negatives = [
        f"{subject} shall be {verb} in writing to the {place} of the {who}."
        for subject in ("Notices", "Invoices", "Reports", "Requests")
        for verb in ("given", "sent", "delivered")
        for place in ("address", "office")
        for who in ("Supplier", "Buyer")
    ]
    labels = np.zeros((len(positives) + len(negatives), len(CATEGORIES)), dtype=bool)
    labels[: len(positives), CATEGORIES.index(C.NON_COMPETE)] = True
    return positives + negatives, labels


@pytest.fixture(scope="module")
def trained() -> cm.SentenceModel:
    texts, labels = _sentences()
    return fit_sentence_model(texts, labels)


def _model(trained: cm.SentenceModel, use: str, threshold: float = 0.5) -> ClauseModel:
    decision = CategoryDecision.model_validate({"use": use, "threshold": threshold})
    return ClauseModel(ClauseDecisions(categories={NON_COMPETE: decision}), trained)


def _finding(report: ClauseReport | Outcome, category: ClauseCategory) -> object:
    assert isinstance(report, ClauseReport)
    return next(f for f in report.findings if f.category is category)


def test_the_model_learns_a_category_and_has_none_for_categories_without_examples(
    trained: cm.SentenceModel,
) -> None:
    column = CATEGORIES.index(C.NON_COMPETE)
    found = trained.probabilities(
        [
            "The Seller shall refrain from selling any product similar to the Goods.",
            "Notices shall be sent in writing to the office of the Buyer.",
        ]
    )
    assert found[0, column] > 0.8 > 0.2 > found[1, column]
    assert np.isnan(found[:, CATEGORIES.index(C.GOVERNING_LAW)]).all()
    assert trained.trained.sum() == 1
    excluded = np.zeros_like(found, dtype=bool)
    excluded[0, column] = True
    best = trained.best(
        ["The Seller shall refrain from selling any product similar to the Goods."], excluded[:1]
    )
    assert best[column] == 0.0 and np.isnan(best[CATEGORIES.index(C.GOVERNING_LAW)])


def test_a_category_only_the_model_finds_is_present_with_the_models_sentence_as_its_span(
    trained: cm.SentenceModel,
) -> None:
    rules_only = find_clauses(CONTRACT, [], clause_rules(), cm.RULES_ONLY)
    assert not _finding(rules_only, C.NON_COMPETE).present  # type: ignore[attr-defined]
    finding = _finding(
        find_clauses(CONTRACT, [], clause_rules(), _model(trained, "either", 0.8)),
        C.NON_COMPETE,
    )
    assert finding.present and finding.model_probability > 0.8  # type: ignore[attr-defined]
    (span,) = finding.spans  # type: ignore[attr-defined]
    assert span.text.startswith("During the term Buyer shall refrain from selling")
    assert CONTRACT[span.start : span.end] == span.text


def test_both_needs_the_rules_too_and_model_alone_ignores_them(
    trained: cm.SentenceModel,
) -> None:
    both = find_clauses(CONTRACT, [], clause_rules(), _model(trained, "both"))
    assert not _finding(both, C.NON_COMPETE).present  # type: ignore[attr-defined]
    strict = find_clauses(CONTRACT, [], clause_rules(), _model(trained, "model", 0.999))
    finding = _finding(strict, C.NON_COMPETE)
    assert not finding.present and finding.model_probability < 0.999  # type: ignore[attr-defined]


def test_a_rejected_model_span_makes_way_for_the_next_best_or_none(
    trained: cm.SentenceModel,
) -> None:
    learned = _model(trained, "model", 0.8)
    first = find_clauses(CONTRACT, [], clause_rules(), learned)
    assert _finding(first, C.NON_COMPETE).present  # type: ignore[attr-defined]
    again = find_clauses(
        CONTRACT, ["Non-Compete: span is not a non-compete"], clause_rules(), learned
    )
    assert not _finding(again, C.NON_COMPETE).present  # type: ignore[attr-defined]


def test_a_rejected_span_of_the_rules_does_not_come_back_as_the_models(
    trained: cm.SentenceModel,
) -> None:
    contract = CONTRACT.replace(
        "3. Notices.", "3. Non-competition. Buyer shall not compete with Supplier in any way."
    )
    learned = _model(trained, "either", 0.3)
    first = _finding(find_clauses(contract, [], clause_rules(), learned), C.NON_COMPETE)
    shown = {span.text for span in first.spans}  # type: ignore[attr-defined]
    assert first.present and shown  # type: ignore[attr-defined]
    again = find_clauses(
        contract, ["Non-Compete: span is not a non-compete"], clause_rules(), learned
    )
    second = _finding(again, C.NON_COMPETE)
    assert not shown & {span.text for span in second.spans}  # type: ignore[attr-defined]


def _beneficiary_model() -> ClauseModel:
    """A model that has learned third-party beneficiary clauses by their words (so a denial,
    with the same words, scores high too)."""
    positives = [
        f"The {who} {verb} third party beneficiaries of Section {n} of this Agreement."
        for who in ("Affiliates", "Licensors", "Lenders", "Members")
        for verb in ("are intended", "shall be", "are express")
        for n in (4, 7)
    ]
    negatives = [
        f"{subject} shall be {verb} in writing to the {who}."
        for subject in ("Notices", "Invoices", "Reports", "Requests")
        for verb in ("given", "sent", "delivered")
        for who in ("Supplier", "Buyer")
    ] + [line for line in CONTRACT.replace(". ", ".\n").splitlines() if line.strip()] * 2
    labels = np.zeros((len(positives) + len(negatives), len(CATEGORIES)), dtype=bool)
    labels[: len(positives), CATEGORIES.index(C.THIRD_PARTY_BENEFICIARY)] = True
    decision = CategoryDecision(use="model", threshold=0.5)
    return ClauseModel(
        ClauseDecisions(categories={C.THIRD_PARTY_BENEFICIARY.value: decision}),
        fit_sentence_model(positives + negatives, labels),
    )


def test_a_negative_cue_of_the_rules_vetoes_the_models_sentence() -> None:
    learned = _beneficiary_model()
    denial = CONTRACT.replace(
        "3. Notices.", "3. No Third Party Beneficiaries. There are no third party beneficiaries."
    )
    column = CATEGORIES.index(C.THIRD_PARTY_BENEFICIARY)
    assert learned.sentences is not None
    words_alone = learned.sentences.probabilities(["There are no third party beneficiaries."])
    assert words_alone[0, column] > 0.5  # the model alone would find it
    refused = _finding(find_clauses(denial, [], clause_rules(), learned), C.THIRD_PARTY_BENEFICIARY)
    assert not refused.present  # type: ignore[attr-defined]
    grant = CONTRACT.replace(
        "3. Notices.", "3. Beneficiaries. The Affiliates shall be third party beneficiaries."
    )
    found = _finding(find_clauses(grant, [], clause_rules(), learned), C.THIRD_PARTY_BENEFICIARY)
    assert found.present and found.model_probability > 0.5  # type: ignore[attr-defined]


def test_a_relaxed_second_reading_relaxes_the_models_threshold(
    trained: cm.SentenceModel,
) -> None:
    column = CATEGORIES.index(C.NON_COMPETE)
    best = float(
        np.nanmax(
            trained.best(
                [
                    "During the term Buyer shall refrain from selling any "
                    "product similar to the Products anywhere."
                ]
            )[column]
        )
    )
    learned = _model(trained, "model", min(0.99, best / 0.8))  # just out of reach at first
    first = _finding(find_clauses(CONTRACT, [], clause_rules(), learned), C.NON_COMPETE)
    assert not first.present  # type: ignore[attr-defined]
    feedback = ["no clause of any category was found; read the whole contract again"]
    again = _finding(find_clauses(CONTRACT, feedback, clause_rules(), learned), C.NON_COMPETE)
    assert again.present  # type: ignore[attr-defined]


def _write_data(path: Path, extra: list[tuple[str, str, list[str]]] | None = None) -> None:
    texts, labels = _sentences()
    rows = [
        ("c.pdf", text, [CATEGORIES[i].value for i in np.flatnonzero(row)])
        for text, row in zip(texts, labels, strict=True)
    ]
    write_training_data(path, rows + (extra or []))


@pytest.fixture
def own_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    data, decisions = tmp_path / "sentences.csv", tmp_path / "decisions.yaml"
    _write_data(data)
    decisions.write_text(
        "categories:\n  Non-Compete:\n    use: either\n    threshold: 0.8\n", encoding="utf-8"
    )
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA", str(data))
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_MODEL_FILE", str(decisions))
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_MODELS_DIR", str(tmp_path / "models"))
    return {"data": data, "decisions": decisions, "models": tmp_path / "models"}


def _analyse(content: str = CONTRACT) -> ClauseReport | Outcome:
    return analyse_clauses(
        StageInput(contract_id="c", content=content), AgentContext(database_url="memory://")
    )


def test_training_is_done_on_first_use_cached_by_the_datas_hash_and_redone_when_it_changes(
    own_files: dict[str, Path],
) -> None:
    report = _analyse()
    assert _finding(report, C.NON_COMPETE).present  # type: ignore[attr-defined]
    assert isinstance(report, ClauseReport) and report.clause_model is not None
    (folder,) = (own_files["models"] / "contract_review").iterdir()
    assert folder.name == report.clause_model
    again = cm.train()
    assert again["cached"] and again["rows"] == len(_sentences()[0]) and again["categories"] == 1
    # The same file rewritten with another label: a new model, and runs use it.
    _write_data(
        own_files["data"],
        [("d.pdf", "Buyer shall not compete with Supplier anywhere.", [NON_COMPETE])],
    )
    changed = _analyse()
    assert isinstance(changed, ClauseReport)
    assert changed.clause_model not in {None, report.clause_model}
    assert cm.train()["cached"] and cm.train()["rows"] == again["rows"] + 1


def test_training_other_data_says_runs_use_the_configured_data(
    own_files: dict[str, Path], tmp_path: Path
) -> None:
    other = tmp_path / "other.csv"
    _write_data(other, [("d.pdf", "Notices are sent by post.", [])])
    report = cm.train(other)
    assert not report["cached"] and "BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA" in report["note"]


def test_a_decision_for_a_category_the_model_never_learned_fails_the_stage_naming_it(
    own_files: dict[str, Path],
) -> None:
    own_files["decisions"].write_text(
        "categories:\n  Non-Compete: {use: either, threshold: 0.8}\n"
        "  Audit Rights: {use: both, threshold: 0.5}\n",
        encoding="utf-8",
    )
    result = _analyse()
    assert isinstance(result, Outcome) and result.error_kind is ErrorKind.UNAVAILABLE
    assert "Audit Rights" in result.reason and str(own_files["decisions"]) in result.reason


def test_a_broken_decisions_file_fails_the_stage_as_unavailable_naming_the_file(
    own_files: dict[str, Path],
) -> None:
    decisions = own_files["decisions"]
    decisions.write_text("categories:\n  Non-Compete:\n    use: model\n", encoding="utf-8")
    result = _analyse()
    assert isinstance(result, Outcome) and result.error_kind is ErrorKind.UNAVAILABLE
    assert str(decisions) in result.reason and "needs a threshold" in result.reason


def test_decisions_that_use_no_model_need_no_training_not_even_before_a_run(
    own_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    own_files["decisions"].write_text(
        "categories:\n  Non-Compete:\n    use: rules\n", encoding="utf-8"
    )
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA", str(tmp_path / "none.csv"))
    learned = cm.clause_model()
    assert learned.sentences is None and learned.key is None
    assert "nothing to train" in cm.train_when_used()["summary"]
    assert not own_files["models"].exists()
