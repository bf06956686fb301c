"""A contract file made into the workflow's input: plain text, or the text of a PDF (with pypdf)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

_UNSAFE = re.compile(r"[^\w.\-]+")


class UnreadableContract(ValueError):
    """A contract file that cannot be read as text (the message names the file and why)."""


def contract_input(path: Path) -> dict[str, Any]:
    """The `ContractDocument` fields for a `.txt` or `.pdf` contract file: its text, an id from
    the file name, and the file name as the source."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        content = _pdf_text(path)
    elif suffix in (".txt", ".text", ".md"):
        try:
            content = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise UnreadableContract(
                f"{path}: not UTF-8 text (byte {error.start}: {error.reason})"
            ) from None
        except OSError as error:
            raise UnreadableContract(f"{path}: {error.strerror}") from None
    else:
        raise UnreadableContract(f"{path}: a contract is read from .txt or .pdf, not {suffix!r}")
    contract_id = _UNSAFE.sub("-", path.stem).strip("-.")[:200] or "contract"
    return {"contract_id": contract_id, "source_name": path.name, "content": content}


def _pdf_text(path: Path) -> str:
    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as error:
        raise UnreadableContract(f"{path}: not a readable PDF ({error})") from None
    text = "\n\n".join(pages).strip()
    if not text:
        raise UnreadableContract(f"{path}: the PDF has no text layer (a scan needs OCR first)")
    return text
