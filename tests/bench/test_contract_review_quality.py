"""The contract review quality benchmark, run as a user runs it, on a small CUAD-format fixture."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from schemas.contract_review import CUAD_ANSWER_COLUMNS, FACT_FIELDS, ClauseCategory
from tests.conftest import python_module

CATEGORIES = tuple(category.value for category in ClauseCategory)
"""CUAD's 41 clause categories, each a column of `master_clauses.csv`."""
FIELD_COLUMNS = CUAD_ANSWER_COLUMNS

ALPHA = """SUPPLY AGREEMENT

This Supply Agreement is made as of March 3, 2020 by and between Alpha Parts Inc., a Nevada
corporation ("Supplier"), and Beta Motors LLC, a Delaware limited liability company ("Buyer").

1. Assignment. Neither party may assign this Agreement without the prior written consent of the
other party.

2. Governing Law. This Agreement shall be governed by the laws of the State of Texas.
"""

GAMMA = """SERVICES AGREEMENT

This Services Agreement is made as of June 1, 2021 by and between Gamma Labs Ltd., an English
company ("Provider"), and Delta Foods Corp., a Delaware corporation ("Client").

1. Records. Provider shall keep accurate books and records, and Client shall have the right to
audit such books and records once per year.

2. Governing Law. This Agreement shall be governed by the laws of the State of New York.
"""

EPSILON = """LICENSE AGREEMENT

This License Agreement is made as of January 5, 2019 by and between Epsilon Media Inc., a
California corporation ("Licensor"), and Zeta Studio LLC, a Nevada limited liability company
("Licensee").

1. Payment. Licensee shall pay the fees set out in Exhibit A within thirty days of each invoice.
"""

METADATA = {"Document Name", "Parties", "Agreement Date"}
LABELLED = {
    # Alpha: everything the rules find is labelled.
    "Alpha.pdf": METADATA | {"Governing Law", "Anti-Assignment"},
    # Gamma: the audit clause is not labelled (a false positive), insurance is labelled but the
    # text has none (a false negative).
    "Gamma.pdf": METADATA | {"Governing Law", "Insurance"},
    # Epsilon: an anti-assignment label with no such clause in the text (a false negative).
    "Epsilon.pdf": METADATA | {"Anti-Assignment"},
    # A label row whose contract file is not in the folder.
    "Missing.pdf": METADATA,
}
ANSWERS = {
    "Alpha.pdf": ['Alpha Parts Inc. ("Supplier"); Beta Motors LLC ("Buyer")', "3/3/20", "Texas"],
    "Gamma.pdf": [
        'Gamma Labs Ltd. ("Provider"); Delta Foods Corp. ("Client")',
        "6/1/21",
        "New York",
    ],
    "Epsilon.pdf": ['Epsilon Media Inc. ("Licensor"); Zeta Studio LLC ("Licensee")', "1/5/19", ""],
    "Missing.pdf": ["", "", ""],
}


def columns() -> list[str]:
    names = ["Filename"]
    for category in CATEGORIES:
        answer = next(
            (c for c in FIELD_COLUMNS.values() if c.startswith(category) and c != category),
            f"{category}-Answer",
        )
        names += [category, answer]
    return names


def write_labels(path: Path, rows: dict[str, tuple[set[str], dict[str, str]]]) -> Path:
    """A CUAD-format label file: file name → (categories present, key-term answers)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns())
        writer.writeheader()
        for filename, (present, answers) in rows.items():
            row = {"Filename": filename}
            for category in CATEGORIES:
                row[category] = str(["clause text"]) if category in present else "[]"
            for name, answer in answers.items():
                row[FIELD_COLUMNS[name]] = answer
            writer.writerow({column: row.get(column, "") for column in columns()})
    return path


def write_fixture(root: Path) -> tuple[Path, Path]:
    folder = root / "mini_cuad"
    folder.mkdir()
    for name, text in (("Alpha", ALPHA), ("Gamma", GAMMA), ("Epsilon", EPSILON)):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    rows = {}
    for filename, present in LABELLED.items():
        parties, day, law = ANSWERS[filename]
        answers = {"parties": parties, "agreement_date": day, "governing_law": law}
        rows[filename] = (present, answers)
    return folder, write_labels(root / "master_clauses.csv", rows)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return python_module("bench.contract_review_quality", *args, timeout=120)


def test_json_report_has_the_counts_the_fixture_implies(tmp_path: Path) -> None:
    folder, labels = write_fixture(tmp_path)
    done = run(str(folder), str(labels), "--json")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["set"] == "mini_cuad" and report["contracts"] == 3
    assert report["missing_contracts"] == ["Missing.pdf"]
    assert "Missing.pdf" in done.stderr
    assert set(report["categories"]) == set(CATEGORIES)
    # 12 true positives, 1 false positive (Gamma's audit), 2 false negatives.
    assert report["micro_precision"] == pytest.approx(12 / 13, abs=1e-4)
    assert report["micro_recall"] == pytest.approx(12 / 14, abs=1e-4)
    assert report["micro_f1"] == pytest.approx(24 / 27, abs=1e-4)
    categories = report["categories"]
    assert categories["Governing Law"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "support": 2,
        "predicted": 2,
    }
    assert categories["Anti-Assignment"]["support"] == 2
    assert categories["Anti-Assignment"]["predicted"] == 1
    assert categories["Anti-Assignment"]["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert categories["Audit Rights"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
        "predicted": 1,
    }
    assert categories["Insurance"]["support"] == 1 and categories["Insurance"]["predicted"] == 0
    assert categories["Source Code Escrow"]["support"] == 0
    # Macro: the 7 categories with a labelled or predicted positive (3 metadata + governing law
    # at 1.0, anti-assignment at 2/3, audit and insurance at 0).
    assert report["macro_f1"] == pytest.approx((4 + 2 / 3) / 7, abs=1e-4)
    if report["fields"]:
        assert set(report["fields"]) == set(FIELD_COLUMNS) == set(FACT_FIELDS)
        assert all(field["n"] == 3 for field in report["fields"].values())
        assert all(0 <= field["share"] <= 1 for field in report["fields"].values())
    else:
        assert report["fields_skipped"]


def test_folds_report_each_fold_and_their_spread(tmp_path: Path) -> None:
    folder, labels = write_fixture(tmp_path)
    # Three contracts: three folds of one each; a fold's micro F1 is that contract's.
    done = run(str(folder), str(labels), "--json", "--folds", "3")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    folds = report["folds"]
    assert folds["k"] == 3 and folds["contracts"] == [1, 1, 1] and folds["seed"] == 2026
    micro = folds["micro_f1"]
    assert len(micro["per_fold"]) == 3
    assert micro["min"] <= micro["mean"] <= micro["max"]
    assert micro["mean"] == pytest.approx(sum(micro["per_fold"]) / 3, abs=1e-4)
    assert micro["std"] > 0, "the three contracts are not scored alike"
    assert set(folds["fields"]) == set(report["fields"])
    # The default is five folds: more than the three contracts, so none are reported.
    assert json.loads(run(str(folder), str(labels), "--json").stdout)["folds"] is None
    for bad in ("1", "-2"):
        refused = run(str(folder), str(labels), "--folds", bad)
        assert refused.returncode == 2 and "--folds must be 0" in refused.stderr


def test_markdown_section_names_the_set_and_the_figures(tmp_path: Path) -> None:
    folder, labels = write_fixture(tmp_path)
    done = run(str(folder), str(labels))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("## Contract review quality")
    assert "`mini_cuad`" in done.stdout and "**Micro F1 0.889**" in done.stdout
    assert "| Governing Law | 2 | 2 | 1.00 | 1.00 | 1.00 |" in done.stdout


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    _, labels = write_fixture(tmp_path)
    done = run(str(tmp_path / "nowhere"), str(labels), "--json")
    assert done.returncode != 0 and done.stdout == ""
    assert f"{tmp_path / 'nowhere'}: contracts folder not found" in done.stderr


def test_a_missing_label_file_is_a_clear_error(tmp_path: Path) -> None:
    folder, _ = write_fixture(tmp_path)
    done = run(str(folder), str(tmp_path / "labels.csv"))
    assert done.returncode != 0
    assert f"{tmp_path / 'labels.csv'}: label file not found" in done.stderr


def test_a_csv_without_the_cuad_columns_is_a_clear_error(tmp_path: Path) -> None:
    folder, _ = write_fixture(tmp_path)
    labels = tmp_path / "other.csv"
    labels.write_text("name,score\nAlpha.pdf,3\n", encoding="utf-8")
    done = run(str(folder), str(labels), "--json")
    assert done.returncode != 0
    assert str(labels) in done.stderr and "missing columns" in done.stderr


def test_a_cell_that_is_not_a_list_literal_is_a_clear_error(tmp_path: Path) -> None:
    folder, labels = write_fixture(tmp_path)
    text = labels.read_text(encoding="utf-8").replace("['clause text']", "clause text", 1)
    labels.write_text(text, encoding="utf-8")
    done = run(str(folder), str(labels), "--json")
    assert done.returncode != 0
    assert f"{labels}, line 2" in done.stderr and "expected a list literal" in done.stderr


BIRCH = """DISTRIBUTION AGREEMENT

This Distribution Agreement is made as of May 8, 2014 by and between Birch First Global
Investments, Inc., a Nevada corporation ("Company"), and Mount Co., Ltd., a Japanese company
("Distributor").

1. Term. This Agreement shall automatically renew for successive one (1) year periods unless
either party gives notice of non-renewal.

2. Governing Law. This Agreement shall be governed by the laws of the State of New York.
"""

OAK = """LEASE AGREEMENT

This Lease Agreement is made as of December 31, 1998 by and between Oak Holdings LLC, a Delaware
limited liability company ("Landlord"), and Pine Retail Corp., a Texas corporation ("Tenant").

1. Term. This Agreement shall continue in perpetuity unless terminated by either party.

2. Governing Law. This Agreement shall be governed by the laws of the Commonwealth of
Massachusetts.
"""

PLAIN = """CONSULTING AGREEMENT

This Consulting Agreement is entered into by and between Cedar Advisors LLC, a Delaware limited
liability company ("Consultant"), and Elm Foods Inc., an Ohio corporation ("Client").

1. Services. Consultant shall provide the services described in Exhibit A.
"""

BIRCH_PARTIES = 'Birch First Global Investments Inc. ("Company"); Mount Co., Ltd.'
OAK_PARTIES = 'Oak Holdings LLC ("Landlord"); Pine Retail Corp. ("Tenant")'
KEY_TERMS: dict[str, tuple[str, dict[str, str]]] = {
    # Extraction reads Birch as: parties "Birch First Global Investments, Inc." and "Mount Co.,
    # Ltd.", agreement date May 8, 2014, renewal "successive 1 year periods", law "New York".
    "Birch.pdf": (
        BIRCH,
        {
            "parties": BIRCH_PARTIES,  # defined terms, punctuation and suffixes dropped
            "agreement_date": "5/8/14",  # m/d/yy, a two-digit year below 50 is 20xx
            "renewal_term": "successive one (1) year period",  # number words, "(1)", plurals
            "governing_law": "the State of New York",
        },
    ),
    "Birch-Again.pdf": (
        BIRCH,
        {
            "parties": 'Birch First Global Investments Inc. ("Company")',  # one party short
            "agreement_date": "5/9/14",  # another day
            "renewal_term": "",  # no label, but a prediction
            "governing_law": "",
        },
    ),
    # Oak: parties "Oak Holdings LLC" and "Pine Retail Corp.", agreement date December 31, 1998,
    # expiration "in perpetuity", law "Massachusetts".
    "Oak.pdf": (
        OAK,
        {
            "parties": OAK_PARTIES,
            "agreement_date": "12/31/1998",
            "expiration_date": "In perpetuity",  # not a calendar date: compared as text
            "governing_law": "Commonwealth of Massachusetts",
        },
    ),
    "Oak-Again.pdf": (
        OAK,
        {
            "parties": OAK_PARTIES,
            "agreement_date": "12/31/98",  # a two-digit year from 50 up is 19xx
            "expiration_date": "",
            "governing_law": "Texas",
        },
    ),
    "Oak-Redacted.pdf": (
        OAK,
        {
            "parties": OAK_PARTIES,
            "agreement_date": "[]/[]/1998",  # redacted: not a date, and not the text read
            "expiration_date": "perpetual",  # CUAD's word for no fixed end: matched by kind
            "governing_law": "Massachusetts",
        },
    ),
    # Plain: parties "Cedar Advisors LLC" and "Elm Foods Inc.", no date and no governing law.
    "Plain.pdf": (
        PLAIN,
        {
            "parties": 'Cedar Advisors LLC ("Consultant"); Elm Foods Inc. ("Client")',
            "agreement_date": "",  # no label and no prediction: right
            "governing_law": "Texas",  # a label and no prediction: wrong
        },
    ),
}
WRONG = {
    "parties": {"Birch-Again.pdf"},
    "agreement_date": {"Birch-Again.pdf", "Oak-Redacted.pdf"},
    "effective_date": set(),
    "expiration_date": {"Oak-Again.pdf"},
    "renewal_term": {"Birch-Again.pdf"},
    "notice_period": set(),
    "governing_law": {"Birch-Again.pdf", "Oak-Again.pdf", "Plain.pdf"},
}


def test_a_key_term_is_right_only_when_label_and_prediction_agree(tmp_path: Path) -> None:
    """Labels are normalised before comparing (dates as days, party names without defined terms
    and corporate suffixes, text without number words, plurals and "the State of"); an empty
    label is right only with no prediction."""
    folder = tmp_path / "key_terms"
    folder.mkdir()
    for filename, (text, _) in KEY_TERMS.items():
        (folder / f"{Path(filename).stem}.txt").write_text(text, encoding="utf-8")
    labels = write_labels(
        tmp_path / "labels.csv",
        {filename: (set(), answers) for filename, (_, answers) in KEY_TERMS.items()},
    )
    done = run(str(folder), str(labels), "--json")
    assert done.returncode == 0, done.stderr
    fields = json.loads(done.stdout)["fields"]
    assert {name: {w["contract"] for w in f["wrong"]} for name, f in fields.items()} == WRONG
    for name, figures in fields.items():
        assert figures["n"] == len(KEY_TERMS)
        assert figures["right"] == len(KEY_TERMS) - len(WRONG[name])
    wrong_day = next(w for w in fields["agreement_date"]["wrong"] if w["label"] == "5/9/14")
    assert wrong_day == {
        "contract": "Birch-Again.pdf",
        "label": "5/9/14",
        "predicted": "May 8, 2014",
    }
    short = fields["parties"]["wrong"][0]
    assert short["predicted"] == ["Birch First Global Investments, Inc.", "Mount Co., Ltd."]
    unread = next(w for w in fields["governing_law"]["wrong"] if w["contract"] == "Plain.pdf")
    assert unread["predicted"] is None


CLARUS = """SUBSCRIPTION AGREEMENT

This Subscription Agreement is made as of April 2, 2019 by and between Clarus IV-C, L.P., a
Delaware limited partnership ("Fund"), and Mount Knowledge Holdings Inc., a Nevada corporation
("Investor").
"""

PARTY_LABELS = {
    # Extraction reads Clarus as "Clarus IV-C, L.P." and "Mount Knowledge Holdings Inc.".
    # CUAD lists the parties together as an entry of their own: a reference, not a party.
    "Together.pdf": 'Clarus IV-C, L.P. ("Fund"); Mount Knowledge Holdings Inc. ("Investor"); '
    'Fund and Investor (individually a "Party" and collectively the "Parties")',
    # A misspelt label (one letter dropped) and a defined term given in quotes alone.
    "Misspelt.pdf": 'Clarus IV-C, L.P. "Fund"; Mount Kowledge Holdings Inc. ("Investor")',
    # A qualifier is not part of the name.
    "Qualified.pdf": 'Clarus IV-C, L.P. including its successors and permitted assigns ("Fund"); '
    'Mount Knowledge Holdings Inc. ("Investor")',
    # Another fund of the same family differs by one letter: a different party, wrong.
    "Sibling.pdf": 'Clarus IV-B, L.P. ("Fund"); Mount Knowledge Holdings Inc. ("Investor")',
    # A party the contract does not name: wrong.
    "Third.pdf": 'Clarus IV-C, L.P. ("Fund"); Mount Knowledge Holdings Inc. ("Investor"); '
    'Arnold Pine ("Guarantor")',
    # A different word in a name is not a misspelling: wrong.
    "Renamed.pdf": 'Clarus IV-C, L.P. ("Fund"); Mount Wisdom Holdings Inc. ("Investor")',
    # Nor is a word with another ending ("Knowledges" for "Knowledge"): wrong.
    "Plural.pdf": 'Clarus IV-C, L.P. ("Fund"); Mount Knowledges Holdings Inc. ("Investor")',
    # Two parties in one entry, the second following the first's defined term: right.
    "OneEntry.pdf": "Mount Knowledge Holdings Inc. including its successors and assigns "
    '("Investor"), Clarus IV-C, L.P. ("Fund")',
}


def test_party_labels_are_read_as_names(tmp_path: Path) -> None:
    """A party label is compared name by name: an entry naming other parties together is left
    out, defined terms (quoted alone too) and qualifiers are dropped, and a label name may differ
    from the contract's by one letter in one long word; a sibling fund ("IV-B" for "IV-C"), a
    party too many or another word is wrong. `parties_exact` keeps the strict set comparison."""
    folder = tmp_path / "parties"
    folder.mkdir()
    for filename in PARTY_LABELS:
        (folder / f"{Path(filename).stem}.txt").write_text(CLARUS, encoding="utf-8")
    labels = write_labels(
        tmp_path / "labels.csv",
        {name: (set(), {"parties": label}) for name, label in PARTY_LABELS.items()},
    )
    done = run(str(folder), str(labels), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    parties = report["fields"]["parties"]
    assert {wrong["contract"] for wrong in parties["wrong"]} == {
        "Sibling.pdf",
        "Third.pdf",
        "Renamed.pdf",
        "Plural.pdf",
    }
    assert parties["wrong"][0]["predicted"] == [
        "Clarus IV-C, L.P.",
        "Mount Knowledge Holdings Inc.",
    ]
    # Strictly, only an exact set of names counts: none of these labels is one.
    assert report["parties_exact"] == {"share": 0.0, "right": 0, "n": len(PARTY_LABELS)}


def _own_clause_model(root: Path, monkeypatch: pytest.MonkeyPatch, contract: str) -> None:
    """A clause model trained on sentences of `contract` (and others), with a say in Governing
    Law: runs and the bench use it."""
    laws = [
        f"This Agreement shall be governed by the laws of the State of {state}."
        for state in ("Texas", "Ohio", "Utah", "Iowa", "Maine")
    ]
    other = [f"Notices shall be {verb} in writing." for verb in ("given", "sent", "mailed")]
    lines = ["contract,text,categories"]
    lines += [f"{contract},{law},Governing Law" for law in laws]
    lines += [f"Other.pdf,{text}," for text in other]
    sentences = root / "sentences.csv"
    sentences.write_text("\n".join(lines) + "\n", encoding="utf-8")
    decisions = root / "clause_model.yaml"
    decisions.write_text(
        "categories:\n  Governing Law: {use: either, threshold: 0.5}\n", encoding="utf-8"
    )
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA", str(sentences))
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_MODEL_FILE", str(decisions))
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_MODELS_DIR", str(root / "models"))


def test_a_set_the_clause_model_did_not_learn_from_is_scored_by_the_shipped_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, labels = write_fixture(tmp_path)
    _own_clause_model(tmp_path, monkeypatch, "Unrelated.pdf")
    report = json.loads(run(str(folder), str(labels), "--json").stdout)
    assert report["clause_presence"].startswith("the shipped clause analysis")
    assert not report["failures"]


def test_a_small_set_the_clause_model_learned_from_is_scored_by_the_rules_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, labels = write_fixture(tmp_path)
    _own_clause_model(tmp_path, monkeypatch, "Alpha.pdf")
    done = run(str(folder), str(labels), "--json", "--folds", "2")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "was trained on contracts of this set" in report["clause_presence"]
    assert "the rules' alone" in report["clause_presence"]
    assert report["micro_f1"] == pytest.approx(24 / 27, abs=1e-4) and not report["failures"]


def test_a_set_the_clause_model_learned_from_is_scored_with_models_trained_without_each_fold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cuad8"
    folder.mkdir()
    rows = {}
    for number in range(1, 5):
        for name, text in (("Alpha", ALPHA), ("Gamma", GAMMA)):
            filename = f"{name}{number}.pdf"
            (folder / f"{name}{number}.txt").write_text(text, encoding="utf-8")
            parties, day, law = ANSWERS[f"{name}.pdf"]
            answers = {"parties": parties, "agreement_date": day, "governing_law": law}
            rows[filename] = (LABELLED[f"{name}.pdf"], answers)
    labels = write_labels(tmp_path / "master_clauses.csv", rows)
    _own_clause_model(tmp_path, monkeypatch, "Alpha1.pdf")
    done = run(str(folder), str(labels), "--json", "--folds", "2")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "inner folds, on the other 1 folds of this set only" in report["clause_presence"]
    assert report["folds"]["k"] == 2 and report["folds"]["contracts"] == [4, 4]
    # The labels quote no clause text the model could learn from: the rules decide, as scored.
    assert report["micro_f1"] == pytest.approx(72 / 80, abs=1e-4)


def test_unusable_clause_model_files_stop_the_bench_before_it_scores_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, labels = write_fixture(tmp_path)
    broken = tmp_path / "sentences.csv"
    broken.write_text("contract,text\n", encoding="utf-8")
    monkeypatch.setenv("BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA", str(broken))
    done = run(str(folder), str(labels), "--json")
    assert done.returncode == 2 and str(broken) in done.stderr
    assert "missing: categories" in done.stderr and "Traceback" not in done.stderr
