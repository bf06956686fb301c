"""Trained models on disk: one folder a model, written whole or not at all.

A folder holds the model (`model.joblib`, or the name its trainer gives) and `meta.json` (what it
was trained on, for people and for the cache check). Writers stage the folder beside its place
and rename it in, so a reader never sees half a model; when two trainers race, in threads or in
processes, the first whole folder to land stays and the other writer's is dropped. Only a forced
retraining replaces a whole folder (its old one moved aside first).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

MODEL_FILE = "model.joblib"
META_FILE = "meta.json"


def is_cached(folder: Path, name: str = MODEL_FILE) -> bool:
    """Whether `folder` holds a whole model (its file and its meta)."""
    return (folder / name).exists() and (folder / META_FILE).exists()


def save_cached(folder: Path, model: Any, meta: dict[str, Any], name: str = MODEL_FILE) -> None:
    """Writes `model` and `meta` into `folder`, atomically; a whole folder already there is
    replaced (a forced retraining)."""
    import joblib

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".training-", dir=folder.parent))
    retired: Path | None = None
    try:
        joblib.dump(model, staging / name)
        (staging / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=".retired-", dir=folder.parent))
            with contextlib.suppress(FileNotFoundError):  # another writer moved it first
                os.replace(folder, retired / folder.name)
        _land(staging, folder, name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)


def _land(staging: Path, folder: Path, name: str) -> None:
    """Renames `staging` to `folder`, unless another writer's whole model lands there first (it
    stays). Another writer may land one and a third move it aside again between this writer's
    rename and its look: then the place is empty again, and this writer tries again."""
    for _ in range(_LANDING_ATTEMPTS):
        try:
            os.replace(staging, folder)
            return
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            if is_cached(folder, name):
                return
            last = error
    raise last  # a folder that is not a whole model stays in the way


_LANDING_ATTEMPTS = 20


def read_cached(folder: Path, name: str = MODEL_FILE) -> Any:
    """The model saved in `folder`."""
    import joblib

    return joblib.load(folder / name)
