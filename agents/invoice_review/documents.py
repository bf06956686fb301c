"""An invoice file made into the workflow's input: the text of a `.txt` or `.pdf` invoice
document, for intake to read (a JSON invoice is read as the input itself)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.documents import document_id, document_text


def invoice_input(path: Path) -> dict[str, Any]:
    """The `InvoiceSubmission` for an invoice document: its text, an id from the file name, and
    the file name as the source."""
    text = document_text(path, "invoice")
    return {"invoice_id": document_id(path, "invoice"), "document": text, "source_name": path.name}
