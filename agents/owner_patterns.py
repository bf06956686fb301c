r"""Patterns that business owners write in data files (clause rules, keyword rules), made safe to
run on any text.

An owner's regular expression can backtrack without end: a repeated group whose parts can match
the same text in many ways (`(?:a|aa)+`, `(?:\w+\s?)+`) takes minutes or years on a line of
hostile or merely unlucky text, and Python's `re` cannot be stopped. These patterns are compiled
with the `regex` engine instead (the syntax of `re`, `VERSION0`), which backtracks less and stops a
search after a time limit:

- when the file loads, `backtracking_text` tries each pattern on short texts that show the usual
  runaway shapes (runs of one letter, digit, mark or space, with and without gaps) and the file
  is refused naming the pattern when one does not finish within `PROBE_TIMEOUT`;
- at run time every search is given `MATCH_TIMEOUT`; one that runs past it raises `SlowPattern`
  naming where the pattern is written, and the stage fails explicitly instead of holding the run.
"""

from __future__ import annotations

import re
from typing import Any

import regex

MATCH_TIMEOUT = 2.0
"""Seconds one search of a pattern may take at run time (a sound pattern takes well under a
millisecond on a sentence and a few on a whole contract)."""
PROBE_TIMEOUT = 0.5
"""Seconds a pattern may take on one of `PROBE_TEXTS` when its file loads (a sound one takes
microseconds)."""
PROBE_TEXTS = tuple(
    text * 3
    for text in (
        "a" * 24,
        "ab" * 12,
        "a " * 12,
        "aa  " * 6,
        "1" * 24,
        "1 " * 12,
        "_" * 24,
        " " * 24,
        ". " * 12,
        "-" * 24,
        "a, " * 8,
        "a.a " * 6,
    )
)
"""Short texts on which a pattern that backtracks without end shows it: runs of the same letter,
digit, mark or space, and such runs with gaps (what signature lines, tables and spaced capitals
hold)."""
HOW_TO_FIX = (
    "a repeated group whose parts can match the same text in many ways, such as (?:\\w+\\s?)+ or "
    "(?:a|aa)+; rewrite it so each piece of text can be matched one way only"
)


class SlowPattern(ValueError):
    """A search ran past `MATCH_TIMEOUT`: the pattern written at `source` backtracks without
    end."""

    def __init__(self, source: str, pattern: str) -> None:
        super().__init__(
            f"{source or 'a pattern'}: pattern '{pattern}' took more than {MATCH_TIMEOUT:g} s "
            f"to search the text and was stopped: it backtracks without end ({HOW_TO_FIX})"
        )
        self.source = source


def compile_pattern(pattern: str, flags: int = 0) -> Any:
    """`pattern` compiled by `regex` (with `regex.IGNORECASE` when `flags` holds
    `re.IGNORECASE`); `re.error` when `re` or `regex` cannot compile it."""
    re.compile(pattern, flags)
    own = regex.VERSION0 | (regex.IGNORECASE if flags & re.IGNORECASE else 0)
    try:
        return regex.compile(pattern, own)
    except regex.error as error:  # what `re` compiles but `regex` does not: told as `re`'s
        raise re.error(str(error)) from None


def backtracking_text(pattern: Any, cased: bool = False) -> str | None:
    """One of `PROBE_TEXTS` (and its capitals, for a `cased` pattern) the compiled `pattern`
    does not finish searching within `PROBE_TIMEOUT`, or None."""
    for text in PROBE_TEXTS:
        for probe in (text, text.upper()) if cased else (text,):
            try:
                pattern.search(probe, timeout=PROBE_TIMEOUT)
            except TimeoutError:
                return probe
    return None


def runaway_problem(written: str, pattern: Any, cased: bool = False) -> str | None:
    """What to tell the owner of a pattern `backtracking_text` shows running without end, or
    None when it finishes on every probe."""
    slow = backtracking_text(pattern, cased)
    if slow is None:
        return None
    return (
        f"pattern '{written}' backtracks without end: searching {slow!r} did not finish in "
        f"{PROBE_TIMEOUT:g} s ({HOW_TO_FIX})"
    )
