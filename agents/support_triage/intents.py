"""The 77 Banking77 intents a support message is classified into, and the shipped training set."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from schemas.support_triage import INTENTS

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "support_triage"
BANKING77_DIR = DATA_DIR / "banking77"
DEFAULT_TRAINING_DATA = BANKING77_DIR / "train.csv"
"""Banking77's training split (CC BY 4.0, see `data/support_triage/banking77/LICENSE`)."""


def intents() -> tuple[str, ...]:
    """The intent names, in the data set's order."""
    return INTENTS


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    intent: str


def read_labelled_csv(path: Path) -> list[LabelledMessage]:
    """The rows of a `text,category` CSV; ValueError naming the file and row on a missing column,
    an empty text or an intent that is not one of the 77."""
    known = set(intents())
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = {"text", "category"} - set(reader.fieldnames or [])
            if missing:
                raise ValueError(
                    f"{path}: needs the columns text and category (missing {sorted(missing)})"
                )
            rows = []
            for number, row in enumerate(reader, start=2):
                text, intent = (row.get("text") or "").strip(), (row.get("category") or "").strip()
                if not text:
                    raise ValueError(f"{path}: row {number} has an empty text")
                if intent not in known:
                    raise ValueError(f"{path}: row {number}: unknown intent {intent!r}")
                rows.append(LabelledMessage(text, intent))
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text: {error}") from error
    if not rows:
        raise ValueError(f"{path} has no rows")
    return rows
