"""The learned half of clause analysis: a sentence model per category, and when to trust it.

The rules (`clause_rules`) find most clauses; for some categories a model learned from labelled
contracts finds them better, or together with the rules does. Two files say how:

- the training data, `data/contract_review/cuad/clause_sentences.csv.gz` (or the file
  `BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA` names): a `contract,text,categories` CSV (gzip
  when its name ends in `.gz`), one row a sentence of a labelled contract, `categories` the
  `;`-separated CUAD categories whose labelled clause the sentence is part of (empty for none).
  The shipped file holds every sentence of the 110 contracts of CUAD's dev set (CC BY 4.0, see
  the LICENSE beside it), labelled from CUAD's `master_clauses.csv`;
- the decisions, `data/contract_review/clause_model.yaml` (or
  `BATON_CONTRACT_REVIEW_CLAUSE_MODEL_FILE`): per category, whether its presence is decided by
  the rules, the model, either or both, and the model's threshold. A category not named there
  keeps its rules; a file naming none needs no model at all. The legal owner can read and edit
  it without retraining anything.

The model (`fit_sentence_model`): TF-IDF word 1- and 2-grams over the training sentences, and
for each category with at least `MIN_POSITIVES` labelled sentences a logistic regression of its
sentences against a seeded sample of the others. A sentence's probability for a category is the
regression's; a contract's is its best sentence's. Training takes seconds and is seeded; the
trained model is cached under `BATON_CONTRACT_REVIEW_MODELS_DIR` (default `.baton/models`) in a
folder named after the training data's SHA-256 and `TRAINING_VERSION`, and trained on first use
when it is not there (`baton train contract_review` does it ahead).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.data_files import DataFileError, load_yaml
from agents.model_cache import MODEL_FILE, read_cached, save_cached
from schemas.contract_review import ClauseCategory

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TRAINING_DATA = ROOT / "data" / "contract_review" / "cuad" / "clause_sentences.csv.gz"
"""Every sentence of CUAD's 110 dev contracts, labelled (CC BY 4.0, see the LICENSE beside it)."""
DEFAULT_DECISIONS_FILE = ROOT / "data" / "contract_review" / "clause_model.yaml"

TRAINING_VERSION = "1"
"""Part of the cache key: raise it when what training produces changes."""
COLUMNS = ("contract", "text", "categories")
MIN_POSITIVES = 2
"""Labelled sentences a category needs to get a model."""
NEGATIVES = 8000
"""At most this many unlabelled sentences (a seeded sample) train a category's model."""
SEED = 2026
CATEGORIES = tuple(ClauseCategory)
_BY_NAME = {category.value: category for category in ClauseCategory}


class ClauseModelSettings(BaseSettings):
    """`BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA`, `BATON_CONTRACT_REVIEW_CLAUSE_MODEL_FILE`
    and `BATON_CONTRACT_REVIEW_MODELS_DIR` (see the module doc)."""

    model_config = SettingsConfigDict(env_prefix="BATON_CONTRACT_REVIEW_", extra="ignore")

    clause_training_data: Path = DEFAULT_TRAINING_DATA
    clause_model_file: Path = DEFAULT_DECISIONS_FILE
    models_dir: Path = Path(".baton/models")


class CategoryDecision(BaseModel):
    """How one category's presence is decided: `rules` alone, the `model` alone (its best
    sentence's probability at or above `threshold`), `either` of them, or `both`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    use: Literal["rules", "model", "either", "both"]
    threshold: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _threshold_when_the_model_counts(self) -> CategoryDecision:
        if self.use != "rules" and self.threshold is None:
            raise ValueError(f"use {self.use!r} needs a threshold (between 0 and 1)")
        return self

    def decide(self, by_rules: bool, probability: float | None) -> bool:
        """The category's presence, given the rules' answer and the model's probability (the
        rules' answer when the category has no model)."""
        if self.use == "rules" or self.threshold is None or probability is None:
            return by_rules
        by_model = probability >= self.threshold
        if self.use == "model":
            return by_model
        return (by_rules or by_model) if self.use == "either" else (by_rules and by_model)


RULES = CategoryDecision(use="rules")


class ClauseDecisions(BaseModel):
    """The decisions file: `categories` maps a CUAD category's name to its decision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chosen_by: str = ""
    """How the decisions were chosen (for the reader; not used)."""
    categories: dict[str, CategoryDecision] = Field(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict[str, CategoryDecision]) -> dict[str, CategoryDecision]:
        unknown = sorted(name for name in value if name not in _BY_NAME)
        if unknown:
            raise ValueError(f"not CUAD categories: {unknown}")
        return value

    def of(self, category: ClauseCategory) -> CategoryDecision:
        return self.categories.get(category.value, RULES)

    def uses_model(self) -> bool:
        return any(decision.use != "rules" for decision in self.categories.values())


def read_decisions(path: Path | None = None) -> ClauseDecisions:
    """The decisions file (default: the configured one), checked; `DataFileError` naming the
    file, the category and the line for anything wrong in it."""
    path = ClauseModelSettings().clause_model_file if path is None else path
    return _decisions_cached(path, *_stamp(path))


@cache
def _decisions_cached(path: Path, *stamp: int) -> ClauseDecisions:
    return load_yaml(path, ClauseDecisions)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        found = path.stat()
    except OSError as error:
        raise DataFileError(f"{path}: {error.strerror}") from None
    return found.st_mtime_ns, found.st_size


@dataclass(frozen=True)
class LabelledSentences:
    """Training data: each sentence's contract and text, and its categories (one column each,
    in `CATEGORIES`' order)."""

    contracts: list[str]
    texts: list[str]
    labels: np.ndarray


def read_training_data(path: Path) -> LabelledSentences:
    """A `contract,text,categories` CSV (gzip when named `.gz`); `DataFileError` naming the file
    and the line of an unknown category, a missing column or an empty text, and for a file
    with no labelled sentence at all."""
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except OSError as error:
        raise DataFileError(f"{path}: cannot read the training data: {error}") from None
    except UnicodeDecodeError as error:
        raise DataFileError(f"{path}: not UTF-8 text ({error.reason})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise DataFileError(
            f"{path}: the header needs the columns {', '.join(COLUMNS)} (missing: "
            f"{', '.join(missing)})"
        )
    contracts: list[str] = []
    texts: list[str] = []
    rows: list[list[int]] = []
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        sentence = (row["text"] or "").strip()
        if not sentence:
            problems.append(f"line {line}: empty text")
            continue
        columns = []
        for name in filter(None, (part.strip() for part in (row["categories"] or "").split(";"))):
            category = _BY_NAME.get(name)
            if category is None:
                problems.append(f"line {line}: {name!r} is not a CUAD category")
            else:
                columns.append(CATEGORIES.index(category))
        contracts.append((row["contract"] or "").strip())
        texts.append(sentence)
        rows.append(columns)
    if problems:
        shown = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise DataFileError(f"{path}: " + "; ".join(shown))
    labels = np.zeros((len(texts), len(CATEGORIES)), dtype=bool)
    for index, columns in enumerate(rows):
        labels[index, columns] = True
    if not labels.any():
        raise DataFileError(f"{path}: no sentence is labelled with a category: nothing to learn")
    return LabelledSentences(contracts, texts, labels)


def write_training_data(path: Path, rows: Iterable[tuple[str, str, Sequence[str]]]) -> None:
    """Writes (contract, text, categories) rows as `read_training_data` reads them (gzip when
    the name ends in `.gz`, with no time stamp, so the same rows give the same bytes)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for contract, text, categories in rows:
        writer.writerow([contract, " ".join(text.split()), ";".join(categories)])
    data = buffer.getvalue().encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)


@dataclass
class SentenceModel:
    """A logistic regression per category over one TF-IDF vocabulary, as one weight matrix."""

    vectorizer: Any
    weights: np.ndarray
    """One row a vocabulary term, one column a category (zeros for a category with no model)."""
    intercepts: np.ndarray
    trained: np.ndarray
    """Which categories have a model."""
    meta: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """One row a text, one column a category: the probability the text is part of a
        clause of it (NaN for a category with no model)."""
        if not texts:
            return np.full((0, len(CATEGORIES)), np.nan)
        logits = np.asarray(self.vectorizer.transform(texts) @ self.weights) + self.intercepts
        found = 1.0 / (1.0 + np.exp(-logits))
        found[:, ~self.trained] = np.nan
        return found

    def best(self, texts: Sequence[str], excluded: np.ndarray | None = None) -> np.ndarray:
        """Per category, the best probability among `texts` (0 when there is no text; NaN for
        a category with no model), not counting a text where `excluded` (one row a text, one
        column a category) is true."""
        if not texts:
            return np.where(self.trained, 0.0, np.nan)
        found = self.probabilities(texts)
        if excluded is not None:
            found[excluded & ~np.isnan(found)] = 0.0
        return found.max(axis=0)


def fit_sentence_model(texts: Sequence[str], labels: np.ndarray) -> SentenceModel:
    """The model (see the module doc) for sentences and their labels (one column a category).
    ValueError when no word occurs in two of the sentences."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=100_000
    )
    try:
        features = vectorizer.fit_transform(texts)
    except ValueError:
        raise ValueError("no word occurs in two of the training sentences") from None
    weights = np.zeros((features.shape[1], len(CATEGORIES)))
    intercepts = np.zeros(len(CATEGORIES))
    trained = np.zeros(len(CATEGORIES), dtype=bool)
    sampler = np.random.default_rng(SEED)
    for column in range(len(CATEGORIES)):
        positives = np.flatnonzero(labels[:, column])
        negatives = np.flatnonzero(~labels[:, column])
        if len(positives) < MIN_POSITIVES or not len(negatives):
            continue
        negatives = sampler.choice(negatives, min(len(negatives), NEGATIVES), replace=False)
        rows = np.concatenate([positives, negatives])
        model = LogisticRegression(C=4.0, max_iter=300, class_weight="balanced")
        model.fit(features[rows], labels[rows, column])
        weights[:, column] = model.coef_[0]
        intercepts[column] = model.intercept_[0]
        trained[column] = True
    return SentenceModel(vectorizer, weights, intercepts, trained)


def data_key(path: Path) -> str:
    """The cache key of a training file: its SHA-256 (first 16 hex digits) and the training
    version (hashed again only when the file changes)."""
    return _hashed(str(path.resolve()), *_stamp(path))


@cache
def _hashed(path: str, *stamp: int) -> str:
    return f"{hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]}-v{TRAINING_VERSION}"


def model_folder(path: Path, models_dir: Path | None = None) -> Path:
    root = models_dir if models_dir is not None else ClauseModelSettings().models_dir
    return root / "contract_review" / data_key(path)


_TRAINING = threading.Lock()


def train(
    path: Path | None = None, *, force: bool = False, models_dir: Path | None = None
) -> dict[str, Any]:
    """Train on `path` (default: the configured training data) unless a model for exactly that
    data is cached (or `force`); returns what was trained (its `meta.json`). `DataFileError`
    naming the file when the data cannot be used."""
    settings = ClauseModelSettings()
    path = settings.clause_training_data if path is None else path
    folder = model_folder(path, models_dir)
    in_use = _same_file(path, settings.clause_training_data)
    note = (
        None
        if in_use
        else "runs use the model of BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA (now "
        f"{settings.clause_training_data}): set it to {path} to use this one"
    )
    with _TRAINING:
        if (folder / "meta.json").exists() and not force:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            return {**meta, "cached": True, "in_use": in_use, "note": note}
        started = time.perf_counter()
        data = read_training_data(path)
        try:
            model = fit_sentence_model(data.texts, data.labels)
        except ValueError as error:
            raise DataFileError(f"{path}: {error}") from None
        model.meta = {
            "source": str(path),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "training_version": TRAINING_VERSION,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows": len(data.texts),
            "contracts": len(set(data.contracts)),
            "categories": int(model.trained.sum()),
            "labelled_sentences": {
                category.value: int(count)
                for category, count in zip(CATEGORIES, data.labels.sum(axis=0), strict=True)
                if count
            },
            "seconds": round(time.perf_counter() - started, 1),
        }
        model.meta["summary"] = (
            f"{len(data.texts)} sentences of {model.meta['contracts']} contracts; a model for "
            f"{model.meta['categories']} of {len(CATEGORIES)} categories"
        )
        save_cached(folder, model, model.meta)
        _loaded.cache_clear()
    return {**model.meta, "cached": False, "in_use": in_use, "note": note}


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve() or one.samefile(other)
    except OSError:
        return False


@dataclass(frozen=True)
class ClauseModel:
    """What clause analysis needs of the learned half: the decisions, and the model when a
    decision uses it."""

    decisions: ClauseDecisions
    sentences: SentenceModel | None

    def decide(self, category: ClauseCategory, by_rules: bool, best: float | None) -> bool:
        return self.decisions.of(category).decide(by_rules, best)


RULES_ONLY = ClauseModel(ClauseDecisions(), None)


def clause_model() -> ClauseModel:
    """The decisions in force and, when one of them uses the model, the model trained on the
    configured data (trained now, and cached, when it is not yet). `DataFileError` naming the
    file when the decisions or the training data cannot be used."""
    settings = ClauseModelSettings()
    decisions = read_decisions(settings.clause_model_file)
    if not decisions.uses_model():
        return ClauseModel(decisions, None)
    folder = model_folder(settings.clause_training_data, settings.models_dir)
    if not (folder / MODEL_FILE).exists():
        train(settings.clause_training_data, models_dir=settings.models_dir)
    with _LOADING:  # read once however many contracts ask at the same time
        return ClauseModel(decisions, _loaded(folder))


_LOADING = threading.Lock()


@cache
def _loaded(folder: Path) -> SentenceModel:
    model: SentenceModel = read_cached(folder)
    return model


def decisions_from(chosen: Mapping[ClauseCategory, CategoryDecision]) -> ClauseDecisions:
    """Decisions for the categories that do not keep their rules."""
    return ClauseDecisions(categories={c.value: d for c, d in chosen.items() if d.use != "rules"})
