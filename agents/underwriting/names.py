"""Fuzzy comparison of business and person names (rapidfuzz), shared by screening and lookup.

Names are compared as a screener would: transliterated to Latin letters first (a Cyrillic
"o" (U+043E) hidden in a Latin name is an "o", and a name in Cyrillic is read in Latin), ignoring case,
punctuation, hyphens and legal forms ("Petro-Chemical Limited" is "Petrochemical Ltd"), word
order ("Sorokin, Ivan"), initials ("Ivan P. Sorokin") and a left-out middle name."""

from __future__ import annotations

import re

from anyascii import anyascii
from rapidfuzz import fuzz

_SUFFIXES = re.compile(
    r"\b(llc|l l c|inc|incorporated|corp|corporation|co|company|ltd|limited|plc|fze|gmbh|sa|lp"
    r"|llp|l p|ag|bv|nv|oy|ab|srl|spa|pte|pty|jsc|ojsc|ooo|zao|pjsc)\b"
)
INITIALS_SCORE = 92.0
"""The score of two person names that agree word for word, initials and a left-out middle name
allowed (at least two words, the last ones alike)."""


def normalise_name(name: str) -> str:
    """Latin letters, lower case, punctuation and legal-form suffixes removed, single spaces."""
    latin = anyascii(_surname_last(name))
    folded = re.sub(r"[^a-z0-9 ]+", " ", latin.lower().replace("&", " and ").replace("-", ""))
    return " ".join(_SUFFIXES.sub(" ", folded).split())


def _surname_last(name: str) -> str:
    """`Sorokin, Ivan P.` → `Ivan P. Sorokin` (a comma before a legal form is left alone)."""
    head, comma, tail = name.partition(",")
    if not comma or "," in tail:
        return name
    rest = " ".join(_SUFFIXES.sub(" ", re.sub(r"[^a-z ]+", " ", anyascii(tail).lower())).split())
    return f"{tail.strip()} {head.strip()}" if rest else name


def name_similarity(left: str, right: str) -> float:
    """0-100: how alike two names are, ignoring script, order, case, punctuation, legal forms,
    initials and a left-out middle name."""
    a, b = normalise_name(left), normalise_name(right)
    if not a or not b:
        return 0.0
    score = max(
        fuzz.token_sort_ratio(a, b),
        fuzz.token_set_ratio(a, b) - 5,
        fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")),
    )
    if _same_person(a.split(), b.split()):
        score = max(score, INITIALS_SCORE)
    return float(score)


def _same_person(left: list[str], right: list[str]) -> bool:
    """Whether the shorter name's words each match a word of the longer, in order, an initial
    matching a word it begins, the last words alike, and the longer has at most one word more."""
    short, long = sorted((left, right), key=len)
    if len(short) < 2 or len(long) - len(short) > 1:
        return False
    if fuzz.ratio(short[-1], long[-1]) < 90:
        return False
    position = 0
    for word in short:
        while position < len(long) and not _alike(word, long[position]):
            position += 1
        if position == len(long):
            return False
        position += 1
    return True


def _alike(word: str, other: str) -> bool:
    if len(word) == 1 or len(other) == 1:
        return word[0] == other[0]
    return fuzz.ratio(word, other) >= 88
