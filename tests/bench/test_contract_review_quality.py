"""The contract review quality benchmark, run as a user runs it, on a small CUAD-format fixture."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bench.contract_review_quality import (
    CATEGORIES,
    FIELD_COLUMNS,
    field_right,
    label_date,
    normalise_text,
    party_names,
)
from tests.conftest import ROOT

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


def write_fixture(root: Path) -> tuple[Path, Path]:
    folder = root / "mini_cuad"
    folder.mkdir()
    for name, text in (("Alpha", ALPHA), ("Gamma", GAMMA), ("Epsilon", EPSILON)):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    labels = root / "master_clauses.csv"
    with labels.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns())
        writer.writeheader()
        for filename, present in LABELLED.items():
            row = {"Filename": filename}
            for category in CATEGORIES:
                row[category] = str(["clause text"]) if category in present else "[]"
            parties, day, law = ANSWERS[filename]
            row[FIELD_COLUMNS["parties"]] = parties
            row[FIELD_COLUMNS["agreement_date"]] = day
            row[FIELD_COLUMNS["governing_law"]] = law
            writer.writerow({column: row.get(column, "") for column in columns()})
    return folder, labels


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.contract_review_quality", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


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
        assert set(report["fields"]) == set(FIELD_COLUMNS)
        assert all(field["n"] == 3 for field in report["fields"].values())
        assert all(0 <= field["share"] <= 1 for field in report["fields"].values())
    else:
        assert report["fields_skipped"]


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


def test_label_dates_and_names_are_normalised_before_comparing() -> None:
    assert label_date("5/8/14") == date(2014, 5, 8)
    assert label_date("12/31/1998") == date(1998, 12, 31)
    assert label_date("[]/[]/2020") is None
    assert party_names(['Birch First Global Investments Inc. ("Company")', "Mount Co., Ltd."]) == {
        "birch first global investments",
        "mount",
    }
    assert normalise_text("successive one (1) years") == normalise_text("Successive 1 year")
    assert normalise_text("the State of New York") == "new york"


def test_a_field_is_right_only_when_label_and_prediction_agree() -> None:
    on = SimpleNamespace(value="May 8, 2014", on=date(2014, 5, 8))
    assert field_right("agreement_date", "5/8/14", on)
    assert not field_right("agreement_date", "5/9/14", on)
    assert field_right("agreement_date", "", None)
    assert not field_right("agreement_date", "", on)
    assert not field_right("governing_law", "Texas", None)
    assert field_right("governing_law", "Texas", SimpleNamespace(value="the State of Texas"))
    parties = [SimpleNamespace(value="Alpha Parts, Inc."), SimpleNamespace(value="Beta Motors")]
    assert field_right("parties", 'Alpha Parts Inc. ("A"); Beta Motors LLC ("B")', parties)
    assert not field_right("parties", 'Alpha Parts Inc. ("A")', parties)
