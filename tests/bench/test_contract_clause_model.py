"""The learned clause model's comparison bench, run as a user runs it, on generated CUAD-format
contracts: a clause the rules cannot read is learned from the training folds' labelled spans."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from schemas.contract_review import CUAD_ANSWER_COLUMNS, ClauseCategory
from tests.conftest import ROOT, python_module

CATEGORIES = tuple(category.value for category in ClauseCategory)
LEARNED = "Third Party Beneficiary"
"""The category the fixture's invented clause is labelled with (no rule reads its words)."""
CLAUSES = (
    "The zorbling of every kelvix unit stays with the {who} under the grommet protocol.",
    "Each kelvix unit is zorbled by the {who} alone, as the grommet protocol says.",
    "Under the grommet protocol the {who} keeps the zorbling of the kelvix units.",
)
WHO = ("Supplier", "Distributor", "Licensor", "Company", "Vendor", "Reseller")


def contract(number: int, invented: str | None) -> str:
    body = [
        "SUPPLY AGREEMENT",
        "",
        f"This Supply Agreement is made as of March {number + 1}, 2020 by and between Alpha "
        f'{number} Inc. ("Supplier") and Beta {number} LLC ("Buyer").',
        "",
        "1. Delivery. Supplier shall deliver the goods to the Buyer's warehouse each month.",
        "",
        "2. Governing Law. This Agreement shall be governed by the laws of the State of Texas.",
    ]
    if invented is not None:
        body += ["", f"3. Units. {invented}"]
    return "\n".join(body) + "\n"


def write_set(root: Path, count: int = 18) -> tuple[Path, Path]:
    """`count` contracts; two in three carry the invented clause, labelled with `LEARNED`."""
    folder = root / "generated_cuad"
    folder.mkdir()
    rows = []
    for number in range(count):
        invented = None
        if number % 3:
            who = WHO[number % len(WHO)]
            invented = CLAUSES[number % len(CLAUSES)].format(who=who)
        (folder / f"C{number:02d}.txt").write_text(contract(number, invented), encoding="utf-8")
        row = {"Filename": f"C{number:02d}.pdf"}
        for category in CATEGORIES:
            row[category] = "[]"
            row[f"{category}-Answer"] = ""
        row["Governing Law"] = str(["This Agreement shall be governed by the laws of the State"])
        if invented is not None:
            row[LEARNED] = str([invented])
        rows.append(row)
    labels = root / "master_clauses.csv"
    columns = [
        "Filename",
        *(c for category in CATEGORIES for c in (category, f"{category}-Answer")),
    ]
    columns += sorted(set(CUAD_ANSWER_COLUMNS.values()) - set(columns))
    with labels.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})
    return folder, labels


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return python_module("bench.contract_clause_model", *args, timeout=300)


def test_the_model_learns_a_clause_the_rules_miss_from_the_training_folds(
    tmp_path: Path,
) -> None:
    folder, labels = write_set(tmp_path)
    done = run(str(folder), str(labels), "--folds", "2", "--inner", "2", "--json")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["contracts"] == 18 and result["folds"] == 2
    assert [fold["contracts"] for fold in result["per_fold"]] == [9, 9]
    assert result["unplaced_spans"] == 0, "every quoted span is found in its contract"
    # The rules never find the invented clause; every fold's model does, on contracts it was
    # not trained on, and the decision for that category leaves the rules alone on no fold.
    for fold in result["per_fold"]:
        assert fold["with_model"]["micro_f1"] > fold["rules"]["micro_f1"]
    assert "rules" not in result["decisions"][LEARNED]
    # The rules name four categories in every contract, of which only governing law is labelled
    # (18 right, 54 wrong) and miss the 12 invented clauses: micro F1 36/102. With the model
    # every invented clause is found and no other contract is said to have one: 60/114 (the
    # means of the folds, which hold 5 and 7 of them, are within half a point of those).
    assert result["rules"]["micro_f1"]["mean"] == pytest.approx(36 / 102, abs=0.005)
    assert result["with_model"]["micro_f1"]["mean"] == pytest.approx(60 / 114, abs=0.005)
    # Governing law, which the rules read right, keeps its rules.
    assert result["decisions"]["Governing Law"] == {"rules": 2}


def test_the_markdown_names_both_ways_and_the_categories_that_took_the_model(
    tmp_path: Path,
) -> None:
    folder, labels = write_set(tmp_path)
    done = run(str(folder), str(labels), "--folds", "2", "--inner", "2")
    assert done.returncode == 0, done.stderr
    assert "| rules |" in done.stdout and "| rules with the model |" in done.stdout
    assert f"- {LEARNED}:" in done.stdout
    assert "- Governing Law" not in done.stdout


def test_too_few_contracts_for_the_folds_is_a_clear_error(tmp_path: Path) -> None:
    folder, labels = write_set(tmp_path, count=4)
    done = run(str(folder), str(labels), "--folds", "4", "--inner", "4")
    assert done.returncode == 2
    assert "4 contracts cannot be split into 4 folds" in done.stderr
    # Fewer contracts than folds would leave a fold empty, scored 0.
    done = run(str(folder), str(labels), "--folds", "5", "--inner", "2")
    assert done.returncode == 2 and "4 contracts cannot be split into 5 folds" in done.stderr
    assert "at least 2" in run(str(folder), str(labels), "--folds", "1").stderr


def test_a_quote_that_parts_from_the_text_inside_labels_every_sentence_it_spans(
    tmp_path: Path,
) -> None:
    """CUAD's quote and the contract's text can differ inside a clause (a PDF's line break, a
    dropped word): the clause still runs from the quote's start to its end."""
    folder, labels = write_set(tmp_path)
    text = (folder / "C01.txt").read_text(encoding="utf-8")
    first = "Each party shall keep the grommet ledgers open to the other party's auditors."
    second = "The auditors may copy any page of the grommet ledgers during business hours."
    (folder / "C01.txt").write_text(f"{text}\n4. Ledgers. {first} {second}\n", encoding="utf-8")
    # "also": a word the text does not have.
    quote = (
        f"{first} The auditors may also copy any page of the grommet ledgers during business hours."
    )
    with labels.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
        columns = list(rows[0])
    rows[1]["Audit Rights"] = str([quote])
    with labels.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    done = run(str(folder), str(labels), "--folds", "2", "--inner", "2", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["unplaced_spans"] == 0
    assert result["labelled_sentences"]["Audit Rights"] == 2, "both sentences of the clause"


def test_a_contract_labelled_twice_is_refused(tmp_path: Path) -> None:
    folder, labels = write_set(tmp_path)
    with labels.open(encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    labels.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    done = run(str(folder), str(labels))
    assert done.returncode == 2
    assert "contracts labelled more than once: ['C00.pdf']" in done.stderr


def test_a_label_file_that_is_not_cuad_is_refused_with_its_name(tmp_path: Path) -> None:
    folder, _ = write_set(tmp_path)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("Filename,Note\nC00.pdf,hello\n", encoding="utf-8")
    done = run(str(folder), str(wrong))
    assert done.returncode == 2
    assert f"{wrong}: not a CUAD label file" in done.stderr


NESTED_TWICE = """
import sys
from pathlib import Path
import bench.contract_clause_model as bench

runs = []
real = bench._nested
bench._nested = lambda *args: runs.append(args) or real(*args)
folder, labels = Path(sys.argv[1]), Path(sys.argv[2])
first = bench.nested(bench.read_contracts(folder, labels), 2, 2)
again = bench.nested(bench.read_contracts(folder, labels), 2, 2)
other = bench.nested(bench.read_contracts(folder, labels), 3, 2)
print(len(runs), first is again, other is first)
"""


def test_the_report_s_second_ask_for_the_same_nested_folds_is_not_run_again(
    tmp_path: Path,
) -> None:
    # The benchmark report scores the quality section and the model section on the same nested
    # folds: the second ask (the contracts read again) reuses the first's answer; other folds
    # are run.
    folder, labels = write_set(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", NESTED_TWICE, str(folder), str(labels)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "True", "False"]
