"""A contract's text prepared for reading: its lower-case twin (fast to scan), its sentence
boundaries, and every date and period it states, each found once."""

from __future__ import annotations

import bisect
import re
from functools import cached_property
from typing import Generic, Protocol, TypeVar

from agents.contract_review.dates import DateMention, find_dates
from agents.contract_review.durations import Duration, find_durations
from agents.contract_review.spans import lowered

_NOT_SENTENCE_ENDS = frozenset(
    {
        "inc",
        "co",
        "corp",
        "ltd",
        "no",
        "nos",
        "st",
        "mr",
        "mrs",
        "ms",
        "dr",
        "vs",
        "sec",
        "art",
        "u.s",
        "e.g",
        "i.e",
        "etc",
        "l.l.c",
        "l.p",
        "n.a",
        "s.a",
        "b.v",
        "n.v",
        "p.o",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    }
)
"""Abbreviations whose full stop does not end a sentence ("Inc.", "No.", "Jan.")."""
_STOP = re.compile(r"[.!?](?=[\s\"\u201d)]+[\"\u201c(\[]?(?:[A-Z]|\d(?!\d{3}\b)))")
"""A full stop before a capital or a number (not a year: "March 18. 2021" is one date)."""
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


class _Located(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


Located = TypeVar("Located", bound=_Located)

MAX_CLAUSE = 900
"""Characters either side of a position that a clause may reach (run-on text has no stops)."""


class ContractText:
    """One contract's text, its lower-case twin for fast scanning, and its sentence boundaries,
    found once, so that the clause around any position is a lookup."""

    def __init__(self, content: str) -> None:
        self.content = content
        self.lower = lowered(content)
        ends = {0, len(content)}
        ends.update(match.end() for match in _BLANK_LINE.finditer(content))
        for match in _STOP.finditer(content):
            word = _WORD_BEFORE.search(content, max(0, match.start() - 12), match.start())
            token = word.group(1).lower().rstrip(".") if word else ""
            if token not in _NOT_SENTENCE_ENDS and len(token) != 1:
                ends.add(match.end())
        self._ends = sorted(ends)

    @cached_property
    def _dates(self) -> _Index[DateMention]:
        return _Index(find_dates(self.content))

    @cached_property
    def _durations(self) -> _Index[Duration]:
        return _Index(find_durations(self.lower))

    def dates(self, start: int = 0, end: int | None = None) -> list[DateMention]:
        """The dates stated wholly within `content[start:end]`, in order."""
        return self._dates.within(start, len(self.content) if end is None else end)

    def durations(self, start: int = 0, end: int | None = None) -> list[Duration]:
        """The periods stated wholly within `content[start:end]`, in order."""
        return self._durations.within(start, len(self.content) if end is None else end)

    def around(self, position: int) -> tuple[int, int]:
        """Start and end of the sentence holding `position` (at most `MAX_CLAUSE` either side)."""
        index = bisect.bisect_right(self._ends, position)
        start = self._ends[index - 1] if index > 0 else 0
        end = self._ends[index] if index < len(self._ends) else len(self.content)
        return max(start, position - MAX_CLAUSE), min(end, position + MAX_CLAUSE)


class _Index(Generic[Located]):
    """Things found in the text, in order of position, looked up by range."""

    def __init__(self, items: list[Located]) -> None:
        self.items: list[Located] = items
        self.starts = [item.start for item in items]

    def within(self, start: int, end: int) -> list[Located]:
        found: list[Located] = []
        for item in self.items[bisect.bisect_left(self.starts, start) :]:
            if item.start >= end:
                break
            if item.end <= end:
                found.append(item)
        return found
