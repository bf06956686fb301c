"""A support team's intents: the labels of its training data (Banking77's 77 by default).

The intents are not fixed in code: they are the labels of the `text,category` CSV the classifiers
learn from, and the routing file must give each one a team (`routing.check_routes`).
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from agents.support_triage.settings import DEFAULT_TRAINING_DATA
from schemas.support_triage import INTENT_NAME

BANKING77_DIR = DEFAULT_TRAINING_DATA.parent


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    intent: str


def read_labelled_csv(path: Path) -> list[LabelledMessage]:
    """The rows of a `text,category` CSV; ValueError naming the file and row on a missing column,
    an empty text, an empty label or a label that cannot be an intent's name (`INTENT_NAME`)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [str(name).strip() for name in reader.fieldnames or []]
            missing = {"text", "category"} - set(columns)
            if missing:
                raise ValueError(
                    f"{path}: needs the columns text and category (missing {sorted(missing)}; "
                    f"the first line reads {columns[:5]}: columns are separated by commas)"
                )
            doubled = sorted({name for name in columns if columns.count(name) > 1})
            if doubled:
                raise ValueError(f"{path}: the header names {doubled} more than once")
            reader.fieldnames = columns
            rows = []
            for number, row in enumerate(reader, start=2):
                text = (row.get("text") or "").strip()
                # One spelling per intent: "café" typed with a combining accent is "café".
                intent = unicodedata.normalize("NFC", (row.get("category") or "").strip())
                if not text:
                    raise ValueError(f"{path}: row {number} has an empty text")
                if not intent:
                    raise ValueError(f"{path}: row {number} has an empty category")
                if not INTENT_NAME.fullmatch(intent):
                    raise ValueError(
                        f"{path}: row {number}: category {intent[:100]!r} cannot be an intent's "
                        "name (a letter first, then up to 79 letters, digits, spaces or "
                        "_ . , & / : ' + ? ! ( ) # -)"
                    )
                rows.append(LabelledMessage(text, intent))
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text: {error}") from error
    except csv.Error as error:
        raise ValueError(f"{path}: not a readable CSV: {error}") from error
    if not rows:
        raise ValueError(f"{path} has no rows")
    labels = {row.intent for row in rows}
    if len(labels) < 2:
        raise ValueError(
            f"{path}: needs at least two intents to learn from (found {sorted(labels)})"
        )
    return rows


def intents_of(messages: list[LabelledMessage]) -> tuple[str, ...]:
    """The intents of the training data, sorted by name (the models' class order)."""
    return tuple(sorted({message.intent for message in messages}))
