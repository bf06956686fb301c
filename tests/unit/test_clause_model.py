"""The learned half of clause analysis: its decisions file, its training data, the model, and how
clause analysis combines it with the rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents.contract_review import clause_model as cm
from agents.contract_review.clause_model import (
    CATEGORIES,
    CategoryDecision,
    ClauseDecisions,
    ClauseModel,
    fit_sentence_model,
    read_decisions,
    read_training_data,
    write_training_data,
)
from agents.contract_review.clause_rules import clause_rules
from agents.contract_review.clauses import analyse_clauses, find_clauses
from agents.data_files import DataFileError
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


@pytest.mark.parametrize(
    ("use", "by_rules", "probability", "present"),
    [
        ("rules", True, 0.0, True),
        ("rules", False, 0.99, False),
        ("model", True, 0.2, False),
        ("model", False, 0.8, True),
        ("either", False, 0.8, True),
        ("either", True, 0.1, True),
        ("either", False, 0.1, False),
        ("both", True, 0.8, True),
        ("both", True, 0.1, False),
        ("both", False, 0.9, False),
    ],
)
def test_a_decision_combines_the_rules_and_the_model_as_its_use_says(
    use: str, by_rules: bool, probability: float, present: bool
) -> None:
    decision = CategoryDecision.model_validate({"use": use, "threshold": 0.5})
    assert decision.decide(by_rules, probability) is present
    assert decision.decide(by_rules, None) is by_rules  # no model for the category: the rules


def test_the_shipped_decisions_load_and_name_only_categories_that_use_the_model() -> None:
    decisions = read_decisions(cm.DEFAULT_DECISIONS_FILE)
    assert decisions.uses_model()
    assert all(d.use != "rules" and d.threshold is not None for d in decisions.categories.values())
    assert decisions.of(C.GOVERNING_LAW).use in {"rules", "model", "either", "both"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("categories:\n  Non Compete:\n    use: either\n    threshold: 0.5\n", "Non Compete"),
        ("categories:\n  Non-Compete:\n    use: model\n", "needs a threshold"),
        ("categories:\n  Non-Compete:\n    use: either\n    threshold: 1.5\n", "line 4"),
        ("categories:\n  Non-Compete:\n    use: always\n    threshold: 0.5\n", "use (line 3)"),
        ("categories:\n  Non-Compete:\n    use: both\n    treshold: 0.5\n", "treshold"),
        ("categories:\n  Non-Compete:\n    use: both\n    threshold: '0.5'\n", "threshold"),
        ("rules: []\n", "rules"),
        ("categories: [\n", "not valid YAML"),
    ],
)
def test_a_broken_decisions_file_is_refused_naming_what_and_where(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = tmp_path / "clause_model.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataFileError) as error:
        read_decisions(path)
    assert str(path) in str(error.value) and expected in str(error.value)


def test_training_data_round_trips_and_same_rows_give_the_same_bytes(tmp_path: Path) -> None:
    rows = [
        ("a.pdf", "The Buyer shall not compete.", [NON_COMPETE]),
        ("a.pdf", "Notices  shall be\n given in writing.", []),
        ("b.pdf", "Either party may terminate on 30 days notice.", ["Termination For Convenience"]),
    ]
    first, second = tmp_path / "one.csv.gz", tmp_path / "two.csv.gz"
    write_training_data(first, rows)
    write_training_data(second, rows)
    assert first.read_bytes() == second.read_bytes()
    data = read_training_data(first)
    assert data.contracts == ["a.pdf", "a.pdf", "b.pdf"]
    assert data.texts[1] == "Notices shall be given in writing."
    assert data.labels[0, CATEGORIES.index(C.NON_COMPETE)] and not data.labels[1].any()
    assert data.labels[2, CATEGORIES.index(C.TERMINATION_FOR_CONVENIENCE)]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("contract,text\na.pdf,x\n", "missing: categories"),
        ("contract,text,categories\na.pdf,Some text,Non Compete\n", "line 2: 'Non Compete'"),
        ("contract,text,categories\na.pdf,,Non-Compete\n", "line 2: empty text"),
        ("contract,text,categories\na.pdf,Some text,\n", "no sentence is labelled"),
    ],
)
def test_unusable_training_data_is_refused_naming_the_file_and_line(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "sentences.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFileError) as error:
        read_training_data(path)
    assert str(path) in str(error.value) and expected in str(error.value)


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


def test_a_negative_cue_of_the_rules_vetoes_the_models_sentence(
    trained: cm.SentenceModel,
) -> None:
    grant = CONTRACT.replace(
        "3. Notices.",
        "3. Beneficiaries. Buyer's affiliates are intended third party beneficiaries.",
    )
    denial = CONTRACT.replace(
        "3. Notices.", "3. No Third Party Beneficiaries. There are no third party beneficiaries."
    )
    model = cm.clause_model()
    assert C.THIRD_PARTY_BENEFICIARY.value in model.decisions.categories
    found = find_clauses(grant, [], clause_rules(), model)
    assert _finding(found, C.THIRD_PARTY_BENEFICIARY).present  # type: ignore[attr-defined]
    refused = find_clauses(denial, [], clause_rules(), model)
    assert not _finding(refused, C.THIRD_PARTY_BENEFICIARY).present  # type: ignore[attr-defined]


def test_training_is_cached_by_the_datas_hash_and_done_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts, labels = _sentences()
    data = tmp_path / "sentences.csv"
    write_training_data(
        data,
        [
            ("c.pdf", text, [CATEGORIES[i] for i in np.flatnonzero(row)])
            for text, row in zip(texts, labels, strict=True)
        ],
    )
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(
        "categories:\n  Non-Compete:\n    use: either\n    threshold: 0.5\n", encoding="utf-8"
    )
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA", str(data))
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_MODEL_FILE", str(decisions))
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_MODELS_DIR", str(tmp_path / "models"))
    result = analyse_clauses(
        StageInput(contract_id="c", content=CONTRACT), AgentContext(database_url="memory://")
    )
    assert _finding(result, C.NON_COMPETE).present  # type: ignore[attr-defined]
    (folder,) = (tmp_path / "models" / "contract_review").iterdir()
    assert folder.name == cm.data_key(data)
    again = cm.train()
    assert again["cached"] and again["rows"] == len(texts) and again["categories"] == 1
    other = tmp_path / "other.csv"
    other.write_bytes(data.read_bytes() + b'd.pdf,"Notices are sent by post.",\n')
    report = cm.train(other)
    assert not report["cached"] and report["note"] and "CLAUSE_TRAINING_DATA" in report["note"]


def test_a_broken_decisions_file_fails_the_stage_as_unavailable_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text("categories:\n  Non-Compete:\n    use: model\n", encoding="utf-8")
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_MODEL_FILE", str(decisions))
    result = analyse_clauses(
        StageInput(contract_id="c", content=CONTRACT), AgentContext(database_url="memory://")
    )
    assert isinstance(result, Outcome) and result.error_kind is ErrorKind.UNAVAILABLE
    assert str(decisions) in result.reason and "needs a threshold" in result.reason


def test_decisions_that_use_no_model_need_no_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text("categories:\n  Non-Compete:\n    use: rules\n", encoding="utf-8")
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_MODEL_FILE", str(decisions))
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA", str(tmp_path / "none.csv"))
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_MODELS_DIR", str(tmp_path / "models"))
    learned = cm.clause_model()
    assert learned.sentences is None and not (tmp_path / "models").exists()
