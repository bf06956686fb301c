"""A contract file made into the workflow's input: plain text, or the text of a PDF (with pypdf)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError

_UNSAFE = re.compile(r"[^\w.\-]+")
MAX_FILE_BYTES = 50 * 1024 * 1024
"""The largest contract file read (a text or a PDF)."""
MAX_PAGES = 1_000
"""The most pages a PDF contract may have."""
MAX_TEXT_CHARS = 2_000_000
"""The most text a contract may hold (`ContractDocument.content`)."""


class UnreadableContract(ValueError):
    """A contract file that cannot be read as text (the message names the file and why)."""


def contract_input(path: Path) -> dict[str, Any]:
    """The `ContractDocument` fields for a `.txt` or `.pdf` contract file: its text, an id from
    the file name, and the file name as the source."""
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as error:
        raise UnreadableContract(f"{path}: {error.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise UnreadableContract(
            f"{path}: {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes for a contract"
        )
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
    """The text of a PDF, bounded: no encrypted files, at most `MAX_PAGES` pages and
    `MAX_TEXT_CHARS` characters, and pypdf's own limits on decompressed streams (a decompression
    bomb is refused, not inflated)."""
    pages: list[str] = []
    length = 0
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise UnreadableContract(f"{path}: the PDF is encrypted (give the decrypted file)")
        count = len(reader.pages)
        if count > MAX_PAGES:
            raise UnreadableContract(f"{path}: {count} pages, over the limit of {MAX_PAGES}")
        for page in reader.pages:
            text = page.extract_text() or ""
            length += len(text)
            if length > MAX_TEXT_CHARS:
                raise UnreadableContract(
                    f"{path}: more than {MAX_TEXT_CHARS:,} characters of text (the limit)"
                )
            pages.append(text)
    except LimitReachedError as error:
        raise UnreadableContract(f"{path}: the PDF exceeds a reading limit ({error})") from None
    except RecursionError:
        raise UnreadableContract(f"{path}: the PDF's objects nest too deeply to read") from None
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        # pypdf raises many kinds of error on a malformed file: each means it cannot be read.
        raise UnreadableContract(f"{path}: not a readable PDF ({error})") from None
    text = "\n\n".join(pages).strip()
    if not text:
        raise UnreadableContract(f"{path}: the PDF has no text layer (a scan needs OCR first)")
    return text
