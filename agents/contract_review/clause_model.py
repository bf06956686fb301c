"""The learned half of clause analysis: a sentence model per category, trained and cached.

The rules (`clause_rules`) find most clauses; for the categories the decisions file names
(`clause_decisions`), a model learned from labelled sentences (`clause_sentences`) has a say.
The model (`fit_sentence_model`): TF-IDF word 1- and 2-grams over the training sentences, and for
each category with at least `MIN_POSITIVES` labelled sentences a logistic regression of its
sentences against a seeded sample of the others. A sentence's probability for a category is the
regression's; a contract's is its best sentence's.

Training takes seconds and is seeded. The trained model is cached under
`BATON_CONTRACT_REVIEW_MODELS_DIR` (default `.baton/models`) in a folder named after the training
data's SHA-256, `TRAINING_VERSION` and the scikit-learn version, and trained on first use when
it is not there (`baton train contract_review` does it ahead). A decision that gives the model a
say in a category it has no model for (too few labelled sentences) is refused, never quietly
left to the rules.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from agents.contract_review.clause_decisions import (
    ClauseDecisions,
    ClauseModelSettings,
    file_stamp,
    read_decisions,
)
from agents.contract_review.clause_sentences import CATEGORIES, read_training_data
from agents.data_files import DataFileError
from agents.model_cache import is_cached, read_cached, save_cached

TRAINING_VERSION = "1"
"""Part of the cache key: raise it when what training produces changes."""
MIN_POSITIVES = 2
"""Labelled sentences a category needs to get a model."""
NEGATIVES = 8000
"""At most this many unlabelled sentences (a seeded sample) train a category's model."""
SEED = 2026


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
    """The cache key of a training file: its SHA-256 (first 16 hex digits), the training
    version and scikit-learn's (hashed again only when the file changes)."""
    return _hashed(str(path.resolve()), *file_stamp(path))


@lru_cache(maxsize=8)
def _hashed(path: str, *stamp: int) -> str:
    return _key(hashlib.sha256(Path(path).read_bytes()).hexdigest())


def _key(digest: str) -> str:
    return f"{digest[:16]}-v{TRAINING_VERSION}-sklearn{version('scikit-learn')}"


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
    root = settings.models_dir if models_dir is None else models_dir
    in_use = _same_file(path, settings.clause_training_data)
    note = (
        None
        if in_use
        else "runs use the model of BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA (now "
        f"{settings.clause_training_data}): set it to {path} to use this one"
    )
    with _TRAINING:
        try:
            raw = path.read_bytes()  # read once: the key and the model come from these bytes
        except OSError as error:
            raise DataFileError(f"{path}: cannot read the training data: {error}") from None
        digest = hashlib.sha256(raw).hexdigest()
        folder = root / "contract_review" / _key(digest)
        if is_cached(folder) and not force:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            return {**meta, "cached": True, "in_use": in_use, "note": note}
        started = time.perf_counter()
        data = read_training_data(path, raw)
        try:
            model = fit_sentence_model(data.texts, data.labels)
        except ValueError as error:
            raise DataFileError(f"{path}: {error}") from None
        categories = int(model.trained.sum())
        model.meta = {
            "source": str(path),
            "sha256": digest,
            "key": folder.name,
            "training_version": TRAINING_VERSION,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows": len(data.texts),
            "contracts": len(set(data.contracts)),
            "categories": categories,
            "labelled_sentences": {
                category.value: int(count)
                for category, count in zip(CATEGORIES, data.labels.sum(axis=0), strict=True)
                if count
            },
            "seconds": round(time.perf_counter() - started, 1),
            "summary": f"{len(data.texts)} sentences of {len(set(data.contracts))} contracts; "
            f"a model for {categories} of {len(CATEGORIES)} categories",
        }
        save_cached(folder, model, model.meta)
        _loaded.cache_clear()
    return {**model.meta, "cached": False, "in_use": in_use, "note": note}


def train_when_used(path: Path | None = None, *, force: bool = False) -> dict[str, Any]:
    """`train`, except that for the configured data it trains nothing when no decision gives
    the model a say (what `baton run` asks before a run)."""
    if path is None and not force:
        settings = ClauseModelSettings()
        if not read_decisions(settings.clause_model_file).uses_model():
            return {
                "cached": True,
                "source": str(settings.clause_model_file),
                "summary": "no decision there gives the model a say: nothing to train",
            }
    return train(path, force=force)


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

    @property
    def key(self) -> str | None:
        """The trained model's cache key (its data's hash and versions), for the record."""
        return None if self.sentences is None else self.sentences.meta.get("key")


RULES_ONLY = ClauseModel(ClauseDecisions(), None)


def clause_model() -> ClauseModel:
    """The decisions in force and, when one of them uses the model, the model trained on the
    configured data (trained now, and cached, when it is not yet). `DataFileError` naming the
    file when the decisions or the training data cannot be used, or when a decision gives the
    model a say in a category it has no model for."""
    settings = ClauseModelSettings()
    decisions = read_decisions(settings.clause_model_file)
    if not decisions.uses_model():
        return ClauseModel(decisions, None)
    folder = model_folder(settings.clause_training_data, settings.models_dir)
    if not is_cached(folder):
        train(settings.clause_training_data, models_dir=settings.models_dir)
    with _LOADING:  # read once however many contracts ask at the same time
        model = _loaded(folder)
    untrained = [c.value for c in decisions.using_model() if not model.trained[CATEGORIES.index(c)]]
    if untrained:
        raise DataFileError(
            f"{settings.clause_model_file}: gives the model a say in categories the model "
            f"trained on {settings.clause_training_data} has none for (fewer than "
            f"{MIN_POSITIVES} labelled sentences, or no unlabelled one): {untrained}; give them "
            "use: rules, or label more sentences"
        )
    return ClauseModel(decisions, model)


_LOADING = threading.Lock()


@lru_cache(maxsize=4)
def _loaded(folder: Path) -> SentenceModel:
    model: SentenceModel = read_cached(folder)
    return model
