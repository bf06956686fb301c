"""The clause model's two files: the legal owner's decisions file and the labelled sentences it
learns from, each refused with its file and line when something in it is wrong."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from agents.contract_review.clause_decisions import (
    DEFAULT_DECISIONS_FILE,
    CategoryDecision,
    read_decisions,
)
from agents.contract_review.clause_sentences import (
    CATEGORIES,
    read_training_data,
    write_training_data,
)
from agents.data_files import DataFileError
from schemas.contract_review import ClauseCategory

C = ClauseCategory
NON_COMPETE = C.NON_COMPETE.value


def _decision(use: str) -> CategoryDecision:
    return CategoryDecision.model_validate(
        {"use": use} if use == "rules" else {"use": use, "threshold": 0.5}
    )


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
    decision = _decision(use)
    assert decision.decide(by_rules, probability) is present
    assert decision.decide(by_rules, None) is by_rules  # no model for the category: the rules


def test_a_relaxed_reading_lowers_the_models_threshold_too() -> None:
    decision = _decision("model")
    assert not decision.decide(False, 0.45)
    assert decision.decide(False, 0.45, factor=0.75)


def test_the_shipped_decisions_load_and_name_only_categories_the_model_has_a_say_in() -> None:
    decisions = read_decisions(DEFAULT_DECISIONS_FILE)
    assert decisions.uses_model() and decisions.chosen_by
    assert all(d.use in {"either", "both"} for d in decisions.categories.values())
    assert decisions.of(C.NO_SOLICIT_OF_CUSTOMERS).use == "rules"  # not named: the rules


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("categories:\n  Non Compete:\n    use: either\n    threshold: 0.5\n", "Non Compete"),
        ("categories:\n  Non-Compete:\n    use: model\n", "needs a threshold"),
        ("categories:\n  Non-Compete:\n    use: rules\n    threshold: 0.5\n", "no threshold"),
        ("categories:\n  Non-Compete:\n    use: either\n    threshold: 1.5\n", "line 4"),
        ("categories:\n  Non-Compete:\n    use: always\n    threshold: 0.5\n", "use (line 3)"),
        ("categories:\n  Non-Compete:\n    use: both\n    treshold: 0.5\n", "treshold"),
        ("categories:\n  Non-Compete:\n    use: both\n    threshold: '0.5'\n", "threshold"),
        (
            "categories:\n  Non-Compete: {use: both, threshold: 0.5}\n"
            "  Non-Compete: {use: either, threshold: 0.9}\n",
            "given twice",
        ),
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


def test_a_decisions_file_that_is_not_utf8_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "clause_model.yaml"
    path.write_bytes(b"categories:\n  Non-Compete:\n    use: both # \xff\n")
    with pytest.raises(DataFileError, match="not UTF-8"):
        read_decisions(path)


def test_training_data_round_trips_and_same_rows_give_the_same_bytes(tmp_path: Path) -> None:
    rows = [
        ("a.pdf", "The Buyer shall not compete.", [NON_COMPETE]),
        ("a.pdf", "Notices  shall be\n given in writing.", []),
        ("b.pdf", "Either party may terminate on 30 days notice.", ["Termination For Convenience"]),
    ]
    first, second = tmp_path / "one.csv.gz", tmp_path / "two.CSV.GZ"
    write_training_data(first, rows)
    write_training_data(second, rows)
    assert first.read_bytes() == second.read_bytes()
    data = read_training_data(second)
    assert data.contracts == ["a.pdf", "a.pdf", "b.pdf"]
    assert data.texts[1] == "Notices shall be given in writing."
    assert data.labels[0, CATEGORIES.index(C.NON_COMPETE)] and not data.labels[1].any()
    assert data.labels[2, CATEGORIES.index(C.TERMINATION_FOR_CONVENIENCE)]


def test_a_spreadsheets_byte_order_mark_is_not_part_of_the_header(tmp_path: Path) -> None:
    path = tmp_path / "sentences.csv"
    path.write_bytes(b"\xef\xbb\xbfcontract,text,categories\na.pdf,Do not compete.,Non-Compete\n")
    assert read_training_data(path).contracts == ["a.pdf"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("contract,text\na.pdf,x\n", "missing: categories"),
        ("contract,text,categories\na.pdf,Some text,Non Compete\n", "line 2: 'Non Compete'"),
        ("contract,text,categories\na.pdf,,Non-Compete\n", "line 2: empty text"),
        ("contract,text,categories\n,Do not compete.,Non-Compete\n", "line 2: empty contract"),
        ("contract,text,categories\na.pdf,Some text,\n", "no sentence is labelled"),
        (
            'contract,text,categories\na.pdf,"Do not compete.,Non-Compete\nb.pdf,x,\n',
            "the row after line 1 is not a CSV row",
        ),
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


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (gzip.compress(b"contract,text,categories\n" * 50)[:-20], "not a whole gzip file"),
        (b"not gzip at all", "not a whole gzip file"),
        (gzip.compress("contract,text,categories\na.pdf,\xe9\n".encode("latin-1")), "not UTF-8"),
    ],
    # named, so that every worker collects the same ids (gzip stamps the time in its bytes)
    ids=["cut short", "not gzip", "latin-1 inside"],
)
def test_a_broken_gzip_file_is_refused_naming_it(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "sentences.csv.gz"
    path.write_bytes(content)
    with pytest.raises(DataFileError) as error:
        read_training_data(path)
    assert str(path) in str(error.value) and expected in str(error.value)
