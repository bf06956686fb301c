"""What a clause rule is made of: weighted phrase cues, a threshold and a few reading options.

The rules themselves are data, `data/contract_review/clause_rules.yaml` (read and checked by
`clause_rules`): for each of CUAD's 41 categories, its cues and its threshold. A sentence's score
for a category is the sum of the weights of the distinct cues found in it (a cue found in a short
heading also counts for the sentence after it); negative weights mark the look-alikes that are
not the clause. A category is present when some sentence reaches its threshold. Patterns are
case-insensitive unless they say `(?-i:...)`.

Patterns are the legal owner's to edit, so they run under the `regex` engine (the syntax of
Python's `re`), which backtracks less than `re` and stops a search after `MATCH_TIMEOUT`: a
pattern that backtracks without end (a repeated group that can match the same text in many ways,
such as `(?:\\w+\\s?)+`) fails the contract's analysis naming the cue (`SlowCue`), instead of
holding the run for ever.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import regex

from schemas.contract_review import ClauseCategory as C

MATCH_TIMEOUT = 2.0
"""Seconds one cue's search over one stretch of a contract may take (a sound cue takes well
under a millisecond on a sentence and a few on a whole contract)."""


class SlowCue(Exception):
    """A cue's search ran past `MATCH_TIMEOUT`: its pattern backtracks without end."""

    def __init__(self, cue: Cue) -> None:
        super().__init__(
            f"the clause rule cue {cue.source or repr(cue.pattern.pattern)} took more than "
            f"{MATCH_TIMEOUT:g} s to search a stretch of the contract and was stopped: its "
            "pattern backtracks without end (a repeated group whose parts can match the same "
            "text in many ways, such as (?:\\w+\\s?)+); rewrite it so each piece of text "
            "can be matched one way only"
        )
        self.cue = cue


@dataclass(frozen=True)
class Cue:
    """A phrase pattern and what finding it in a sentence adds to the sentence's score.

    Patterns are written in lower case and searched in the contract's text lower-cased (ASCII
    only, so offsets do not move), which is several times faster than case-insensitive search;
    a pattern holding `(?-i:...)` needs the letters' case and searches the original text. A
    leading `\\b` is checked on each match instead of by the pattern, which lets the regex engine
    skip ahead to the pattern's first letters.
    """

    pattern: Any
    """The compiled `regex` pattern."""
    weight: float
    cased: bool = False
    word_start: bool = False
    source: str = field(default="", compare=False)
    """Where the cue is written (the rules file, its line, category and cue), for errors."""

    def finditer(self, lowered: str, original: str, start: int, end: int) -> Iterator[Any]:
        """The cue's matches in `original[start:end]` (`lowered` is its lower-cased copy);
        `SlowCue` when the search runs past `MATCH_TIMEOUT`."""
        text = original if self.cased else lowered
        try:
            for match in self.pattern.finditer(text, start, end, timeout=MATCH_TIMEOUT):
                at = match.start()
                if self.word_start and at and (text[at - 1].isalnum() or text[at - 1] == "_"):
                    continue
                yield match
        except TimeoutError:
            raise SlowCue(self) from None

    def match(self, text: str) -> bool:
        """Whether the pattern matches at the start of `text` (a gate, on a word); `SlowCue`
        when that runs past `MATCH_TIMEOUT`."""
        try:
            return self.pattern.match(text, timeout=MATCH_TIMEOUT) is not None
        except TimeoutError:
            raise SlowCue(self) from None


@dataclass(frozen=True)
class Rule:
    """How one category is recognised."""

    category: C
    cues: tuple[Cue, ...]
    threshold: float = 3.0
    within: int | None = None
    """Only the first `within` characters are read (the title, the preamble)."""
    max_spans: int = 3
    """How many of the best sentences are reported."""
    exact: bool = False
    """Report the strongest cue's own text instead of the whole sentence (e.g. the title)."""
    carry: bool = True
    """Whether cues found in a heading also count for the sentence after it."""
    requires: tuple[C, ...] = ()
    """Present only when one of these categories is present too (an exception to a restriction
    needs the restriction)."""
    gate: Cue | None = None
    """The word stems a sentence must hold (matched at the start of each of its words) to be
    read for this category at all: it keeps the search to the sentences that can matter."""


def compile_cue(pattern: str, weight: float, source: str = "") -> Cue:
    """The cue for a pattern as the rules file writes it: lower case, unless it holds
    `(?-i:...)`. Raises `re.error` when it does not compile (as Python's `re` reads it, which
    the rules file's checks parse) and ValueError when a lower-case pattern holds upper-case
    letters (it could never match the lower-cased text)."""
    if "(?-i:" in pattern:
        re.compile(pattern, re.IGNORECASE)
        return Cue(_compiled(pattern, regex.IGNORECASE), weight, cased=True, source=source)
    if re.search(r"(?<!\\)[A-Z]", pattern):
        raise ValueError(
            "upper-case letters in a pattern that is matched in lower case: write it in lower "
            "case, or wrap the part that needs capitals in (?-i:...)"
        )
    re.compile(pattern)
    branches = _branches(pattern)
    if all(branch.startswith(r"\b") for branch in branches):
        anchored = "|".join(b[2:] for b in branches)
        return Cue(_compiled(anchored), weight, word_start=True, source=source)
    return Cue(_compiled(pattern), weight, source=source)


def _compiled(pattern: str, flags: int = 0) -> Any:
    try:
        return regex.compile(pattern, flags | regex.VERSION0)
    except regex.error as error:  # what `re` compiles but `regex` does not: told as `re`'s
        raise re.error(str(error)) from None


def _branches(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (`a|b(c|d)` → `a`, `b(c|d)`)."""
    branches, depth, start, index = [], 0, 0, 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
        index += 1
    return [*branches, pattern[start:]]
