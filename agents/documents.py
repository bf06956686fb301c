"""Business documents given as files: the text of a plain-text file or of a PDF (with pypdf),
read within bounds, so a hostile file is refused by name rather than exhausting the machine."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError

MAX_FILE_BYTES = 50 * 1024 * 1024
"""The largest document file read (a text or a PDF)."""
MAX_PAGES = 1_000
"""The most pages a PDF document may have."""
MAX_TEXT_CHARS = 2_000_000
"""The most text a document may hold."""
TEXT_SUFFIXES = (".txt", ".text", ".md")
_UNSAFE = re.compile(r"[^\w.\-]+")


class UnreadableDocument(ValueError):
    """A document file that cannot be read as text (the message names the file and why)."""


def document_text(path: Path, what: str = "document") -> str:
    """The text of a `.txt` or `.pdf` file (`what` names the document in messages)."""
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as error:
        raise UnreadableDocument(f"{path}: {error.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise UnreadableDocument(
            f"{path}: {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes for a {what}"
        )
    if suffix == ".pdf":
        return _pdf_text(path)
    if suffix not in TEXT_SUFFIXES:
        raise UnreadableDocument(f"{path}: a {what} is read from .txt or .pdf, not {suffix!r}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableDocument(
            f"{path}: not UTF-8 text (byte {error.start}: {error.reason})"
        ) from None
    except OSError as error:
        raise UnreadableDocument(f"{path}: {error.strerror}") from None


def document_id(path: Path, default: str, max_length: int = 64) -> str:
    """An id made from a file's name (letters, digits, `.`, `-`, `_`)."""
    return _UNSAFE.sub("-", path.stem).strip("-.")[:max_length] or default


def _pdf_text(path: Path) -> str:
    """The text of a PDF, bounded: no encrypted files, at most `MAX_PAGES` pages and
    `MAX_TEXT_CHARS` characters, and pypdf's own limits on decompressed streams (a decompression
    bomb is refused, not inflated)."""
    pages: list[str] = []
    length = 0
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise UnreadableDocument(f"{path}: the PDF is encrypted (give the decrypted file)")
        count = len(reader.pages)
        if count > MAX_PAGES:
            raise UnreadableDocument(f"{path}: {count} pages, over the limit of {MAX_PAGES}")
        for page in reader.pages:
            text = page.extract_text() or ""
            length += len(text)
            if length > MAX_TEXT_CHARS:
                raise UnreadableDocument(
                    f"{path}: more than {MAX_TEXT_CHARS:,} characters of text (the limit)"
                )
            pages.append(text)
    except LimitReachedError as error:
        raise UnreadableDocument(f"{path}: the PDF exceeds a reading limit ({error})") from None
    except RecursionError:
        raise UnreadableDocument(f"{path}: the PDF's objects nest too deeply to read") from None
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        if isinstance(error, UnreadableDocument):
            raise
        # pypdf raises many kinds of error on a malformed file: each means it cannot be read.
        raise UnreadableDocument(f"{path}: not a readable PDF ({error})") from None
    text = "\n\n".join(pages).strip()
    if not text:
        raise UnreadableDocument(f"{path}: the PDF has no text layer (a scan needs OCR first)")
    return text


def text_pdf(text: str) -> bytes:
    """A minimal one-page, one-font PDF carrying `text`, a line per text line (Latin-1; enough
    for pypdf to read back): for sample documents and tests."""
    lines = [
        line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        for line in text.encode("latin-1", "replace").decode("latin-1").splitlines()
    ]
    stream = "BT /F1 9 Tf 40 800 Td 11 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    body = zlib.compress(stream.encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 5000] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
