"""The clause model's training data: labelled sentences of contracts, as a CSV.

A `contract,text,categories` CSV (gzip when its name ends in `.gz`), one row a sentence of a
labelled contract, `categories` the `;`-separated CUAD categories whose labelled clause the
sentence is part of (empty for none). `data/contract_review/cuad/clause_sentences.csv.gz` is
made from CUAD by `python -m bench.contract_clause_model ... --export` (`make
clause-model-data`); a team makes its own from its labelled contracts the same way, or writes it.
Anything wrong is refused naming the file and the line (`DataFileError`).
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents.data_files import DataFileError
from schemas.contract_review import ClauseCategory

COLUMNS = ("contract", "text", "categories")
CATEGORIES = tuple(ClauseCategory)
"""The label columns' order."""
_BY_NAME = {category.value: category for category in ClauseCategory}
_SHOWN = 20
"""At most this many problems are listed (with how many more there are)."""


@dataclass(frozen=True)
class LabelledSentences:
    """Training data: each sentence's contract and text, and its categories (one column each,
    in `CATEGORIES`' order)."""

    contracts: list[str]
    texts: list[str]
    labels: np.ndarray


def decode_training_data(path: Path, raw: bytes) -> str:
    """The CSV text of the file's bytes (unzipped when the file is named `.gz`)."""
    try:
        if path.suffix.lower() == ".gz":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8-sig")
    except (OSError, EOFError, zlib.error) as error:
        raise DataFileError(f"{path}: not a whole gzip file ({error})") from None
    except UnicodeDecodeError as error:
        raise DataFileError(f"{path}: not UTF-8 text ({error.reason})") from None


def read_training_data(path: Path, raw: bytes | None = None) -> LabelledSentences:
    """The file (or its bytes `raw`, already read) parsed; `DataFileError` naming the file and
    the line of an unknown category, an empty contract or text, a malformed CSV row or a missing
    column, and for a file with no labelled sentence at all."""
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise DataFileError(f"{path}: cannot read the training data: {error}") from None
    reader = csv.DictReader(io.StringIO(decode_training_data(path, raw), newline=""), strict=True)
    contracts: list[str] = []
    texts: list[str] = []
    rows: list[list[int]] = []
    problems: list[str] = []
    read_to = 1  # the line the last whole row (or the header) ended on
    try:
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise DataFileError(
                f"{path}: the header needs the columns {', '.join(COLUMNS)} (missing: "
                f"{', '.join(missing)})"
            )
        for row in reader:
            line = reader.line_num
            contract = (row["contract"] or "").strip()
            sentence = (row["text"] or "").strip()
            if not contract:
                problems.append(f"line {line}: empty contract")
            if not sentence:
                problems.append(f"line {line}: empty text")
            columns = []
            for name in filter(None, (p.strip() for p in (row["categories"] or "").split(";"))):
                category = _BY_NAME.get(name)
                if category is None:
                    problems.append(f"line {line}: {name!r} is not a CUAD category")
                else:
                    columns.append(CATEGORIES.index(category))
            contracts.append(contract)
            texts.append(sentence)
            rows.append(columns)
            read_to = line
    except csv.Error as error:
        raise DataFileError(
            f"{path}: the row after line {read_to} is not a CSV row ({error}; a quote left open?)"
        ) from None
    if problems:
        more = len(problems) - _SHOWN
        shown = problems[:_SHOWN] + ([f"… and {more} more"] if more > 0 else [])
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
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix.lower() == ".gz" else data)
