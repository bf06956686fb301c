"""Trained models on disk: one folder a model, written whole or not at all.

A folder holds `model.joblib` (the object) and `meta.json` (what it was trained on, for people
and for the cache check). Writers stage the folder beside its place and rename it in, so a
reader never sees half a model, and two trainers racing both end with a whole one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

MODEL_FILE = "model.joblib"
META_FILE = "meta.json"


def save_cached(folder: Path, model: Any, meta: dict[str, Any]) -> None:
    """Writes `model` and `meta` into `folder` (replacing what is there), atomically."""
    import joblib

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".training-", dir=folder.parent))
    try:
        joblib.dump(model, staging / MODEL_FILE)
        (staging / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_cached(folder: Path) -> Any:
    """The model saved in `folder`."""
    import joblib

    return joblib.load(folder / MODEL_FILE)
