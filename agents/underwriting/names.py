"""Fuzzy comparison of business and person names (rapidfuzz), shared by screening and lookup."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

_SUFFIXES = re.compile(
    r"\b(llc|l l c|inc|incorporated|corp|corporation|co|company|ltd|limited|plc|fze|gmbh|sa|lp|llp)\b"
)


def normalise_name(name: str) -> str:
    """Lower case, punctuation and legal-form suffixes removed, single spaces."""
    folded = re.sub(r"[^a-z0-9 ]+", " ", name.lower().replace("&", " and "))
    return " ".join(_SUFFIXES.sub(" ", folded).split())


def name_similarity(left: str, right: str) -> float:
    """0-100: how alike two names are, ignoring order, case, punctuation and legal forms."""
    a, b = normalise_name(left), normalise_name(right)
    if not a or not b:
        return 0.0
    return float(max(fuzz.token_sort_ratio(a, b), fuzz.token_set_ratio(a, b) - 5))
