"""Does a learned model earn a place beside contract review's clause rules? Measured on CUAD folds.

`python -m bench.contract_clause_model CONTRACTS_DIR LABELS_CSV [--folds K] [--inner J] [--json]`
reads the same CUAD-format set as `bench.contract_review_quality` and, on each of K folds of the
contracts (the same folds: sorted by file name, shuffled with seed 2026), compares two ways of
deciding whether each of the 41 categories is present:

- the rules: the shipped clause rules alone (`agents.contract_review.clauses.find_clauses`
  with no model);
- the rules with the shipped kind of learned model (`clause_model.fit_sentence_model`): for
  each category, a logistic regression over TF-IDF word n-grams of the contract's sentences
  (cut as the clause analysis cuts them), trained on the other folds' contracts: the sentences
  that overlap one of CUAD's labelled spans for the category (`master_clauses.csv` quotes the
  clause text) against a seeded sample of the others. A contract's model score is its best
  sentence's probability, not counting a sentence that holds a negative cue of the category's
  rule (`clauses.vetoes`). Per category, the decision is the rules, either the rules or the
  model at a threshold, or both, whichever scores the best F1 on J inner folds of the training
  contracts (models trained on the others); the rules are kept on a tie.

The model never sees its test fold; but the rules were written, and the model's design (TF-IDF
rather than sentence embeddings, its settings, the threshold grid) chosen, with this set in
view, so both figures are optimistic for contracts outside it. Each fold's micro and macro F1
are printed (as the quality bench computes them) for both, with their mean and spread, and how
often each category took each decision. A category keeps its rules when the training contracts,
or the training part of one of the inner folds, hold fewer than `MIN_POSITIVES` labelled
sentences of it to train a model on. A contract the rules cannot read (an `Outcome` instead of a
report) counts as having no clause, and the report names it.

Making the shipped files (the maintainer's step; the workflow then trains on first use):
`--export FILE` writes every sentence of the set with the categories it is labelled with, as
the clause model's training data (`data/contract_review/cuad/clause_sentences.csv.gz`; with
`--leave-out DIR`, not the contracts whose text a file in DIR holds: the samples), and
`--choose FILE` writes the decisions file (`data/contract_review/clause_model.yaml`), each
category's decision chosen as above on K folds of the whole set (but what `--leave-out` leaves
out). Neither measures anything.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.contract_review.clause_decisions import RULES, CategoryDecision
from bench.contract_review_quality import (
    CATEGORIES,
    FOLD_SEED,
    BenchInputError,
    ContractResult,
    fold_report,
    load_labels,
    spread,
)

THRESHOLDS = tuple(round(0.3 + 0.05 * step, 2) for step in range(14))
"""The model thresholds tried on the inner folds (0.3 to 0.95)."""
DECISIONS = ("rules", "either", "both")
"""The decisions chosen among: the rules alone, the rules or the model, the rules and the model.
Not the model alone (the decisions file allows it): the rules' cues, the legal owner's, keep a
say in every category (on CUAD's folds the model alone added 0.001 to micro and macro F1)."""
INNER = 3
"""Inner folds the decisions are chosen on, by default."""
ANCHOR = 60
"""How many characters of a quote's start or end place it when the whole is not found."""
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Contract:
    """One labelled contract, read: its sentences, which of them each category's spans cover,
    what the rules found, and what the labels say is present."""

    filename: str
    sentences: list[str]
    covered: np.ndarray
    """One row a sentence, one column a category: the sentence overlaps a labelled span of
    the category."""
    rules_found: frozenset[str]
    present: frozenset[str]
    unplaced: int
    """Labelled spans that could not be found in the text (they label no sentence)."""
    vetoed: np.ndarray | None = None
    """Like `covered`: the sentence holds a negative cue of the category (`clauses.vetoes`), so
    the model does not count it."""
    unread: str | None = None
    """Why the rules could not read the contract, when they could not."""


def read_contracts(contracts_dir: Path, labels_csv: Path) -> list[Contract]:
    """Every labelled contract with a text in `contracts_dir`, read and run through the rules.
    Raises `BenchInputError` for a missing folder, a file that is not a CUAD label file, a
    contract labelled twice, or a contract that is not UTF-8 text."""
    from agents.contract_review.clause_model import RULES_ONLY
    from agents.contract_review.clause_rules import clause_rules
    from agents.contract_review.clauses import Text, find_clauses, vetoes
    from schemas.contract_review import ClauseReport

    labelled, _ = load_labels(contracts_dir, labels_csv)
    if not labelled:
        raise BenchInputError(f"{contracts_dir}: no labelled contract has a .txt file here")
    names = Counter(item.filename for item in labelled)
    repeated = sorted(name for name, count in names.items() if count > 1)
    if repeated:
        raise BenchInputError(f"{labels_csv}: contracts labelled more than once: {repeated}")
    spans = _label_spans(labels_csv)
    in_force = clause_rules()
    contracts = []
    for item in labelled:
        try:
            content = item.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise BenchInputError(f"{item.path}: not UTF-8 text ({error.reason})") from None
        read = Text.of(content, in_force)
        cut = read.sentences
        starts = np.array([s.start for s in cut], dtype=int)
        ends = np.array([s.end for s in cut], dtype=int)
        covered = np.zeros((len(cut), len(CATEGORIES)), dtype=bool)
        flat, offsets = flattened(content)
        unplaced = 0
        for column, category in enumerate(CATEGORIES):
            for quoted in spans[item.filename].get(category, []):
                where = place(flat, offsets, quoted)
                if where is None:
                    unplaced += 1
                    continue
                covered[(starts < where[1]) & (ends > where[0]), column] = True
        found = find_clauses(content, [], in_force, RULES_ONLY)
        report = found if isinstance(found, ClauseReport) else None
        contracts.append(
            Contract(
                item.filename,
                [content[s.start : s.end] for s in cut],
                covered,
                frozenset(f.category.value for f in report.findings if f.present)
                if report is not None
                else frozenset(),
                item.present,
                unplaced,
                vetoes(read),
                None if isinstance(found, ClauseReport) else found.reason,
            )
        )
    return contracts


def _label_spans(labels_csv: Path) -> dict[str, dict[str, list[str]]]:
    """File name → category → the clause texts CUAD quotes for it (`load_labels` has checked
    that every cell is a list literal)."""
    with labels_csv.open(encoding="utf-8", newline="") as handle:
        return {
            (row.get("Filename") or "").strip(): {
                category: [str(text) for text in ast.literal_eval((row[category] or "").strip())]
                for category in CATEGORIES
            }
            for row in csv.DictReader(handle)
        }


def flattened(content: str) -> tuple[str, list[int]]:
    """The text lower-cased with every run of whitespace one space, and for each of its
    characters the offset in `content` it came from (a character that lower-cases to two gives
    both its offset)."""
    characters: list[str] = []
    offsets: list[int] = []
    for offset, character in enumerate(content):
        if character.isspace():
            if characters and characters[-1] == " ":
                continue
            character = " "
        lowered = character.lower()
        characters.append(lowered)
        offsets.extend([offset] * len(lowered))
    return "".join(characters), offsets


def place(flat: str, offsets: list[int], quoted: str) -> tuple[int, int] | None:
    """Where a quoted span lies in the contract: (start, end) offsets in the text `flattened`
    made `flat` and `offsets` from. Found whole; else, where the PDF's text and CUAD's quote
    part ways inside it, from its first `ANCHOR` characters to its last ones found after them
    (within twice the quote's length), or as long as the quote from whichever end is found.
    None when neither end is found."""
    needle = _SPACE.sub(" ", quoted.strip().lower())
    if not needle:
        return None
    start = flat.find(needle)
    end = start + len(needle)
    if start < 0 and len(needle) > ANCHOR:
        start = flat.find(needle[:ANCHOR])
        tail = (
            flat.find(needle[-ANCHOR:], start + ANCHOR, start + 2 * len(needle))
            if start >= 0
            else flat.find(needle[-ANCHOR:])
        )
        if start >= 0:
            end = tail + ANCHOR if tail >= 0 else start + len(needle)
        elif tail >= 0:
            start, end = max(0, tail + ANCHOR - len(needle)), tail + ANCHOR
    if start < 0:
        return None
    return offsets[start], offsets[min(end, len(offsets)) - 1] + 1


def model_scores(train: Sequence[Contract], scored: Sequence[Contract]) -> np.ndarray:
    """One row a scored contract, one column a category: the contract's best sentence
    probability under the shipped kind of model (`fit_sentence_model`) trained on every
    sentence of `train` (NaN for a category with too few labelled sentences to train one, or
    for all when the training sentences have no common words)."""
    from agents.contract_review.clause_model import fit_sentence_model

    scores = np.full((len(scored), len(CATEGORIES)), np.nan)
    try:
        model = fit_sentence_model(
            [s for c in train for s in c.sentences],
            np.concatenate([contract.covered for contract in train]),
        )
    except ValueError:  # no word in two sentences: nothing to learn from
        return scores
    for index, contract in enumerate(scored):
        scores[index] = model.best(contract.sentences, contract.vetoed)
    return scores


def choose(contracts: Sequence[Contract], scores: np.ndarray) -> list[CategoryDecision]:
    """Per category, the decision (and threshold) with the best F1 on `contracts`, given their
    out-of-fold model scores; the rules unless something else does strictly better, and the
    rules for a category some contract has no score for."""
    chosen: list[CategoryDecision] = []
    for column, category in enumerate(CATEGORIES):
        truth = [category in contract.present for contract in contracts]
        by_rules = [category in contract.rules_found for contract in contracts]
        best, best_f1 = RULES, _f1(by_rules, truth)
        if not np.isnan(scores[:, column]).any():
            for threshold in THRESHOLDS:
                for use in DECISIONS[1:]:
                    decision = CategoryDecision(use=use, threshold=threshold)
                    predicted = [
                        decision.decide(rule, float(score))
                        for rule, score in zip(by_rules, scores[:, column], strict=True)
                    ]
                    value = _f1(predicted, truth)
                    if value > best_f1 + 1e-9:
                        best, best_f1 = decision, value
        chosen.append(best)
    return chosen


def _probability(score: float) -> float | None:
    return None if np.isnan(score) else float(score)


def _f1(predicted: Sequence[bool], truth: Sequence[bool]) -> float:
    """F1 of presence predictions; 1 when nothing is labelled and nothing predicted."""
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    wrong = sum(p != t for p, t in zip(predicted, truth, strict=True))
    return 2 * tp / (2 * tp + wrong) if tp + wrong else 1.0


def folds_of(contracts: Sequence[Contract], count: int) -> list[list[Contract]]:
    """The quality bench's folds: sorted by file name, shuffled with `FOLD_SEED`."""
    ordered = sorted(contracts, key=lambda contract: contract.filename)
    random.Random(FOLD_SEED).shuffle(ordered)
    return [ordered[index::count] for index in range(count)]


def out_of_fold(contracts: Sequence[Contract], inner: int) -> np.ndarray:
    """Model scores for every contract (in order) from models trained on the other of `inner`
    folds of `contracts`."""
    scores = np.full((len(contracts), len(CATEGORIES)), np.nan)
    for held in range(inner):
        rows = list(range(held, len(contracts), inner))
        train = [c for index, c in enumerate(contracts) if index % inner != held]
        scores[rows] = model_scores(train, [contracts[row] for row in rows])
    return scores


@dataclass(frozen=True)
class FoldDecided:
    """One outer fold: its contracts, the decisions chosen on its training part, and what the
    rules with the model (trained on the training part) find in each of its contracts."""

    test: list[Contract]
    chosen: list[CategoryDecision]
    found: list[frozenset[str]]


def nested(contracts: Sequence[Contract], folds: int, inner: int) -> list[FoldDecided]:
    """The rules with the model on each of `folds` folds, the model trained and the decisions
    chosen (on `inner` folds) without the fold's contracts; the decisions applied as clause
    analysis applies them (`clauses.with_requirements` last). The last answer is kept: the
    benchmark report asks twice for the same contracts (the quality section and this one), and
    the nested folds take minutes."""
    key = (fingerprint(contracts), folds, inner)
    if _LAST_NESTED and _LAST_NESTED[0] == key:
        return _LAST_NESTED[1]
    decided = _nested(contracts, folds, inner)
    _LAST_NESTED[:] = [key, decided]
    return decided


_LAST_NESTED: list[Any] = []
"""The last `nested` call's key and answer."""


def fingerprint(contracts: Sequence[Contract]) -> str:
    """A digest of everything about the contracts that `nested` reads, in their order."""
    digest = hashlib.sha256()
    for contract in contracts:
        for part in (
            contract.filename,
            *contract.sentences,
            *sorted(contract.rules_found),
            *sorted(contract.present),
        ):
            digest.update(part.encode("utf-8") + b"\0")
        for array in (contract.covered, contract.vetoed):
            digest.update(b"-" if array is None else np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _nested(contracts: Sequence[Contract], folds: int, inner: int) -> list[FoldDecided]:
    from agents.contract_review.clause_rules import clause_rules
    from agents.contract_review.clauses import with_requirements
    from schemas.contract_review import ClauseCategory

    in_force = clause_rules()
    decided = []
    parts = folds_of(contracts, folds)
    for index, test in enumerate(parts):
        train = [c for other, part in enumerate(parts) if other != index for c in part]
        chosen = choose(train, out_of_fold(train, inner))
        scores = model_scores(train, test)
        found = []
        for contract, row in zip(test, scores, strict=True):
            present = {
                ClauseCategory(category)
                for column, category in enumerate(CATEGORIES)
                if chosen[column].decide(
                    category in contract.rules_found, _probability(row[column])
                )
            }
            found.append(frozenset(c.value for c in with_requirements(present, in_force)))
        decided.append(FoldDecided(test, chosen, found))
    return decided


def cross_validated(
    contracts: Sequence[Contract], folds: int, inner: int
) -> dict[str, frozenset[str]]:
    """File name → the categories the rules with the model find in it, by `nested`."""
    return {
        contract.filename: found
        for fold in nested(contracts, folds, inner)
        for contract, found in zip(fold.test, fold.found, strict=True)
    }


def measure(contracts: Sequence[Contract], folds: int, inner: int) -> dict[str, Any]:
    """Both ways of deciding, fold by fold; see the module doc."""
    started = time.perf_counter()
    per_fold: list[dict[str, Any]] = []
    decisions: dict[str, Counter[str]] = {category: Counter() for category in CATEGORIES}
    for fold in nested(contracts, folds, inner):
        test, chosen = fold.test, fold.chosen
        combined = [
            ContractResult(contract.filename, contract.present, found, {})
            for contract, found in zip(test, fold.found, strict=True)
        ]
        by_rules = fold_report(
            "fold", [ContractResult(c.filename, c.present, c.rules_found, {}) for c in test], []
        )
        learned = fold_report("fold", combined, [])
        per_fold.append(
            {
                "contracts": len(test),
                "rules": {"micro_f1": by_rules.micro_f1, "macro_f1": by_rules.macro_f1},
                "with_model": {"micro_f1": learned.micro_f1, "macro_f1": learned.macro_f1},
            }
        )
        for category, decision in zip(CATEGORIES, chosen, strict=True):
            decisions[category][decision.use] += 1
    return {
        "contracts": len(contracts),
        "folds": folds,
        "inner_folds": inner,
        "seed": FOLD_SEED,
        "unplaced_spans": sum(contract.unplaced for contract in contracts),
        "labelled_sentences": {
            category: count
            for category, count in zip(
                CATEGORIES,
                sum(contract.covered.sum(axis=0) for contract in contracts).tolist(),
                strict=True,
            )
            if count
        },
        "unread": {c.filename: c.unread for c in contracts if c.unread is not None},
        "per_fold": per_fold,
        **{
            way: {
                figure: spread([fold[way][figure] for fold in per_fold])
                for figure in ("micro_f1", "macro_f1")
            }
            for way in ("rules", "with_model")
        },
        "better_folds": {
            figure: sum(fold["with_model"][figure] > fold["rules"][figure] for fold in per_fold)
            for figure in ("micro_f1", "macro_f1")
        },
        "decisions": {category: dict(counts) for category, counts in decisions.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }


def left_in(contracts: Sequence[Contract], folder: Path, leave_out: Path | None) -> list[Contract]:
    """The contracts whose text is not that of a `.txt` file in `leave_out`."""
    if leave_out is None:
        return list(contracts)
    if not leave_out.is_dir():
        raise BenchInputError(f"{leave_out}: not a folder")
    texts = {path.read_bytes() for path in leave_out.glob("*.txt")}
    return [
        contract
        for contract in contracts
        if (folder / f"{Path(contract.filename).stem}.txt").read_bytes() not in texts
    ]


def export(contracts: Sequence[Contract], path: Path) -> None:
    """Every sentence of the contracts, with the categories labelled in it, as training data."""
    from agents.contract_review.clause_sentences import write_training_data

    write_training_data(
        path,
        (
            (
                contract.filename,
                sentence,
                [CATEGORIES[column] for column in np.flatnonzero(contract.covered[row])],
            )
            for contract in sorted(contracts, key=lambda contract: contract.filename)
            for row, sentence in enumerate(contract.sentences)
        ),
    )


DECISIONS_HEADER = """\
# When contract review's clause analysis lets its learned sentence model decide a category.
# agents/contract_review/clause_model.py reads this file; a mistake is refused with its line.
#
# For each category named under `categories`:
#   use: rules    the clause rules alone decide (the same as not naming the category)
#   use: model    the model alone: present when its best sentence's probability reaches threshold
#   use: either   present when the rules find it or the model does
#   use: both     present only when the rules and the model both find it
#   threshold     the probability (between 0 and 1) the model's best sentence needs
# A category not named keeps its rules. When the rules found the clause, its spans are theirs;
# else the model's best sentences. Editing this file needs no retraining.
#
# The model is trained on data/contract_review/cuad/clause_sentences.csv.gz (CUAD, CC BY 4.0).
"""


def write_decisions(contracts: Sequence[Contract], folds: int, path: Path) -> None:
    """The decisions chosen on `folds` folds of all the contracts, as the decisions file."""
    import yaml

    ordered = [c for part in folds_of(contracts, folds) for c in part]
    chosen = choose(ordered, out_of_fold(ordered, folds))
    kept = {
        category: {"use": decision.use, "threshold": decision.threshold}
        for category, decision in zip(CATEGORIES, chosen, strict=True)
        if decision.use != "rules"
    }
    chosen_by = (
        f"the best F1 per category on {folds} folds of the {len(contracts)} contracts the model "
        "is trained on (python -m bench.contract_clause_model --choose; the rules kept on a tie)"
    )
    body = yaml.safe_dump({"chosen_by": chosen_by, "categories": kept}, sort_keys=False, width=100)
    path.write_text(DECISIONS_HEADER + "\n" + body, encoding="utf-8")


def section(result: dict[str, Any]) -> str:
    """The comparison as Markdown."""

    def shown(way: str, name: str) -> str:
        figures = result[way][name]
        return f"{figures['mean']:.3f} ± {figures['std']:.3f}"

    better = result["better_folds"]
    lines = [
        f"Rules, and rules with a learned sentence model, on {result['contracts']} contracts in "
        f"{result['folds']} folds (seed {result['seed']}; decisions chosen on "
        f"{result['inner_folds']} inner folds of each training part; "
        f"{result['seconds']} s):",
        "",
        "| | micro F1 | macro F1 |",
        "|---|---:|---:|",
        f"| rules | {shown('rules', 'micro_f1')} | {shown('rules', 'macro_f1')} |",
        f"| rules with the model | {shown('with_model', 'micro_f1')} | "
        f"{shown('with_model', 'macro_f1')} |",
        "",
        f"With the model, micro F1 is higher on {better['micro_f1']} folds of {result['folds']} "
        f"and macro F1 on {better['macro_f1']}. The model never sees its test fold, but the "
        "rules were written and the model designed with this set in view: both figures are "
        "optimistic for other contracts.",
        "",
        "| fold | contracts | rules micro / macro | with the model micro / macro |",
        "|---:|---:|---:|---:|",
    ]
    for number, fold in enumerate(result["per_fold"], start=1):
        by_rules, learned = fold["rules"], fold["with_model"]
        lines.append(
            f"| {number} | {fold['contracts']} | {by_rules['micro_f1']:.3f} / "
            f"{by_rules['macro_f1']:.3f} | {learned['micro_f1']:.3f} / "
            f"{learned['macro_f1']:.3f} |"
        )
    taken = {
        category: counts
        for category, counts in result["decisions"].items()
        if set(counts) != {"rules"}
    }
    lines += ["", "Categories where a fold took the model (decisions over the folds):", ""]
    lines += [
        f"- {category}: " + ", ".join(f"{name} {count}" for name, count in counts.items())
        for category, counts in taken.items()
    ] or ["- none"]
    if result["unplaced_spans"]:
        lines += ["", f"Labelled spans not found in their text: {result['unplaced_spans']}."]
    if result["unread"]:
        lines += ["", f"Contracts the rules could not read (no clause found): {result['unread']}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.contract_clause_model",
        description="Compare the clause rules with the rules and a learned sentence model, "
        "on folds of a CUAD-format set.",
    )
    parser.add_argument("contracts_dir", type=Path, help="folder of contract .txt files")
    parser.add_argument("labels_csv", type=Path, help="CUAD master_clauses.csv-format labels")
    parser.add_argument("--folds", type=int, default=5, metavar="K", help="outer folds (5)")
    parser.add_argument(
        "--inner", type=int, default=INNER, metavar="J", help=f"inner folds ({INNER})"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--export", type=Path, metavar="FILE", help="write the set's labelled sentences to FILE"
    )
    parser.add_argument(
        "--leave-out",
        type=Path,
        metavar="DIR",
        help="with --export and --choose: leave out the contracts whose text is that of a .txt "
        "file in DIR (the shipped samples, so that the model never saw them)",
    )
    parser.add_argument(
        "--choose",
        type=Path,
        metavar="FILE",
        help="write the decisions chosen on K folds of the whole set to FILE",
    )
    args = parser.parse_args(argv)
    if args.folds < 2 or args.inner < 2:
        print("error: --folds and --inner must be at least 2", file=sys.stderr)
        return 2
    try:
        contracts = read_contracts(args.contracts_dir, args.labels_csv)
    except BenchInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    smallest_training = len(contracts) - -(-len(contracts) // args.folds)
    if len(contracts) < args.folds or smallest_training < args.inner:
        print(
            f"error: {len(contracts)} contracts cannot be split into {args.folds} folds whose "
            f"training parts each split into {args.inner} inner folds",
            file=sys.stderr,
        )
        return 2
    if args.export is not None or args.choose is not None:
        kept = left_in(contracts, args.contracts_dir, args.leave_out)
        if args.export is not None:
            export(kept, args.export)
            print(
                f"wrote {sum(len(c.sentences) for c in kept)} sentences of {len(kept)} "
                f"contracts to {args.export} ({len(contracts) - len(kept)} left out)"
            )
        if args.choose is not None:
            write_decisions(kept, args.folds, args.choose)
            print(f"wrote the decisions chosen on {args.folds} folds to {args.choose}")
        return 0
    result = measure(contracts, args.folds, args.inner)
    if args.json:
        print(json.dumps(result))
    else:
        sys.stdout.write(section(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
