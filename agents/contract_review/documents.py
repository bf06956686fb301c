"""A contract file made into the workflow's input: plain text, or the text of a PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.documents import UnreadableDocument, document_id, document_text

UnreadableContract = UnreadableDocument
"""A contract file that cannot be read as text (the message names the file and why)."""


def contract_input(path: Path) -> dict[str, Any]:
    """The `ContractDocument` fields for a `.txt` or `.pdf` contract file: its text, an id from
    the file name, and the file name as the source."""
    content = document_text(path, "contract")
    return {
        "contract_id": document_id(path, "contract", 200),
        "source_name": path.name,
        "content": content,
    }
