"""Reading a shipments CSV into rows, refusing a file that cannot be investigated with an error
that names the file, the line and the column."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schemas.late_delivery import COLUMNS, Shipment

MAX_BYTES = 200 * 1024 * 1024


def read_shipments(path: Path) -> list[dict[str, Any]]:
    """The file's shipments as rows (JSON: dates as `YYYY-MM-DD`, an empty date as null).
    ValueError naming the file when it cannot be read, is empty, lacks a column of `COLUMNS`, or
    has a row whose value breaks the shipment contract (the line and the column named)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"shipments file {str(path)!r} is larger than {MAX_BYTES} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ValueError(
            f"cannot read shipments file {str(path)!r}: {error.strerror or error}"
        ) from None
    except UnicodeDecodeError as error:
        raise ValueError(
            f"shipments file {str(path)!r} is not UTF-8 text (byte {error.start}: {error.reason})"
        ) from None
    if not text.strip():
        raise ValueError(f"shipments file {str(path)!r} is empty: it needs a header and rows")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    doubled = sorted({name for name in header if header.count(name) > 1 and name in COLUMNS})
    if doubled:
        raise ValueError(
            f"shipments file {str(path)!r} has the column(s) {', '.join(doubled)} more than once"
        )
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise ValueError(
            f"shipments file {str(path)!r} lacks the column(s) {', '.join(missing)} (its header "
            f"is {', '.join(header) or 'empty'}; it needs {', '.join(COLUMNS)})"
        )
    rows: list[dict[str, Any]] = []
    for raw in reader:
        line = reader.line_num  # the physical line the row ends on (a quoted cell may span lines)
        if None in raw:
            raise ValueError(
                f"shipments file {str(path)!r} line {line}: more values than the header's "
                f"{len(header)} columns"
            )
        values = {k.strip(): (v or "").strip() for k, v in raw.items() if k.strip() in COLUMNS}
        if not any(values.values()):
            continue  # a blank line
        try:
            shipment = Shipment.model_validate(values)
        except ValidationError as error:
            first = error.errors()[0]
            column = ".".join(str(part) for part in first["loc"])
            given = values.get(column, "")
            raise ValueError(
                f"shipments file {str(path)!r} line {line}, column {column} "
                f"({given!r}): {first['msg']}"
            ) from None
        rows.append(shipment.model_dump(mode="json"))
    if not rows:
        raise ValueError(f"shipments file {str(path)!r} has a header but no shipments")
    return rows
