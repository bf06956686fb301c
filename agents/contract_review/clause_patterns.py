"""What a clause rule is made of: weighted phrase cues, a threshold and a few reading options.

The rules themselves are data, `data/contract_review/clause_rules.yaml` (read and checked by
`clause_rules`): for each of CUAD's 41 categories, its cues and its threshold. A sentence's score
for a category is the sum of the weights of the distinct cues found in it (a cue found in a short
heading also counts for the sentence after it); negative weights mark the look-alikes that are
not the clause. A category is present when some sentence reaches its threshold. Patterns are
case-insensitive unless they say `(?-i:...)`.

Patterns are the legal owner's to edit, so they run as `agents.owner_patterns` runs such
patterns: under the `regex` engine, a search that backtracks without end stopped after a time
limit (`SlowPattern`, naming the cue), instead of holding the run for ever.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from agents import owner_patterns
from agents.owner_patterns import SlowPattern, compile_pattern
from schemas.contract_review import ClauseCategory as C


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
    written: str = field(default="", compare=False)
    """The pattern as written (before its leading `\\b` was taken off), for errors."""

    def finditer(self, lowered: str, original: str, start: int, end: int) -> Iterator[Any]:
        """The cue's matches in `original[start:end]` (`lowered` is its lower-cased copy);
        `SlowPattern` when the search runs past `owner_patterns.MATCH_TIMEOUT`."""
        text = original if self.cased else lowered
        timeout = owner_patterns.MATCH_TIMEOUT
        try:
            for match in self.pattern.finditer(text, start, end, timeout=timeout):
                at = match.start()
                if self.word_start and at and (text[at - 1].isalnum() or text[at - 1] == "_"):
                    continue
                yield match
        except TimeoutError:
            raise SlowPattern(self.source, self.written or self.pattern.pattern) from None

    def match(self, text: str) -> bool:
        """Whether the pattern matches at the start of `text` (a gate, on a word);
        `SlowPattern` when that runs past `owner_patterns.MATCH_TIMEOUT`."""
        try:
            return self.pattern.match(text, timeout=owner_patterns.MATCH_TIMEOUT) is not None
        except TimeoutError:
            raise SlowPattern(self.source, self.written or self.pattern.pattern) from None


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
    `(?-i:...)`. Raises `re.error` when it does not compile (`owner_patterns.compile_pattern`)
    and ValueError when a lower-case pattern holds upper-case letters (it could never match the
    lower-cased text)."""
    if "(?-i:" in pattern:
        compiled = compile_pattern(pattern, re.IGNORECASE)
        return Cue(compiled, weight, cased=True, source=source, written=pattern)
    if re.search(r"(?<!\\)[A-Z]", pattern):
        raise ValueError(
            "upper-case letters in a pattern that is matched in lower case: write it in lower "
            "case, or wrap the part that needs capitals in (?-i:...)"
        )
    compile_pattern(pattern)  # refused as written, before the leading \b is taken off
    branches = _branches(pattern)
    if all(branch.startswith(r"\b") for branch in branches):
        anchored = "|".join(b[2:] for b in branches)
        compiled = compile_pattern(anchored)
        return Cue(compiled, weight, word_start=True, source=source, written=pattern)
    return Cue(compile_pattern(pattern), weight, source=source, written=pattern)


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
