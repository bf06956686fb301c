"""Does a learned model earn a place beside contract review's clause rules? Measured on CUAD folds.

`python -m bench.contract_clause_model CONTRACTS_DIR LABELS_CSV [--folds K] [--inner J] [--json]`
reads the same CUAD-format set as `bench.contract_review_quality` and, on each of K folds of the
contracts (the same folds: sorted by file name, shuffled with seed 2026), compares two ways of
deciding whether each of the 41 categories is present:

- the rules: the shipped clause analysis (`agents.contract_review.clauses.analyse_clauses`);
- the rules with a learned model: for each category, a logistic regression over TF-IDF word
  n-grams of the contract's sentences (cut as the clause analysis cuts them), trained on the
  other folds' contracts: the sentences that overlap one of CUAD's labelled spans for the
  category (`master_clauses.csv` quotes the clause text) against a seeded sample of the others.
  A contract's model score is its best sentence's probability. Per category, the decision is
  the rules, the model at a threshold, either, or both, whichever scores the best F1 on J inner
  folds of the training contracts (models trained on the others); the rules are kept on a tie.

The model never sees its test fold; but the rules were written, and the model's design (TF-IDF
rather than sentence embeddings, its settings, the threshold grid) chosen, with this set in
view, so both figures are optimistic for contracts outside it. Each fold's micro and macro F1
are printed (as the quality bench computes them) for both, with their mean and spread, and how
often each category took each decision. A category keeps its rules when the training contracts,
or the training part of one of the inner folds, hold fewer than `MIN_POSITIVES` labelled
sentences of it to train a model on. A contract the rules cannot read (an `Outcome` instead of a
report) counts as having no clause, and the report names it.
"""

from __future__ import annotations

import argparse
import ast
import csv
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

from bench.contract_review_quality import (
    CATEGORIES,
    FOLD_SEED,
    BenchInputError,
    ContractResult,
    fold_report,
    load_labels,
    spread,
)

MIN_POSITIVES = 2
"""Labelled sentences a category needs in the training contracts to get a model."""
NEGATIVES = 8000
"""At most this many unlabelled sentences (a seeded sample) train a category's model."""
THRESHOLDS = tuple(round(0.3 + 0.05 * step, 2) for step in range(14))
"""The model thresholds tried on the inner folds (0.3 to 0.95)."""
DECISIONS = ("rules", "model", "either", "both")
"""How a category's presence can be decided: the rules alone, the model at a threshold, the
rules or the model, the rules and the model."""
SEED = 2026
"""Seeds the sample of unlabelled sentences each model trains on."""
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
    unread: str | None = None
    """Why the rules could not read the contract, when they could not."""


def read_contracts(contracts_dir: Path, labels_csv: Path) -> list[Contract]:
    """Every labelled contract with a text in `contracts_dir`, read and run through the rules.
    Raises `BenchInputError` for a missing folder, a file that is not a CUAD label file, a
    contract labelled twice, or a contract that is not UTF-8 text."""
    from agents.contract_review.clause_rules import clause_rules
    from agents.contract_review.clauses import Text, analyse_clauses
    from agents.spec import AgentContext
    from schemas.contract_review import ClauseReport, StageInput

    labelled, _ = load_labels(contracts_dir, labels_csv)
    if not labelled:
        raise BenchInputError(f"{contracts_dir}: no labelled contract has a .txt file here")
    names = Counter(item.filename for item in labelled)
    repeated = sorted(name for name, count in names.items() if count > 1)
    if repeated:
        raise BenchInputError(f"{labels_csv}: contracts labelled more than once: {repeated}")
    spans = _label_spans(labels_csv)
    in_force = clause_rules()
    context = AgentContext(database_url="memory://")
    contracts = []
    for item in labelled:
        try:
            content = item.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise BenchInputError(f"{item.path}: not UTF-8 text ({error.reason})") from None
        cut = Text.of(content, in_force).sentences
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
        found = analyse_clauses(StageInput(contract_id="contract", content=content), context)
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
    probability under a model trained on `train` (NaN for a category with too few labelled
    sentences to train one, or for all when the training sentences have no common words)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    scores = np.full((len(scored), len(CATEGORIES)), np.nan)
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=100_000
    )
    try:
        features = vectorizer.fit_transform([s for c in train for s in c.sentences])
    except ValueError:  # no word in two sentences: nothing to learn from
        return scores
    covered = np.concatenate([contract.covered for contract in train])
    targets = [vectorizer.transform(contract.sentences) for contract in scored]
    sampler = np.random.default_rng(SEED)
    for column in range(len(CATEGORIES)):
        labels = covered[:, column]
        positives = np.flatnonzero(labels)
        negatives = np.flatnonzero(~labels)
        if len(positives) < MIN_POSITIVES or not len(negatives):
            continue
        negatives = sampler.choice(negatives, min(len(negatives), NEGATIVES), replace=False)
        rows = np.concatenate([positives, negatives])
        model = LogisticRegression(C=4.0, max_iter=300, class_weight="balanced")
        model.fit(features[rows], labels[rows])
        for index, target in enumerate(targets):
            best = model.predict_proba(target)[:, 1].max() if target.shape[0] else 0.0
            scores[index, column] = best
    return scores


def decide(by_rules: bool, score: float, decision: str, threshold: float | None) -> bool:
    """One category's presence in one contract under a decision (the rules' answer when the
    decision is theirs or the category had no model)."""
    if decision == "rules" or threshold is None or np.isnan(score):
        return by_rules
    model = bool(score >= threshold)
    return {"model": model, "either": by_rules or model, "both": by_rules and model}[decision]


def choose(contracts: Sequence[Contract], scores: np.ndarray) -> list[tuple[str, float | None]]:
    """Per category, the decision (and threshold) with the best F1 on `contracts`, given their
    out-of-fold model scores; the rules unless something else does strictly better, and the
    rules for a category some contract has no score for."""
    chosen: list[tuple[str, float | None]] = []
    for column, category in enumerate(CATEGORIES):
        truth = [category in contract.present for contract in contracts]
        by_rules = [category in contract.rules_found for contract in contracts]
        best: tuple[str, float | None] = ("rules", None)
        best_f1 = _f1(by_rules, truth)
        if not np.isnan(scores[:, column]).any():
            for threshold in THRESHOLDS:
                for decision in DECISIONS[1:]:
                    predicted = [
                        decide(rule, score, decision, threshold)
                        for rule, score in zip(by_rules, scores[:, column], strict=True)
                    ]
                    value = _f1(predicted, truth)
                    if value > best_f1 + 1e-9:
                        best, best_f1 = (decision, threshold), value
        chosen.append(best)
    return chosen


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


def measure(contracts: Sequence[Contract], folds: int, inner: int) -> dict[str, Any]:
    """Both ways of deciding, fold by fold; see the module doc."""
    started = time.perf_counter()
    per_fold: list[dict[str, Any]] = []
    decisions: dict[str, Counter[str]] = {category: Counter() for category in CATEGORIES}
    parts = folds_of(contracts, folds)
    for index, test in enumerate(parts):
        train = [c for other, part in enumerate(parts) if other != index for c in part]
        chosen = choose(train, out_of_fold(train, inner))
        scores = model_scores(train, test)
        combined = []
        for contract, row in zip(test, scores, strict=True):
            predicted = frozenset(
                category
                for column, category in enumerate(CATEGORIES)
                if decide(category in contract.rules_found, row[column], *chosen[column])
            )
            combined.append(ContractResult(contract.filename, contract.present, predicted, {}))
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
        for category, (decision, _) in zip(CATEGORIES, chosen, strict=True):
            decisions[category][decision] += 1
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
    parser.add_argument("--inner", type=int, default=3, metavar="J", help="inner folds (3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
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
    result = measure(contracts, args.folds, args.inner)
    if args.json:
        print(json.dumps(result))
    else:
        sys.stdout.write(section(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
