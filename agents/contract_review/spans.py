"""Cutting exact spans out of a contract and tidying what they say."""

from __future__ import annotations

from agents.contract_review.dates import DateMention
from schemas.contract_review import ExtractedDate, Span

_TRIM = " \t\r\n,;:"


def span_of(content: str, start: int, end: int) -> Span | None:
    """The span `content[start:end]` with surrounding blanks and separators trimmed, or None when
    nothing is left."""
    while start < end and content[start] in _TRIM:
        start += 1
    while end > start and content[end - 1] in _TRIM:
        end -= 1
    if start >= end:
        return None
    return Span(start=start, end=end, text=content[start:end])


def lowered(text: str) -> str:
    """`text` in lower case, character for character (offsets stay valid), so that patterns
    can scan it without the cost of case-insensitive matching."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(char if len(char.lower()) != 1 else char.lower() for char in text)


def starts_word(text: str, position: int) -> bool:
    """Whether `position` in `text` is the start of a word."""
    return position == 0 or not text[position - 1].isalnum()


def tidy(text: str) -> str:
    """`text` with its whitespace (line breaks, runs of spaces) collapsed; nothing else changes,
    so that the tidied value can still be found in its span."""
    return " ".join(text.split())


def extracted_date(content: str, mention: DateMention) -> ExtractedDate | None:
    """A date found in the text as an extracted value: as written (tidied), with its span."""
    span = span_of(content, mention.start, mention.end)
    if span is None:
        return None
    return ExtractedDate(value=tidy(span.text), span=span, on=mention.on)
